"""State shared by every CLI command: settings, the database, output helpers."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from glpi_scim.config import Settings, load_settings

# rich and the database (SQLAlchemy) are imported when first used: `--version` and `--help`
# start without them.
if TYPE_CHECKING:
    from rich.console import Console

    from glpi_scim.glpi.database import Database

F = TypeVar("F", bound=Callable[..., Any])

# Exit codes: 0 ok, 1 the operation failed (bad input, not found, conflict), 2 usage error
# (click's own), 3 the database or configuration is unusable.
EXIT_FAILED = 1
EXIT_UNUSABLE = 3


class CliError(click.ClickException):
    """An error shown as one readable line (no traceback unless --debug)."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.exit_code = exit_code  # type: ignore[misc]

    def show(self, file: Any = None) -> None:
        from rich.console import Console
        from rich.markup import escape

        # Escaped: messages quote user input ("[x]" would otherwise be read as markup); one
        # line whatever the terminal width.
        Console(stderr=True, highlight=False, soft_wrap=True).print(
            f"[bold red]Error:[/] {escape(self.message)}"
        )


def global_options(func: F) -> F:
    options = [
        click.option(
            "--config",
            "config_file",
            type=click.Path(dir_okay=False),
            default=None,
            help="TOML settings file (default: ./glpi-scim.toml when present).",
        ),
        click.option(
            "--database",
            "database_url",
            default=None,
            metavar="URL",
            help="Database URL (env GLPI_SCIM_DATABASE_URL), e.g. mysql+pymysql://u:p@host/glpi.",
        ),
        click.option(
            "--glpi-config",
            "glpi_config",
            default=None,
            metavar="DIR",
            help="GLPI's config directory holding config_db.php (env GLPI_CONFIG_DIR).",
        ),
        click.option(
            "--sqlite-path",
            "sqlite_path",
            default=None,
            metavar="FILE",
            help="Embedded SQLite file when no database is given (default glpi-scim.sqlite).",
        ),
        click.option("--debug", is_flag=True, help="Show tracebacks of unexpected errors."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@dataclass
class CliContext:
    config_file: str | None
    overrides: dict[str, Any]
    debug: bool = False
    _settings: Settings | None = field(default=None, repr=False)
    _database: Database | None = field(default=None, repr=False)

    @classmethod
    def from_options(cls, options: dict[str, object]) -> CliContext:
        overrides = {
            key: options.get(key) for key in ("database_url", "glpi_config", "sqlite_path")
        }
        config_file = options.get("config_file")
        return cls(
            config_file=str(config_file) if config_file else None,
            overrides=overrides,
            debug=bool(options.get("debug")),
        )

    def settings(self, **more: Any) -> Settings:
        """Effective settings; `more` are a command's own flags (None = not given)."""
        from glpi_scim.config import ConfigError

        try:
            if more:
                return load_settings(self.config_file, overrides={**self.overrides, **more})
            if self._settings is None:
                self._settings = load_settings(self.config_file, overrides=self.overrides)
            return self._settings
        except ConfigError as exc:
            raise CliError(str(exc), EXIT_UNUSABLE) from None

    def database(self, settings: Settings | None = None) -> Database:
        if self._database is None:
            from glpi_scim.glpi.database import open_database

            try:
                self._database = open_database(settings or self.settings())
            except Exception as exc:
                if self.debug:
                    raise
                raise CliError(str(exc), EXIT_UNUSABLE) from None
        return self._database


def get_context() -> CliContext:
    ctx = click.get_current_context()
    obj = ctx.find_object(CliContext)
    if obj is None:  # a command invoked on its own in a test
        obj = CliContext(config_file=None, overrides={})
        ctx.obj = obj
    return obj


def console() -> Console:
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True)


def print_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=False, default=str))


def fail(message: str, exit_code: int = EXIT_FAILED) -> NoReturn:
    raise CliError(message, exit_code)


def warn(message: str) -> None:
    from rich.console import Console

    Console(stderr=True, highlight=False, soft_wrap=True).print(f"[bold red]Warning:[/] {message}")


def is_interactive() -> bool:
    return sys.stdin.isatty()
