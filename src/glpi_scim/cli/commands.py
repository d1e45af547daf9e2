"""Sub-commands, imported on demand: every module of this package may export `COMMANDS`.

`LAZY_COMMANDS` names the module of each top-level command and its one-line help, so that
`glpi-scim --help` lists them without importing any (tests/cli/test_startup.py checks the
table against the modules' own `COMMANDS` and docstrings).
"""

from __future__ import annotations

import importlib
import pkgutil

import click

import glpi_scim.cli as package

_INFRASTRUCTURE = {"main", "context", "commands"}

# name -> (module of glpi_scim.cli, the command's short help as `--help` lists it)
LAZY_COMMANDS: dict[str, tuple[str, str]] = {
    "config": ("config_cmd", "Inspect the settings."),
    "db": ("db", "Create and check the database schema."),
    "doctor": (
        "doctor",
        "Run a short, harmless provisioning cycle against a running SCIM endpoint.",
    ),
    "logs": (
        "logs",
        "The request log of identity servers that have --log-requests (secrets redacted).",
    ),
    "oauth": ("oauth", "OAuth2 for identity servers whose security is oauth2."),
    "serve": (
        "serve",
        "Serve the SCIM endpoints of every identity server until SIGTERM or Ctrl-C.",
    ),
    "server": (
        "servers",
        "Identity servers: one per identity provider connection (URL, security, GLPI placement).",
    ),
    "systemd": ("systemd", "systemd units for a production install (see docs/deployment.md)."),
    "token": ("tokens", "Bearer tokens of identity servers using bearer security."),
    "users": ("users", "GLPI users as the identity servers see them: owner, adoption, protection."),
}


def command_modules() -> list[str]:
    """Every module of glpi_scim.cli that may hold commands."""
    return sorted(
        info.name
        for info in pkgutil.iter_modules(package.__path__)
        if info.name not in _INFRASTRUCTURE and not info.name.startswith("_")
    )


def all_commands() -> list[click.Command]:
    """Every top-level command, imported (documentation and tests)."""
    found: list[click.Command] = []
    for name in command_modules():
        module = importlib.import_module(f"{package.__name__}.{name}")
        found.extend(getattr(module, "COMMANDS", ()))
    return found


class LazyGroup(click.Group):
    """A group whose sub-commands are imported when invoked, not when the program starts."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*LAZY_COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in LAZY_COMMANDS:
            module = importlib.import_module(f"{package.__name__}.{LAZY_COMMANDS[cmd_name][0]}")
            for command in getattr(module, "COMMANDS", ()):
                self.add_command(command)
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # The same listing as click's, from the table instead of the imported commands.
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            loaded = self.commands.get(name)
            if loaded is not None:
                if loaded.hidden:
                    continue
                rows.append((name, loaded.get_short_help_str(limit)))
            else:
                summary = click.Command(name, help=LAZY_COMMANDS[name][1])
                rows.append((name, summary.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)
