"""Revision 0003: servers that existed before the mass-change guard get its default limit."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import select

from glpi_scim.db import tables
from glpi_scim.db.database import Database, engine_for_url, sqlite_url
from glpi_scim.db.migrations import alembic_config, upgrade_to_head
from glpi_scim.glpi.guard import GuardService
from glpi_scim.servers.repository import ServerRepository


def test_existing_servers_get_the_default_limit_on_mariadb(empty_mysql_database: Database) -> None:
    upgrade_keeps_servers_guarded(empty_mysql_database)


def test_existing_servers_get_the_default_limit_on_sqlite(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "old.sqlite")
    database = Database(engine_for_url(url), url, url)
    try:
        upgrade_keeps_servers_guarded(database)
    finally:
        database.dispose()


def upgrade_keeps_servers_guarded(database: Database) -> None:
    with database.begin() as connection:
        command.upgrade(alembic_config(connection), "0001")
        connection.execute(tables.identity_servers.insert().values(name="old", signing_key="k"))
    with database.begin() as connection:
        upgrade_to_head(connection)
        rows = connection.execute(
            select(tables.guards.c.max_removals, tables.guards.c.window_seconds)
        ).all()
    assert [tuple(row) for row in rows] == [(50, 600)]
    state = GuardService(database).state(ServerRepository(database).get("old"))
    assert (state.threshold, state.window.total_seconds(), state.tripped) == (50, 600, False)
