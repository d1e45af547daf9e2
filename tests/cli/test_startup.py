"""Start-up of the `glpi-scim` command: what each call imports (its speed is in benchmarks/).

Each test runs the real entry point in a fresh interpreter with `-X importtime`, which lists
every module the run imported on stderr: deterministic, unlike a clock.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from glpi_scim import __version__
from glpi_scim.cli.commands import LAZY_COMMANDS, all_commands
from glpi_scim.db.database import Database
from glpi_scim.servers.service import ServerInput, ServerService

# Libraries a command that only prints or reads the servers table has no use for.
WEB_AND_MIGRATIONS = {"falcon", "waitress", "alembic", "prometheus_client", "gunicorn"}
DATABASE_AND_OUTPUT = {"sqlalchemy", "pymysql", "rich", "jwt", "bcrypt", "oauthlib"}


def run_glpi_scim(*args: str, cwd: Path) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """`python -X importtime -m glpi_scim ARGS`: the run and the top-level packages imported."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("GLPI_SCIM_") and name != "GLPI_CONFIG_DIR"
    }
    completed = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "glpi_scim", *args],
        cwd=cwd,
        env={**env, "COLUMNS": "100"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    imported = set()
    other_lines = []
    for line in completed.stderr.splitlines():
        if line.startswith("import time:"):
            imported.add(line.rsplit("|", 1)[1].strip().split(".")[0])
        else:
            other_lines.append(line)
    completed.stderr = "\n".join(other_lines)
    return completed, imported


def test_version_imports_neither_the_database_nor_rich_nor_the_web_framework(
    tmp_path: Path,
) -> None:
    completed, imported = run_glpi_scim("--version", cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == f"glpi-scim, version {__version__}"
    assert "click" in imported
    assert imported.isdisjoint(WEB_AND_MIGRATIONS | DATABASE_AND_OUTPUT), imported


def test_help_lists_every_command_without_importing_them(tmp_path: Path) -> None:
    completed, imported = run_glpi_scim("--help", cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr
    listed = completed.stdout.split("Commands:", 1)[1]
    for name in LAZY_COMMANDS:
        assert f"\n  {name} " in listed
    assert "Identity servers: one per identity provider connection" in listed
    assert imported.isdisjoint(WEB_AND_MIGRATIONS | DATABASE_AND_OUTPUT), imported


def test_server_list_reads_the_database_without_sqlalchemy(
    database: Database, tmp_path: Path
) -> None:
    """Importing SQLAlchemy alone takes longer than `server list` may: it reads through the
    driver (servers/listing.py), on SQLite and MariaDB, and prints the same table."""
    ServerService(database).add(ServerInput(name="Entra ID", applied_user="glpi", default=True))
    completed, imported = run_glpi_scim("--database", database.url, "server", "list", cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr
    assert "Identity servers" in completed.stdout
    assert "│  1 │ Entra ID │ active │ yes     │ bearer   │     │ glpi (2)     │ anywhere │" in (
        completed.stdout
    )
    assert "rich" in imported
    assert ("pymysql" in imported) == (not database.is_sqlite)
    # (PyMySQL itself imports cryptography, for MySQL 8's RSA password exchange.)
    unwanted = WEB_AND_MIGRATIONS | {"sqlalchemy", "jwt", "bcrypt", "oauthlib"}
    assert imported.isdisjoint(unwanted), imported & unwanted


def test_server_list_on_an_empty_embedded_database(tmp_path: Path) -> None:
    completed, _ = run_glpi_scim("db", "init", cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr
    completed, imported = run_glpi_scim("server", "list", cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.startswith("No identity server yet: add one with")
    assert imported.isdisjoint(WEB_AND_MIGRATIONS | {"sqlalchemy", "pymysql"}), imported


@pytest.mark.parametrize(
    "command",
    [
        ("server", "list", "--json"),
        ("server", "show", "1"),
        ("token", "list", "1"),
        ("logs", "tail"),
    ],
    ids=" ".join,
)
def test_other_reading_commands_still_leave_out_the_web_framework_and_migrations(
    database: Database, tmp_path: Path, command: tuple[str, ...]
) -> None:
    ServerService(database).add(ServerInput(name="Entra ID", applied_user="glpi"))
    completed, imported = run_glpi_scim("--database", database.url, *command, cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr
    assert "Entra ID" in completed.stdout or command == ("logs", "tail")
    assert "sqlalchemy" in imported
    assert imported.isdisjoint(WEB_AND_MIGRATIONS), imported & WEB_AND_MIGRATIONS


def test_a_lazily_loaded_command_still_runs_and_reports_usage_errors(tmp_path: Path) -> None:
    completed, _ = run_glpi_scim("server", "nonsense", cwd=tmp_path)
    assert completed.returncode == 2
    assert "No such command 'nonsense'" in completed.stderr
    completed, _ = run_glpi_scim("nonsense", cwd=tmp_path)
    assert completed.returncode == 2
    assert "No such command 'nonsense'" in completed.stderr


@pytest.mark.parametrize("command", all_commands(), ids=lambda command: command.name)
def test_the_table_of_lazy_commands_matches_each_module(command: object) -> None:
    """A new command module, or a changed docstring, must be mirrored in LAZY_COMMANDS."""
    import click

    assert isinstance(command, click.Command)
    assert command.name in LAZY_COMMANDS, f"add {command.name!r} to cli.commands.LAZY_COMMANDS"
    module, summary = LAZY_COMMANDS[command.name]
    assert command.callback is not None
    assert command.callback.__module__ == f"glpi_scim.cli.{module}"
    assert summary == command.get_short_help_str(limit=1000)
