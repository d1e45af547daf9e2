"""check_schema: what `db check` reports and `serve` refuses to start on."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from glpi_scim.db import tables
from glpi_scim.db.database import Database, engine_for_url, sqlite_url
from glpi_scim.db.migrations import VERSION_TABLE, head_revision
from glpi_scim.db.schema import (
    GlpiSchemaIncomplete,
    NotAGlpiDatabase,
    SchemaError,
    ToolSchemaMissing,
    ToolSchemaOutdated,
    UnsupportedGlpiVersion,
    check_schema,
    create_glpi_schema,
    require_usable_schema,
)


def sqlite_database_at(path: Path) -> Database:
    url = sqlite_url(path)
    return Database(engine_for_url(url), url, url)


def kinds(report: object) -> list[str]:
    return [type(problem).__name__ for problem in report.problems]  # type: ignore[attr-defined]


def test_fresh_install_is_usable(database: Database) -> None:
    report = check_schema(database)
    assert report.usable, report.problems
    assert report.glpi_version == "10.0.19"
    assert report.tool_revision == head_revision() == report.tool_head
    assert report.missing_tables == []
    assert report.missing_columns == []
    assert report.as_dict()["usable"] is True
    assert require_usable_schema(database) is not None


def test_missing_sqlite_file_is_reported_and_not_created(tmp_path: Path) -> None:
    path = tmp_path / "absent.sqlite"
    report = check_schema(sqlite_database_at(path))
    assert kinds(report) == ["NotAGlpiDatabase"]
    assert "does not exist yet: run `glpi-scim db init`" in str(report.problems[0])
    assert not path.exists()


def test_empty_sqlite_file_is_not_glpi(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    sqlite3.connect(path).execute("CREATE TABLE notes (id INTEGER)").connection.close()
    report = check_schema(sqlite_database_at(path))
    assert kinds(report) == ["NotAGlpiDatabase", "ToolSchemaMissing"]
    assert "is not a GLPI database (no glpi_configs or glpi_users table)" in str(report.problems[0])
    with pytest.raises(NotAGlpiDatabase, match="run `glpi-scim db init`"):
        require_usable_schema(sqlite_database_at(path))


@pytest.mark.mysql
def test_empty_mysql_database_is_not_glpi(empty_mysql_database: Database) -> None:
    report = check_schema(empty_mysql_database)
    assert kinds(report) == ["NotAGlpiDatabase", "ToolSchemaMissing"]
    assert "--create-glpi-schema" in str(report.problems[0])


@pytest.mark.parametrize("version", ["9.5.13", "10.1.0", "11.0.0", "10.00"])
def test_glpi_version_outside_10_0_is_refused(database: Database, version: str) -> None:
    with database.begin() as connection:
        connection.execute(
            tables.configs.update()
            .where(tables.configs.c.context == "core", tables.configs.c.name == "version")
            .values(value=version)
        )
    report = check_schema(database)
    assert kinds(report) == ["UnsupportedGlpiVersion"]
    assert report.glpi_version == version
    message = str(report.problems[0])
    assert f"holds GLPI {version}; glpi-scim supports GLPI 10.0.x only" in message
    with pytest.raises(UnsupportedGlpiVersion):
        report.raise_if_unusable()


def test_glpi_version_missing_is_refused(database: Database) -> None:
    with database.begin() as connection:
        connection.execute(tables.configs.delete())
    report = check_schema(database)
    assert kinds(report) == ["UnsupportedGlpiVersion"]
    assert "(no version recorded)" in str(report.problems[0])


@pytest.mark.parametrize("version", ["10.0.0", "10.0.25", "10.0"])
def test_every_10_0_release_is_accepted(database: Database, version: str) -> None:
    with database.begin() as connection:
        connection.execute(
            tables.configs.update().where(tables.configs.c.name == "version").values(value=version)
        )
    assert check_schema(database).usable


def test_missing_glpi_column_is_listed(sqlite_database: Database) -> None:
    with sqlite_database.begin() as connection:
        connection.execute(text("ALTER TABLE glpi_users DROP COLUMN nickname"))
        connection.execute(text("DROP TABLE glpi_usertitles"))
    report = check_schema(sqlite_database)
    assert report.missing_columns == ["glpi_users.nickname"]
    assert report.missing_tables == ["glpi_usertitles"]
    assert kinds(report) == ["GlpiSchemaIncomplete"]
    assert "glpi_usertitles, glpi_users.nickname" in str(report.problems[0])
    with pytest.raises(GlpiSchemaIncomplete, match=r"updated to 10\.0\.x"):
        report.raise_if_unusable()


def test_missing_tool_tables_are_reported(database: Database) -> None:
    with database.begin() as connection:
        connection.execute(text(f"DROP TABLE {VERSION_TABLE}"))
        connection.execute(text("DROP TABLE glpi_plugin_glpiscim_tokens"))
    report = check_schema(database)
    assert kinds(report) == ["ToolSchemaMissing"]
    assert report.tool_revision is None
    assert "run `glpi-scim db init`" in str(report.problems[0])
    with pytest.raises(ToolSchemaMissing):
        report.raise_if_unusable()


def test_revision_from_a_newer_release_is_reported(database: Database) -> None:
    with database.begin() as connection:
        connection.execute(text(f"UPDATE {VERSION_TABLE} SET version_num = 'f00dcafe'"))
    report = check_schema(database)
    assert kinds(report) == ["ToolSchemaOutdated"]
    assert report.tool_revision == "f00dcafe"
    assert "unknown to this glpi-scim (a newer one migrated them): upgrade glpi-scim" in str(
        report.problems[0]
    )


def test_tool_column_dropped_by_hand_is_reported(sqlite_database: Database) -> None:
    with sqlite_database.begin() as connection:
        connection.execute(text("ALTER TABLE glpi_plugin_glpiscim_tokens DROP COLUMN comment"))
    report = check_schema(sqlite_database)
    assert report.missing_columns == ["glpi_plugin_glpiscim_tokens.comment"]
    assert kinds(report) == ["ToolSchemaOutdated"]
    assert "altered by hand" in str(report.problems[0])


def test_create_glpi_schema_refuses_an_existing_glpi(database: Database) -> None:
    with pytest.raises(SchemaError, match="only created in an empty database"):
        create_glpi_schema(database)


def test_schema_errors_are_database_errors() -> None:
    from glpi_scim.db.database import DatabaseError

    for error in (NotAGlpiDatabase, UnsupportedGlpiVersion, ToolSchemaMissing, ToolSchemaOutdated):
        assert issubclass(error, DatabaseError)
