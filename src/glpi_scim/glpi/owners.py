"""Who owns a GLPI user or group: the one identity server allowed to write it (owners table)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import Connection, delete, select, update

from glpi_scim.db import tables

Origin = Literal["created", "adopted", "migrated"]
OWNERS = tables.owners


@dataclass(frozen=True)
class Owner:
    servers_id: int
    origin: str
    date_creation: datetime | None
    date_mod: datetime | None


def owner_of(connection: Connection, itemtype: str, items_id: int) -> Owner | None:
    row = connection.execute(
        select(OWNERS.c.servers_id, OWNERS.c.origin, OWNERS.c.date_creation, OWNERS.c.date_mod)
        .where(OWNERS.c.itemtype == itemtype, OWNERS.c.items_id == items_id)
        .with_for_update()
    ).first()
    if row is None:
        return None
    return Owner(int(row.servers_id), row.origin, row.date_creation, row.date_mod)


def record(
    connection: Connection,
    itemtype: str,
    items_id: int,
    server_id: int,
    origin: Origin,
    now: datetime,
) -> None:
    connection.execute(
        OWNERS.insert().values(
            itemtype=itemtype,
            items_id=items_id,
            servers_id=server_id,
            origin=origin,
            date_creation=now,
            date_mod=now,
        )
    )


def touch(connection: Connection, itemtype: str, items_id: int, now: datetime) -> None:
    """The owner wrote the item (last change by which server)."""
    connection.execute(
        update(OWNERS)
        .where(OWNERS.c.itemtype == itemtype, OWNERS.c.items_id == items_id)
        .values(date_mod=now)
    )


def forget(connection: Connection, itemtype: str, items_id: int) -> None:
    """The item was purged: nobody owns it any more."""
    connection.execute(
        delete(OWNERS).where(OWNERS.c.itemtype == itemtype, OWNERS.c.items_id == items_id)
    )
