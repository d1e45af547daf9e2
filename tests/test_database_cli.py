"""`glpi-scim db init` and `glpi-scim db check`, on SQLite files and MariaDB databases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import inspect, text

from glpi_scim.cli.main import cli
from glpi_scim.db import tables
from glpi_scim.db.database import Database
from glpi_scim.db.migrations import VERSION_TABLE, head_revision
from glpi_scim.db.privileges import REQUIRED_PRIVILEGES


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env={"COLUMNS": "200"})


def table_names(database: Database) -> set[str]:
    with database.connect() as connection:
        return set(inspect(connection).get_table_names())


def test_init_then_check_on_the_embedded_file(tmp_path: Path) -> None:
    path = tmp_path / "data" / "glpi-scim.sqlite"
    first = run("--sqlite-path", str(path), "db", "init")
    assert first.exit_code == 0, first.output
    assert "Created GLPI 10.0.19 tables with a fresh install's rows." in first.output
    assert f"Created the tool's tables (revision {head_revision()})." in first.output
    second = run("--sqlite-path", str(path), "db", "init")
    assert second.exit_code == 0, second.output
    assert "up to date" in second.output and "nothing to do" in second.output
    assert "Created" not in second.output
    check = run("--sqlite-path", str(path), "db", "check")
    assert check.exit_code == 0, check.output
    assert "GLPI version:   10.0.19" in check.output
    assert f"Tool schema:    {head_revision()}" in check.output
    assert "Missing columns: none" in check.output
    assert "Usable." in check.output


def test_check_before_init_says_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "glpi-scim.sqlite"
    result = run("--sqlite-path", str(path), "db", "check")
    assert result.exit_code == 3
    # The hint repeats the option given, so that it works when copied.
    assert f"does not exist yet: run `glpi-scim --sqlite-path {path} db init`" in result.output
    assert not path.exists()


def test_check_json(database: Database) -> None:
    result = run("--database", database.url, "db", "check", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["usable"] is True
    assert report["glpi_version"] == "10.0.19"
    assert report["tool_revision"] == head_revision()
    assert report["missing_tables"] == [] and report["missing_columns"] == []


def test_check_json_on_unusable_schema_lists_every_problem(sqlite_database: Database) -> None:
    with sqlite_database.begin() as connection:
        connection.execute(text("ALTER TABLE glpi_users DROP COLUMN registration_number"))
        connection.execute(text(f"DROP TABLE {VERSION_TABLE}"))
    result = run("--database", sqlite_database.url, "db", "check", "--json")
    assert result.exit_code == 3
    report = json.loads(result.output)
    assert report["usable"] is False
    assert report["missing_columns"] == ["glpi_users.registration_number"]
    assert [p["kind"] for p in report["problems"]] == ["GlpiSchemaIncomplete", "ToolSchemaMissing"]


def test_check_text_on_unusable_schema(sqlite_database: Database) -> None:
    with sqlite_database.begin() as connection:
        connection.execute(tables.configs.update().values(value="9.5.7"))
    result = run("--database", sqlite_database.url, "db", "check")
    assert result.exit_code == 3
    assert "GLPI version:   9.5.7" in result.output
    assert "holds GLPI 9.5.7; glpi-scim supports GLPI 10.0.x only" in result.output
    assert "Traceback" not in result.output


def test_check_json_when_the_server_cannot_be_reached() -> None:
    result = run("--database", "mysql+pymysql://glpi:pw@127.0.0.1:1/glpi", "db", "check", "--json")
    assert result.exit_code == 3
    report = json.loads(result.output)
    assert report["usable"] is False
    assert report["problems"][0]["kind"] == "DatabaseUnreachable"
    assert "glpi:***@127.0.0.1:1" in report["problems"][0]["message"]


def test_init_refuses_a_database_that_is_not_glpi_10(sqlite_database: Database) -> None:
    with sqlite_database.begin() as connection:
        connection.execute(tables.configs.update().values(value="11.0.1"))
        connection.execute(text(f"DROP TABLE {VERSION_TABLE}"))
        connection.execute(text("DROP TABLE glpi_plugin_glpiscim_servers"))
    result = run("--database", sqlite_database.url, "db", "init")
    assert result.exit_code == 3
    assert "holds GLPI 11.0.1; glpi-scim supports GLPI 10.0.x only" in result.output
    assert "glpi_plugin_glpiscim_servers" not in table_names(sqlite_database)


@pytest.mark.mysql
def test_init_on_a_real_glpi_database_adds_only_tool_tables(glpi_mysql_database: Database) -> None:
    with glpi_mysql_database.begin() as connection:
        connection.execute(
            tables.configs.insert().values(context="core", name="version", value="10.0.19")
        )
    before = table_names(glpi_mysql_database)
    first = run("--database", glpi_mysql_database.url, "db", "init")
    assert first.exit_code == 0, first.output
    assert "Created GLPI" not in first.output
    added = table_names(glpi_mysql_database) - before
    assert added == {t.name for t in tables.TOOL_TABLES} | {VERSION_TABLE}
    with glpi_mysql_database.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM glpi_users")).scalar() == 0
    second = run("--database", glpi_mysql_database.url, "db", "init")
    assert second.exit_code == 0 and "nothing to do" in second.output
    check = run("--database", glpi_mysql_database.url, "db", "check", "--json")
    assert check.exit_code == 0, check.output
    assert json.loads(check.output)["missing_columns"] == []


@pytest.mark.mysql
def test_init_on_an_empty_mysql_database(empty_mysql_database: Database) -> None:
    url = empty_mysql_database.url
    refused = run("--database", url, "db", "init")
    assert refused.exit_code == 3
    assert "has no GLPI tables" in refused.output and "--create-glpi-schema" in refused.output
    assert table_names(empty_mysql_database) == set()
    created = run("--database", url, "db", "init", "--create-glpi-schema")
    assert created.exit_code == 0, created.output
    assert "Created GLPI 10.0.19 tables" in created.output
    again = run("--database", url, "db", "init", "--create-glpi-schema")
    assert again.exit_code == 0, again.output
    assert "GLPI's tables already exist: left as they are." in again.output
    assert run("--database", url, "db", "check").exit_code == 0


@pytest.mark.mysql
def test_init_reports_connection_errors(mysql_database: Database) -> None:
    from sqlalchemy import make_url

    url = make_url(mysql_database.url).set(password="wrong-password")
    result = run("--database", url.render_as_string(hide_password=False), "db", "init")
    assert result.exit_code == 3
    assert "refused the credentials" in result.output
    assert "wrong-password" not in result.output


def test_readme_names_the_privileges_db_init_checks() -> None:
    readme_path = Path(__file__).resolve().parent.parent / "README.md"
    readme = " ".join(readme_path.read_text(encoding="utf-8").split())
    assert f"needs {', '.join(f'`{name}`' for name in REQUIRED_PRIVILEGES)}" in readme
