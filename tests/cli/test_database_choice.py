"""Which database a command writes to: said every time, never a silent fallback to SQLite."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import make_url

from glpi_scim.cli.main import cli
from glpi_scim.db.database import Database

from .conftest import Run
from .support import one_line_error


def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env={"COLUMNS": "300", **(env or {})})


def described(database: Database) -> str:
    """How the notice names the fixture's database."""
    url = make_url(database.url)
    if database.is_sqlite:
        return f"SQLite file {Path(str(url.database)).resolve()}"
    return f"MySQL/MariaDB {url.database} on {url.host}:{url.port or 3306} (user {url.username})"


def test_every_writing_command_names_its_database(database: Database, run: Run) -> None:
    notice = f"Database: {described(database)} (from --database)"
    added = run("server", "add", "okta", "--applied-user", "glpi")
    assert added.stdout.splitlines()[0] == notice
    for args in (
        ("server", "edit", "okta", "--log-requests"),
        ("token", "issue", "okta"),
        ("server", "disable", "okta"),
        ("logs", "purge", "--older-than", "30d", "--yes"),
        ("db", "init"),
    ):
        assert run(*args).stdout.splitlines()[0] == notice, args
    # Reading commands print only what they were asked for.
    assert "Database:" not in run("server", "list").stdout
    # JSON stays one document, even with both streams together.
    edited = run("server", "edit", "okta", "--no-log-requests", "--json")
    assert json.loads(edited.output)["server"]["log_requests"] is False


def test_the_password_is_never_shown(tmp_path: Path, isolated_cli: None) -> None:
    url = "mysql+pymysql://glpi:Sup3r-s3cret@127.0.0.1:1/glpi"
    result = invoke("--database", url, "server", "add", "x", "--applied-user", "glpi")
    assert result.exit_code == 3
    assert "Database: MySQL/MariaDB glpi on 127.0.0.1:1 (user glpi) (from --database)" in (
        result.stdout
    )
    assert "Sup3r-s3cret" not in result.output


def test_nothing_configured_says_it_uses_the_embedded_file(
    tmp_path: Path, isolated_cli: None
) -> None:
    notice = (
        "No database configured (--database, GLPI_SCIM_DATABASE_URL, --glpi-config or "
        f"GLPI_CONFIG_DIR): using the embedded SQLite file {tmp_path / 'glpi-scim.sqlite'}."
    )
    init = invoke("db", "init")
    assert init.exit_code == 0, init.output
    assert init.stdout.splitlines()[0] == notice
    added = invoke("server", "add", "x", "--applied-user", "glpi")
    assert added.exit_code == 0, added.output
    assert added.stdout.splitlines()[0] == notice


def test_a_misspelt_variable_is_named(tmp_path: Path, isolated_cli: None) -> None:
    result = invoke("db", "init", env={"GLPI_CONFIG_DIRS": "/etc/glpi"})
    assert result.exit_code == 0, result.output
    assert (
        "GLPI_CONFIG_DIRS is set but is no setting: did you mean GLPI_CONFIG_DIR?"
        in (result.stdout.splitlines()[0])
    )


@pytest.mark.parametrize("how", ["option", "environment"])
def test_a_glpi_config_without_config_db_php_is_an_error(
    tmp_path: Path, isolated_cli: None, how: str
) -> None:
    empty = tmp_path / "glpi-config"
    empty.mkdir()
    given = ["--glpi-config", str(empty)] if how == "option" else []
    env = {"GLPI_CONFIG_DIR": str(empty)} if how == "environment" else {}
    for args in (("db", "init"), ("server", "add", "x", "--applied-user", "glpi")):
        result = invoke(*given, *args, env=env)
        assert result.exit_code == 3, result.output
        error = one_line_error(result)
        assert f"{empty / 'config_db.php'} does not exist" in error
        assert "GLPI's config directory, the one holding config_db.php" in error
    # Nothing fell back to the embedded database.
    assert list(tmp_path.iterdir()) == [empty]


def test_hints_repeat_the_options_given(tmp_path: Path, isolated_cli: None) -> None:
    blank = tmp_path / "blank.sqlite"
    result = invoke("--sqlite-path", str(blank), "server", "list")
    assert result.exit_code == 3
    assert f"`glpi-scim --sqlite-path {blank} db init`" in one_line_error(result)
    masked = invoke("--database", f"sqlite:///{blank}", "server", "list")
    assert f"`glpi-scim --database sqlite:///{blank} db init`" in one_line_error(masked)
