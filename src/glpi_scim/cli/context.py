"""State shared by every CLI command: settings, the database, output helpers."""

from __future__ import annotations

import difflib
import json
import os
import shlex
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from glpi_scim.config import Settings, load_settings, mask_url_password
from glpi_scim.errors import GlpiScimError

# rich and the database (SQLAlchemy) are imported when first used: `--version` and `--help`
# start without them.
if TYPE_CHECKING:
    from rich.console import Console

    from glpi_scim.db.database import Database

F = TypeVar("F", bound=Callable[..., Any])

# Exit codes: 0 ok, 1 the operation failed (bad input, not found, conflict), 2 usage error
# (click's own), 3 the database or configuration is unusable.
EXIT_FAILED = 1
EXIT_UNUSABLE = 3


class CliError(click.ClickException, GlpiScimError):
    """An error shown as one readable line (no traceback unless --debug)."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILED) -> None:
        super().__init__(_with_given_options(message))
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
            chosen = settings or self.settings()
            from glpi_scim.db.database import open_database

            try:
                self._database = open_database(chosen)
            except Exception as exc:
                if self.debug:
                    raise
                raise CliError(str(exc), EXIT_UNUSABLE) from None
            _announce_database(chosen, self._database)
        return self._database


# Commands that write to the database: each says first which database it writes to.
WRITING_COMMANDS = frozenset(
    {
        "db init",
        "serve",
        "server add",
        "server edit",
        "server remove",
        "server enable",
        "server disable",
        "server resume",
        "token issue",
        "token revoke",
        "oauth client add",
        "oauth client remove",
        "logs purge",
    }
)


def _command_path(ctx: click.Context) -> str:
    names = []
    while ctx.parent is not None:
        names.append(ctx.info_name or "")
        ctx = ctx.parent
    return " ".join(reversed(names))


def _given_options(ctx: click.Context | None) -> str:
    """The global options the person typed, to repeat in a hint (the password masked)."""
    obj = ctx.find_object(CliContext) if ctx is not None else None
    if obj is None:
        return ""
    given = [("--config", obj.config_file)] + [
        (flag, obj.overrides.get(name)) for flag, name in _GLOBAL_FLAGS
    ]
    shown = []
    for flag, value in given:
        if value:
            text = mask_url_password(str(value)) if flag == "--database" else str(value)
            shown.append(f"{flag} {shlex.quote(text)}")
    return " ".join(shown)


_GLOBAL_FLAGS = (
    ("--database", "database_url"),
    ("--glpi-config", "glpi_config"),
    ("--sqlite-path", "sqlite_path"),
)


def _with_given_options(message: str) -> str:
    """A hint `glpi-scim db init` becomes `glpi-scim --glpi-config /x db init` when the person
    chose the database with that option: the hint then works when copied."""
    given = _given_options(click.get_current_context(silent=True))
    if not given:
        return message
    return message.replace("`glpi-scim ", f"`glpi-scim {given} ")


def database_origin(settings: Settings) -> str | None:
    """Which setting chose the database, as the person wrote it; None for the default."""
    sources = settings.sources
    if settings.database_url:
        where = sources.get("database_url")
        return {"cli": "--database", "env": "GLPI_SCIM_DATABASE_URL"}.get(
            where or "", f"database_url in {settings.config_path}"
        )
    if settings.glpi_config:
        value = settings.glpi_config
        return {"cli": f"--glpi-config {value}", "env": f"GLPI_CONFIG_DIR={value}"}.get(
            sources.get("glpi_config") or "", f"glpi_config = {value!r} in {settings.config_path}"
        )
    if sources.get("sqlite_path", "default") != "default":
        value = settings.sqlite_path
        return {"cli": f"--sqlite-path {value}", "env": f"GLPI_SCIM_SQLITE_PATH={value}"}.get(
            sources.get("sqlite_path") or "", f"sqlite_path in {settings.config_path}"
        )
    return None


def _misspelt_variables() -> list[str]:
    """GLPI_* variables that are no setting but look like one (GLPI_CONFIG_DIRS)."""
    from glpi_scim.config import SPECS

    known = [spec.env_var for spec in SPECS]
    hints = []
    for name in sorted(os.environ):
        if not name.startswith("GLPI_") or name in known or name.startswith("GLPI_SCIM_TEST"):
            continue
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.8)
        if close:
            hints.append(f"{name} is set but is no setting: did you mean {close[0]}?")
    return hints


def database_notice(settings: Settings, database: Database) -> str:
    """One line naming the database a command writes to, and why that one."""
    from glpi_scim.db.database import describe_target

    target = describe_target(database.url)
    origin = database_origin(settings)
    if origin is not None:
        return f"Database: {target} (from {origin})"
    hints = "".join(f" {hint}" for hint in _misspelt_variables())
    return (
        "No database configured (--database, GLPI_SCIM_DATABASE_URL, --glpi-config or "
        f"GLPI_CONFIG_DIR): using the embedded {target}.{hints}"
    )


def _announce_database(settings: Settings, database: Database) -> None:
    ctx = click.get_current_context(silent=True)
    if ctx is None or _command_path(ctx) not in WRITING_COMMANDS:
        return
    # With --json the output stays one JSON document, even with 2>&1.
    if ctx.params.get("as_json"):
        return
    from rich.markup import escape

    console().print(escape(database_notice(settings, database)))


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
