"""The tool's per-server row of a GLPI user or group: externalId, verbatim attributes, tombstone.

One row per (identity server, itemtype, item). `attributes` holds, as JSON, what the identity
provider sent that GLPI has no column for; `is_deleted` marks an item this server deleted under
the "deactivate" policy (GLPI keeps the user, SCIM answers 404 for it on this server).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, select, update

from glpi_scim.db import dml, tables
from glpi_scim.scim.errors import Uniqueness

ROWS = tables.scim_resources


@dataclass
class ToolRow:
    id: int
    external_id: str | None
    stored: dict[str, Any] = field(default_factory=dict)
    is_deleted: bool = False


@dataclass(frozen=True)
class ExternalIdHolder:
    """A tool row of this server holding an externalId (for the collation), and whether the
    item it names is one this server still sees (a create's facts: creation.py,
    group_facts.py)."""

    row_id: int
    items_id: int
    external_id: str | None
    visible: bool


def row_columns(server_id: Any, itemtype: str, items_id: Any) -> list[Any]:
    """The tool's row of the item whose id is `items_id` (a column), as scalar subqueries
    correlated to it, labelled scim_row_id, scim_external_id and scim_attributes: a write's
    locking read of the item reads them so, since a join would lock the tool's row too."""
    found = ROWS.c.servers_id == server_id, ROWS.c.itemtype == itemtype, ROWS.c.items_id == items_id
    return [
        select(column).where(*found).scalar_subquery().label(label)
        for label, column in (
            ("scim_row_id", ROWS.c.id),
            ("scim_external_id", ROWS.c.external_id),
            ("scim_attributes", ROWS.c.attributes),
        )
    ]


def parse_attributes(raw: str | None) -> dict[str, Any]:
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {}  # a row edited by hand: GLPI's columns still give the resource
    return value if isinstance(value, dict) else {}


def dump_attributes(stored: Mapping[str, Any]) -> str | None:
    return json.dumps(stored, ensure_ascii=False, separators=(",", ":")) if stored else None


def load(
    connection: Connection, server_id: int, itemtype: str, items_ids: Iterable[int]
) -> dict[int, ToolRow]:
    ids = list(items_ids)
    if not ids:
        return {}
    query = select(
        ROWS.c.id, ROWS.c.items_id, ROWS.c.external_id, ROWS.c.attributes, ROWS.c.is_deleted
    ).where(ROWS.c.servers_id == server_id, ROWS.c.itemtype == itemtype, ROWS.c.items_id.in_(ids))
    return {
        row.items_id: ToolRow(
            row.id, row.external_id, parse_attributes(row.attributes), bool(row.is_deleted)
        )
        for row in connection.execute(query)
    }


# The tool row's unique key per item, and what a save sets on the row already there.
_ITEM_KEY = ("servers_id", "itemtype", "items_id")
_SAVED = ("external_id", "attributes", "is_deleted", "date_mod")


def save(
    connection: Connection,
    server_id: int,
    itemtype: str,
    items_id: int,
    external_id: str | None,
    stored: Mapping[str, Any],
    now: datetime,
) -> None:
    """Write the row (live again if it was a tombstone), in one statement: an INSERT that
    updates the row already there for this item.

    The callers claim the externalId first (claim_external_id), so no other row of the server
    holds it: MariaDB's ON DUPLICATE KEY, which fires on either unique key, can only meet this
    item's own row.
    """
    values = {
        "external_id": external_id,
        "attributes": dump_attributes(stored),
        "is_deleted": 0,
        "date_mod": now,
    }
    row = {"servers_id": server_id, "itemtype": itemtype, "items_id": items_id}
    row.update(values, date_creation=now)
    sqlite = connection.dialect.name == "sqlite"
    connection.execute(dml.upsert(ROWS, sqlite, _ITEM_KEY, _SAVED), row)


def mark_deleted(
    connection: Connection, server_id: int, itemtype: str, items_id: int, now: datetime
) -> None:
    """Tombstone: the item stays in GLPI but this server no longer sees it."""
    done = connection.execute(
        update(ROWS)
        .where(
            ROWS.c.servers_id == server_id,
            ROWS.c.itemtype == itemtype,
            ROWS.c.items_id == items_id,
        )
        .values(is_deleted=1, external_id=None, date_mod=now)
    )
    if done.rowcount == 0:
        connection.execute(
            ROWS.insert().values(
                servers_id=server_id,
                itemtype=itemtype,
                items_id=items_id,
                is_deleted=1,
                date_creation=now,
                date_mod=now,
            )
        )


def remove(
    connection: Connection, itemtype: str, items_id: int, server_id: int | None = None
) -> None:
    """Forget the item: for one server, or for all (the item itself is gone)."""
    condition = and_(ROWS.c.itemtype == itemtype, ROWS.c.items_id == items_id)
    if server_id is not None:
        condition = and_(condition, ROWS.c.servers_id == server_id)
    connection.execute(delete(ROWS).where(condition))


def external_id_held(server_id: Any, itemtype: str, external_id: Any) -> Any:
    """SQL: a tool row of this server and itemtype holds `external_id` (for the collation)."""
    return and_(
        ROWS.c.servers_id == server_id,
        ROWS.c.itemtype == itemtype,
        ROWS.c.external_id == external_id,
    )


def claim_external_id(
    connection: Connection,
    server_id: int,
    itemtype: str,
    external_id: str | None,
    items_id: int | None,
    *,
    holder_visible: Callable[[int], bool],
) -> None:
    """Make `external_id` free for `items_id` on this server, or raise Uniqueness.

    A row holding it for an item no longer visible (trashed, purged in GLPI, deleted through
    SCIM) gives it up; `holder_visible(items_id) -> bool` decides visibility.
    """
    if external_id is None:
        return
    query = select(ROWS.c.id, ROWS.c.items_id, ROWS.c.external_id).where(
        external_id_held(server_id, itemtype, external_id)
    )
    holders = [
        ExternalIdHolder(row.id, row.items_id, row.external_id, holder_visible(row.items_id))
        for row in connection.execute(query.with_for_update())
        if row.items_id != items_id
    ]
    settle_external_id(connection, itemtype, external_id, items_id, holders)


def settle_external_id(
    connection: Connection,
    itemtype: str,
    external_id: str | None,
    items_id: int | None,
    holders: Iterable[ExternalIdHolder],
) -> None:
    """claim_external_id once its rows (those of the server holding `external_id` for the
    collation, locked) are read with their items' visibility."""
    if external_id is None:
        return
    for holder in holders:
        if holder.items_id == items_id:
            continue
        if holder.visible and holder.external_id == external_id:
            raise Uniqueness(
                f"externalId {external_id!r} is already used by {itemtype} {holder.items_id} "
                "on this identity server"
            )
        # Equal only for the collation: the unique key would still refuse it.
        if holder.visible:
            raise Uniqueness(
                f"externalId {external_id!r} differs only in case or accents from "
                f"{holder.external_id!r}, already used by {itemtype} {holder.items_id}"
            )
        connection.execute(update(ROWS).where(ROWS.c.id == holder.row_id).values(external_id=None))
