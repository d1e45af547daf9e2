"""GLPI dropdowns (user titles, user categories): found by name, created when missing.

Like GLPI's Dropdown::importExternal: the name is trimmed, an existing row with the same name
(for GLPI's collation) is reused, otherwise a row is added with a "create" history entry.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, Table, select

from glpi_scim.db.collation import sqlite_equal
from glpi_scim.db.transaction import inserted_id
from glpi_scim.glpi import history
from glpi_scim.glpi import text as glpi_text


def find_or_create(
    connection: Connection,
    table: Table,
    itemtype: str,
    name: str | None,
    log: history.History,
    now: datetime,
    *,
    found: Sequence[tuple[int, str]] | None = None,
) -> tuple[int, str | None]:
    """The id of the dropdown row called `name` (0 for no name), and its stored (encoded)
    name, which history rows quote. `found`: the rows called `name`, lowest id first, when
    the write already read them locked (creation.py)."""
    name = (name or "").strip()
    if not name:
        return 0, None
    encoded = glpi_text.encode(name)
    if found is None:
        if connection.dialect.name == "sqlite":
            same = sqlite_equal(table.c.name, encoded)
        else:
            same = table.c.name == encoded
        # FOR UPDATE: two transactions adding the same new title serialise on the index gap,
        # and the second one (retried after the deadlock) finds the first one's row.
        query = (
            select(table.c.id, table.c.name).where(same).order_by(table.c.id).limit(1)
        ).with_for_update()
        found = [(int(row.id), row.name or "") for row in connection.execute(query)]
    if found:
        return found[0]
    result = connection.execute(
        table.insert().values(name=encoded, date_mod=now, date_creation=now)
    )
    new_id = inserted_id(result)
    log.created(itemtype, new_id)
    return new_id, encoded


def names(connection: Connection, table: Table, ids: set[int]) -> dict[int, str]:
    """Stored (encoded) names by id."""
    ids = {i for i in ids if i}
    if not ids:
        return {}
    rows = connection.execute(select(table.c.id, table.c.name).where(table.c.id.in_(ids)))
    return {row.id: row.name or "" for row in rows}
