"""Migration 0006: the console's sessions and the audit, added to a database at 0005."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect, select

from glpi_scim.db import tables
from glpi_scim.db.database import Database
from glpi_scim.db.migrations import alembic_config, head_revision
from glpi_scim.db.schema import ensure_tool_schema
from glpi_scim.servers.audit import Actor, AuditLog
from glpi_scim.servers.service import ServerInput, ServerService

NEW_TABLES = {"glpi_plugin_glpiscim_consolesessions", "glpi_plugin_glpiscim_audit"}


def table_names(database: Database) -> set[str]:
    with database.begin() as connection:
        return set(inspect(connection).get_table_names())


def test_0006_adds_the_console_tables_and_keeps_what_0005_had(database: Database) -> None:
    server = ServerService(database).add(ServerInput(name="okta", applied_user="glpi")).server
    with database.begin() as connection:
        command.downgrade(alembic_config(connection), "0005")
    assert not NEW_TABLES & table_names(database)
    assert ensure_tool_schema(database) == head_revision() == "0006"
    assert table_names(database) >= NEW_TABLES
    assert [s.name for s in ServerService(database).list_all()] == ["okta"]
    AuditLog(database).record(Actor("admin", "cli"), server.id, server.name, "server edited")
    with database.read() as connection:
        rows = connection.execute(select(tables.audit.c.actor, tables.audit.c.action)).all()
    assert [tuple(row) for row in rows] == [("admin", "server edited")]
