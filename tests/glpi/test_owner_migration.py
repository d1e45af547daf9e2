"""Upgrading a database the first release wrote: every server keeps what it already manages."""

from __future__ import annotations

from alembic import command
from sqlalchemy import select

from glpi_scim.db import tables
from glpi_scim.db.database import Database
from glpi_scim.db.migrations import alembic_config, head_revision
from glpi_scim.db.schema import ensure_tool_schema

RESOURCES = tables.scim_resources


def test_the_upgrade_records_the_servers_that_wrote_each_item_as_owners(
    database: Database,
) -> None:
    with database.begin() as connection:  # back to the first release's schema
        command.downgrade(alembic_config(connection), "0001")
    with database.begin() as connection:
        connection.execute(RESOURCES.delete())
        rows = [
            (1, "User", 10, "okta-10", 0),  # Okta's user
            (2, "User", 11, None, 0),  # Entra's user, stored attributes only
            (2, "User", 10, "entra-10", 0),  # the same user later linked by Entra too
            (1, "Group", 7, "sales", 0),
            (2, "User", 12, None, 1),  # deleted by Entra under the deactivate policy
        ]
        for server_id, itemtype, items_id, external_id, is_deleted in rows:
            connection.execute(
                RESOURCES.insert().values(
                    servers_id=server_id,
                    itemtype=itemtype,
                    items_id=items_id,
                    external_id=external_id,
                    is_deleted=is_deleted,
                )
            )
    assert ensure_tool_schema(database) == head_revision()
    owners = tables.owners
    with database.begin() as connection:
        found = connection.execute(
            select(
                owners.c.itemtype, owners.c.items_id, owners.c.servers_id, owners.c.origin
            ).order_by(owners.c.itemtype, owners.c.items_id)
        ).all()
    assert [tuple(row) for row in found] == [
        ("Group", 7, 1, "migrated"),
        ("User", 10, 1, "migrated"),  # the oldest row wins
        ("User", 11, 2, "migrated"),
        ("User", 12, 2, "migrated"),
    ]


def test_an_embedded_file_of_the_first_release_gets_a_fresh_installs_rights(
    sqlite_database: Database,
) -> None:
    rights = tables.profilerights
    with sqlite_database.begin() as connection:
        connection.execute(rights.delete())
    ensure_tool_schema(sqlite_database)
    with sqlite_database.begin() as connection:
        found = dict(
            connection.execute(
                select(rights.c.name, rights.c.rights).where(rights.c.profiles_id == 4)
            ).all()
        )
        count = len(connection.execute(select(rights.c.id)).all())
    assert count == 753
    assert (found["config"], found["user"], found["group"]) == (3, 7327, 119)
