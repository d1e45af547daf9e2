"""The tool's migrations, the embedded database's first run and a fresh install's rows."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import bcrypt
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, inspect, make_url, select, text

from glpi_scim.db import tables
from glpi_scim.db.database import Database, engine_for_url, sqlite_url
from glpi_scim.db.migrations import VERSION_TABLE, current_revision, head_revision
from glpi_scim.db.privileges import MissingPrivileges
from glpi_scim.db.schema import (
    ToolSchemaOutdated,
    check_schema,
    create_glpi_schema,
    ensure_tool_schema,
    initialise_embedded,
)


def snapshot(database: Database) -> dict[str, Any]:
    """Every table's columns, indexes and unique keys, as the database reports them.

    SQLAlchemy cannot reflect SQLite's expression indexes (the key indexes of collation.py):
    there the SQL of every index is taken from sqlite_master instead.
    """
    with database.connect() as connection, warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based")
        inspector = inspect(connection)
        found: dict[str, Any] = {
            name: (
                [(c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(name)],
                sorted(str(i) for i in inspector.get_indexes(name)),
                sorted(str(u) for u in inspector.get_unique_constraints(name)),
            )
            for name in sorted(inspector.get_table_names())
        }
        if database.is_sqlite:
            rows = connection.execute(
                text("SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name")
            )
            found["sqlite_master indexes"] = [tuple(row) for row in rows]
        return found


def new_sqlite(path: Path) -> Database:
    url = sqlite_url(path)
    return Database(engine_for_url(url), url, url)


def defaults_differ(
    _context: Any,
    _inspected_column: Any,
    _metadata_column: Any,
    inspected: str | None,
    metadata: Any,
    _rendered: str | None,
) -> bool:
    """Compare server defaults as values: '0' and 0, '' and \'\' are the same default."""

    def value(text: str | None) -> str | None:
        if text is None or text.upper() == "NULL":
            return None
        while text.startswith("(") and text.endswith(")"):  # SQLite reflects ('') for ''
            text = text[1:-1]
        return text.strip("'\"")

    declared = None if metadata is None else str(getattr(metadata.arg, "text", metadata.arg))
    return value(inspected) != value(declared)


def test_migrated_tables_match_the_table_objects(database: Database) -> None:
    # Alembic's own comparison: the migrations produce exactly tables.TOOL_METADATA.
    with database.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "version_table": VERSION_TABLE,
                "include_name": lambda name, kind, _parent: (
                    kind != "table" or str(name).startswith("glpi_plugin_glpiscim_")
                ),
                "compare_type": True,
                "compare_server_default": defaults_differ,
            },
        )
        differences = compare_metadata(context, tables.TOOL_METADATA)
    assert differences == []


def test_migrations_twice_change_nothing(database: Database) -> None:
    before = snapshot(database)
    with database.begin() as connection:
        connection.execute(tables.identity_servers.insert().values(name="idp", signing_key="k"))
    assert ensure_tool_schema(database) == head_revision()
    assert ensure_tool_schema(database) == head_revision()
    assert snapshot(database) == before
    with database.connect() as connection:
        assert current_revision(connection) == head_revision()
        names = connection.execute(select(tables.identity_servers.c.name)).scalars().all()
    assert names == ["idp"]  # rows survive


def test_migrations_create_tool_tables_only(tmp_path: Path) -> None:
    database = new_sqlite(tmp_path / "tool-only.sqlite")
    ensure_tool_schema(database)
    with database.connect() as connection:
        names = set(inspect(connection).get_table_names())
    assert names == {table.name for table in tables.TOOL_TABLES} | {VERSION_TABLE}
    database.dispose()


@pytest.mark.mysql
def test_db_on_real_glpi_schema_gets_only_tool_tables(glpi_mysql_database: Database) -> None:
    empty_mysql_database = glpi_mysql_database
    glpi_before = snapshot(empty_mysql_database)
    assert initialise_embedded(empty_mysql_database) is False  # GLPI's tables are GLPI's
    after = snapshot(empty_mysql_database)
    assert {name: after[name] for name in glpi_before} == glpi_before
    assert set(after) - set(glpi_before) == {t.name for t in tables.TOOL_TABLES} | {VERSION_TABLE}
    # GLPI's real schema has every column the tool uses.
    with empty_mysql_database.begin() as connection:
        connection.execute(
            tables.configs.insert().values(context="core", name="version", value="10.0.19")
        )
    report = check_schema(empty_mysql_database)
    assert report.missing_tables == [] and report.missing_columns == []
    assert report.usable, report.problems


def test_embedded_first_run_creates_everything(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "dir" / "glpi-scim.sqlite"
    path.parent.mkdir(parents=True)
    database = new_sqlite(path)
    assert initialise_embedded(database) is True
    assert check_schema(database).usable
    first = snapshot(database)
    assert initialise_embedded(database) is False
    assert snapshot(database) == first
    with database.connect() as connection:
        mode = connection.execute(text("PRAGMA journal_mode")).scalar()
        users = connection.execute(select(func.count()).select_from(tables.users)).scalar()
    assert mode == "wal"
    assert users == 5
    database.dispose()


@pytest.mark.mysql
def test_create_glpi_schema_in_empty_mysql(empty_mysql_database: Database) -> None:
    create_glpi_schema(empty_mysql_database)
    ensure_tool_schema(empty_mysql_database)
    report = check_schema(empty_mysql_database)
    assert report.usable, report.problems
    with empty_mysql_database.connect() as connection:
        collation = connection.execute(
            text(
                "SELECT TABLE_COLLATION FROM information_schema.TABLES "
                "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'glpi_users'"
            )
        ).scalar()
    assert collation == "utf8mb4_unicode_ci"


def test_fresh_install_rows(database: Database) -> None:
    with database.connect() as connection:
        root = connection.execute(select(tables.entities)).mappings().one()
        profiles = connection.execute(
            select(
                tables.profiles.c.id, tables.profiles.c.name, tables.profiles.c.is_default
            ).order_by(tables.profiles.c.id)
        ).all()
        users = {
            row.name: row
            for row in connection.execute(
                select(tables.users.c.id, tables.users.c.name, tables.users.c.password)
            )
        }
        authorizations = connection.execute(
            select(tables.profiles_users.c.users_id, tables.profiles_users.c.profiles_id).order_by(
                tables.profiles_users.c.users_id
            )
        ).all()
        version = connection.execute(
            select(tables.configs.c.value).where(tables.configs.c.name == "version")
        ).scalar()
    assert (root["id"], root["name"], root["entities_id"], root["level"]) == (
        0,
        "Root entity",
        None,
        1,
    )
    assert [p.name for p in profiles] == [
        "Self-Service",
        "Observer",
        "Admin",
        "Super-Admin",
        "Hotliner",
        "Technician",
        "Supervisor",
        "Read-Only",
    ]
    assert [p.id for p in profiles if p.is_default] == [1]
    assert {name: row.id for name, row in users.items()} == {
        "glpi": 2,
        "post-only": 3,
        "tech": 4,
        "normal": 5,
        "glpi-system": 6,
    }
    for login, password in [("glpi", "glpi"), ("post-only", "postonly"), ("tech", "tech")]:
        stored = users[login].password
        assert stored.startswith("$2y$10$")
        assert bcrypt.checkpw(password.encode(), stored.replace("$2y$", "$2b$", 1).encode())
    assert users["glpi-system"].password == ""
    assert [tuple(a) for a in authorizations] == [(2, 4), (3, 1), (4, 6), (5, 2)]
    assert version == "10.0.19"


def test_tool_tables_without_a_revision_are_not_overwritten(tmp_path: Path) -> None:
    database = new_sqlite(tmp_path / "stray.sqlite")
    with database.begin() as connection:
        tables.TOOL_METADATA.create_all(connection)
        connection.execute(tables.identity_servers.insert().values(name="kept", signing_key="k"))
    with pytest.raises(ToolSchemaOutdated) as caught:
        ensure_tool_schema(database)
    assert "no record of their revision in glpi_plugin_glpiscim_alembic_version" in str(
        caught.value
    )
    with database.connect() as connection:
        assert connection.execute(select(tables.identity_servers.c.name)).scalar() == "kept"
    database.dispose()


@pytest.mark.mysql
def test_missing_privileges_are_explained(mysql_server: Any, glpi_mysql_database: Database) -> None:
    user = f"gs_ro_{make_url(glpi_mysql_database.url).database}"[:32]
    name = make_url(glpi_mysql_database.url).database
    with mysql_server.server.begin() as connection:
        connection.execute(text(f"DROP USER IF EXISTS '{user}'@'%'"))
        connection.execute(text(f"CREATE USER '{user}'@'%' IDENTIFIED BY 'pw'"))
        connection.execute(
            text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON `{name}`.* TO '{user}'@'%'")
        )
    url = make_url(glpi_mysql_database.url).set(username=user, password="pw")
    limited = Database(
        engine_for_url(url.render_as_string(hide_password=False)), str(url), str(url)
    )
    try:
        with pytest.raises(MissingPrivileges) as caught:
            ensure_tool_schema(limited)
        message = str(caught.value)
        assert f"the database user {user}@% lacks CREATE, ALTER, INDEX on" in message
        assert "created nothing" in message
        assert f"GRANT CREATE, ALTER, INDEX ON `{name}`.* TO '{user}'@'%';" in message
    finally:
        limited.dispose()
        with mysql_server.server.begin() as connection:
            connection.execute(text(f"DROP USER IF EXISTS '{user}'@'%'"))
