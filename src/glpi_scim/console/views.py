"""What the console's pages show, read through the services `glpi-scim` uses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from glpi_scim.db import tables
from glpi_scim.db.clock import from_db, utcnow
from glpi_scim.db.database import Database
from glpi_scim.glpi import text as glpi_text
from glpi_scim.glpi.accounts import Account, AccountService
from glpi_scim.glpi.guard import GuardState
from glpi_scim.identity.durations import describe_duration
from glpi_scim.identity.models import IdentityServer
from glpi_scim.scim.store import GROUP
from glpi_scim.servers.service import ServerService
from glpi_scim.servers.stats import StatsRepository


@dataclass(frozen=True)
class ServerRow:
    server: IdentityServer
    last_request: datetime | None
    requests_last_day: int
    errors_last_day: int
    guard: str
    guard_alert: bool


def guard_text(state: GuardState) -> tuple[str, bool]:
    """The guard in a few words, and whether it needs the administrator (tripped, or off)."""
    if not state.limit.enabled:
        return "off", True
    if state.tripped:
        return f"TRIPPED: {state.count} removals, {state.refused} refused", True
    return f"armed ({state.count} of {state.limit} in {describe_duration(state.window)})", False


def server_rows(database: Database, service: ServerService) -> list[ServerRow]:
    stats = StatsRepository(database)
    now = utcnow()
    rows = []
    for server in service.list_all():
        activity = stats.summary(server.id, now)
        text, alert = guard_text(service.guard.state(server))
        rows.append(
            ServerRow(
                server,
                activity.last_request,
                activity.requests_last_day,
                activity.errors_last_day,
                text,
                alert,
            )
        )
    return rows


@dataclass(frozen=True)
class OwnedGroup:
    id: int
    name: str
    origin: str
    owned_since: datetime | None
    last_change: datetime | None


def owned_users(database: Database, server: IdentityServer) -> list[Account]:
    return AccountService(database).list(server_id=server.id)


def owned_groups(database: Database, server: IdentityServer) -> list[OwnedGroup]:
    owners, groups = tables.owners, tables.groups
    query = (
        select(
            groups.c.id, groups.c.name, owners.c.origin, owners.c.date_creation, owners.c.date_mod
        )
        .join(owners, owners.c.items_id == groups.c.id)
        .where(owners.c.itemtype == GROUP, owners.c.servers_id == server.id)
        .order_by(groups.c.name, groups.c.id)
    )
    with database.read() as connection:
        rows = connection.execute(query).all()
    return [
        OwnedGroup(
            int(row.id),
            glpi_text.decode(row.name or ""),
            row.origin,
            from_db(row.date_creation),
            from_db(row.date_mod),
        )
        for row in rows
    ]
