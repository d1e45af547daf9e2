"""Who owns a GLPI user or group: the one identity server allowed to write it (owners table)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, Connection, Row, bindparam, delete, select, update

from glpi_scim.db import dml, tables

Origin = Literal["created", "adopted", "migrated"]
OWNERS = tables.owners


@dataclass(frozen=True)
class Owner:
    servers_id: int
    origin: str


def owner_of(connection: Connection, itemtype: str, items_id: int) -> Owner | None:
    row = connection.execute(
        select(OWNERS.c.servers_id, OWNERS.c.origin)
        .where(OWNERS.c.itemtype == itemtype, OWNERS.c.items_id == items_id)
        .with_for_update()
    ).first()
    if row is None:
        return None
    return Owner(int(row.servers_id), row.origin)


def owner_columns(itemtype: str, items_id: ColumnElement[int]) -> list[ColumnElement[Any]]:
    """The owner of the item whose id is `items_id`, as two scalar subqueries correlated to it,
    for the write's locking read of the item's row (users.py's LOCKED_USER, the store's
    `_lock_group`).

    Correlated, they run once the item's row is locked, so they see the last committed owner
    (MariaDB: an uncorrelated subquery would run first and fix an older snapshot); they take
    no lock of their own: every write of the item holds the item's row lock first.
    """
    found = OWNERS.c.itemtype == itemtype, OWNERS.c.items_id == items_id
    return [
        select(OWNERS.c.servers_id).where(*found).scalar_subquery().label("scim_owner_server"),
        select(OWNERS.c.origin).where(*found).scalar_subquery().label("scim_owner_origin"),
    ]


def owner_in(row: Row[Any]) -> Owner | None:
    """The owner that `owner_columns` read with the row."""
    found = row._mapping
    if found["scim_owner_server"] is None:
        return None
    return Owner(int(found["scim_owner_server"]), found["scim_owner_origin"])


def record(
    connection: Connection,
    itemtype: str,
    items_id: int,
    server_id: int,
    origin: Origin,
    now: datetime,
) -> None:
    connection.execute(
        dml.insert(OWNERS),
        {
            "itemtype": itemtype,
            "items_id": items_id,
            "servers_id": server_id,
            "origin": origin,
            "date_creation": now,
            "date_mod": now,
        },
    )


# Built once: the item is bound (names no column of the table has).
_TOUCH = update(OWNERS).where(
    OWNERS.c.itemtype == bindparam("owned_itemtype"),
    OWNERS.c.items_id == bindparam("owned_items_id"),
)


def touch(connection: Connection, itemtype: str, items_id: int, now: datetime) -> None:
    """The owner wrote the item (last change by which server)."""
    parameters = {"date_mod": now, "owned_itemtype": itemtype, "owned_items_id": items_id}
    connection.execute(_TOUCH, parameters)


def forget(connection: Connection, itemtype: str, items_id: int) -> None:
    """The item was purged: nobody owns it any more."""
    connection.execute(
        delete(OWNERS).where(OWNERS.c.itemtype == itemtype, OWNERS.c.items_id == items_id)
    )
