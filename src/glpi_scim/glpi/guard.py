"""The mass-change guard: a limit on the deactivations and deletions one server makes.

An identity provider whose scope is misconfigured deprovisions everyone in minutes. Each server
therefore has a limit (default 50 per 10 minutes, 0 off) on removals — a user or group deleted
under any delete policy, a user deactivated by PATCH or PUT — in a sliding window. The removal
past the limit trips the guard: from then on every removal is refused with 503 (everything
else is served) until an administrator runs `glpi-scim server resume NAME`.

Everything is in the database, so several processes share one count: each removal locks its
server's guard row inside the removal's own transaction, counts the window's rows and adds
its own, so concurrent removals queue on that row and cannot all slip past the limit. A
request that removes nothing never reads these tables.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.engine import RowMapping

from glpi_scim.db import tables
from glpi_scim.db.clock import from_db, to_db, utcnow
from glpi_scim.db.database import Database
from glpi_scim.identity.durations import describe_duration, parse_duration
from glpi_scim.identity.errors import InvalidServerSetting
from glpi_scim.identity.models import IdentityServer
from glpi_scim.scim.errors import ServiceUnavailable

LOG = logging.getLogger(__name__)

GUARDS = tables.guards
REMOVALS = tables.removals

DEFAULT_MAX_REMOVALS = 50
DEFAULT_WINDOW = timedelta(minutes=10)
MAX_WINDOW = timedelta(days=7)
MAX_LIMIT = 1_000_000
_MINUTES = re.compile(r"(\d+)\s*m(?!in)", re.IGNORECASE)


@dataclass(frozen=True)
class RemovalLimit:
    """At most `count` removals in any `window`; count 0: no limit."""

    count: int = DEFAULT_MAX_REMOVALS
    window: timedelta = DEFAULT_WINDOW

    @property
    def enabled(self) -> bool:
        return self.count > 0

    def __str__(self) -> str:
        if not self.enabled:
            return "off"
        return f"{self.count} per {describe_duration(self.window)}"


def parse_limit(text: str) -> RemovalLimit:
    """`"50/10m"` -> 50 per 10 minutes (`m` means minutes here); `"0"` -> off."""
    spec = text.strip()
    if spec == "0":
        return RemovalLimit(0, DEFAULT_WINDOW)
    count_text, slash, period = spec.partition("/")
    if not slash or not count_text.strip().isdigit():
        raise InvalidServerSetting(
            f"--max-removals {text!r}: expected N/PERIOD, e.g. 50/10m (50 per 10 minutes), "
            "or 0 to turn the guard off"
        )
    count = int(count_text)
    if count > MAX_LIMIT:
        raise InvalidServerSetting(f"--max-removals {text!r}: at most {MAX_LIMIT:,} removals")
    try:
        window = parse_duration(_MINUTES.sub(r"\1min", period))
    except ValueError as exc:
        raise InvalidServerSetting(f"--max-removals {text!r}: {exc}") from None
    if window < timedelta(minutes=1) or window > MAX_WINDOW:
        raise InvalidServerSetting(
            f"--max-removals {text!r}: the period must be between 1min and "
            f"{describe_duration(MAX_WINDOW)}"
        )
    return RemovalLimit(count, window) if count else RemovalLimit(0, window)


@dataclass(frozen=True)
class GuardState:
    """What `server show` and `server status` tell about a server's guard."""

    limit: RemovalLimit
    tripped: bool
    since: datetime | None  # when it tripped
    count: int  # tripped: the removals counted then; else those in the current window
    refused: int  # removals refused since it tripped
    last_refused: datetime | None
    last_refused_what: str | None
    resumed: datetime | None  # the last `server resume`; since and refusals stay as a record

    @property
    def threshold(self) -> int:
        return self.limit.count

    @property
    def window(self) -> timedelta:
        return self.limit.window


class GuardTripped(ServiceUnavailable):
    """503 to a removal while the guard holds (Retry-After: its window)."""

    def __init__(self, server: IdentityServer, state: GuardState, what: str) -> None:
        window = describe_duration(state.window)
        since = state.since or utcnow()
        super().__init__(
            f"the mass-change guard of identity server {server.name!r} tripped at "
            f"{since:%Y-%m-%d %H:%M:%S} UTC: {state.count} users and groups were deactivated "
            f"or deleted within {window} (limit {state.limit}), so this removal ({what}) and "
            "every further deactivation or deletion are refused; other requests are served. "
            "Once the identity provider's scope is checked, an administrator lifts it with "
            f"`glpi-scim server resume {server.name}`",
            retry_after=int(state.window.total_seconds()),
        )
        self.server = server
        self.state = state
        self.what = what


# -- in the removal's transaction ------------------------------------------------------------


def count_removal(
    connection: Connection, server: IdentityServer, itemtype: str, items_id: int, what: str
) -> None:
    """Record one removal of `server`, or raise GuardTripped (nothing recorded: the caller's
    transaction rolls back, then `record_refusal` runs in a transaction of its own)."""
    row = _locked_row(connection, server.id)
    limit = _limit(row)
    if row is not None and row["is_tripped"]:
        raise GuardTripped(server, _state(row, int(row["tripped_count"])), what)
    if not limit.enabled:
        return
    now = utcnow()
    start = to_db(now - limit.window)
    in_window = (REMOVALS.c.servers_id == server.id, REMOVALS.c.date_creation > start)
    # A locking read: it sees removals committed after this transaction's snapshot began.
    counted = select(func.count()).select_from(REMOVALS).where(*in_window).with_for_update()
    count = int(connection.execute(counted).scalar() or 0)
    if count >= limit.count:
        tripped = GuardState(limit, True, now, count, 0, None, None, None)
        raise GuardTripped(server, tripped, what)
    connection.execute(
        insert(REMOVALS).values(
            servers_id=server.id, date_creation=to_db(now), itemtype=itemtype, items_id=items_id
        )
    )
    connection.execute(
        delete(REMOVALS).where(
            REMOVALS.c.servers_id == server.id, REMOVALS.c.date_creation <= start
        )
    )


def record_refusal(connection: Connection, refusal: GuardTripped) -> None:
    """Trip the guard (when this refusal is the first) and note what was refused."""
    server = refusal.server
    row = _locked_row(connection, server.id)
    now = to_db(utcnow())
    values: dict[str, object] = {
        "refused_count": (int(row["refused_count"]) if row is not None else 0) + 1,
        "date_last_refused": now,
        "last_refused": refusal.what[:255],
    }
    if row is None or not row["is_tripped"]:
        values.update(
            is_tripped=1,
            date_tripped=to_db(refusal.state.since) or now,
            tripped_count=refusal.state.count,
            refused_count=1,
        )
        LOG.warning(
            "mass-change guard of identity server %s (id %s) tripped: %s removals within %s; "
            "refusing removals until `glpi-scim server resume`",
            server.name,
            server.id,
            refusal.state.count,
            describe_duration(refusal.state.window),
        )
    connection.execute(update(GUARDS).where(GUARDS.c.servers_id == server.id).values(**values))


def _locked_row(connection: Connection, server_id: int) -> RowMapping | None:
    """The server's guard row, locked until commit; created with the default limit when a
    server has none (a concurrent creation is a duplicate key, which the store retries)."""
    query = select(GUARDS).where(GUARDS.c.servers_id == server_id).with_for_update()
    row = connection.execute(query).mappings().first()
    if row is None:
        connection.execute(insert(GUARDS).values(servers_id=server_id))
        row = connection.execute(query).mappings().first()
    return row


def _limit(row: RowMapping | None) -> RemovalLimit:
    if row is None:
        return RemovalLimit()
    return RemovalLimit(int(row["max_removals"]), timedelta(seconds=int(row["window_seconds"])))


def _state(row: RowMapping | None, count: int) -> GuardState:
    if row is None:
        return GuardState(RemovalLimit(), False, None, count, 0, None, None, None)
    return GuardState(
        limit=_limit(row),
        tripped=bool(row["is_tripped"]),
        since=from_db(row["date_tripped"]),
        count=count,
        refused=int(row["refused_count"]),
        last_refused=from_db(row["date_last_refused"]),
        last_refused_what=row["last_refused"],
        resumed=from_db(row["date_resumed"]),
    )


# -- administration --------------------------------------------------------------------------


class GuardService:
    """The guard's state, limit and resumption, for the CLI."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def state(self, server: IdentityServer) -> GuardState:
        with self.database.begin() as connection:
            row = (
                connection.execute(select(GUARDS).where(GUARDS.c.servers_id == server.id))
                .mappings()
                .first()
            )
            if row is not None and row["is_tripped"]:
                return _state(row, int(row["tripped_count"]))
            window = _limit(row).window
            start = to_db(utcnow() - window)
            count = connection.execute(
                select(func.count())
                .select_from(REMOVALS)
                .where(REMOVALS.c.servers_id == server.id, REMOVALS.c.date_creation > start)
            ).scalar()
        return _state(row, int(count or 0))

    def set_limit(self, server_id: int, limit: RemovalLimit) -> None:
        values = {
            "max_removals": limit.count,
            "window_seconds": int(limit.window.total_seconds()),
        }
        with self.database.begin() as connection:
            result = connection.execute(
                update(GUARDS).where(GUARDS.c.servers_id == server_id).values(**values)
            )
            if not result.rowcount:
                connection.execute(insert(GUARDS).values(servers_id=server_id, **values))

    def resume(self, server: IdentityServer) -> GuardState:
        """Lift a tripped guard and start a new window; returns the state it lifted (or the
        current one, not tripped, when there was nothing to lift)."""
        with self.database.begin() as connection:
            row = _locked_row(connection, server.id)
            if row is None or not row["is_tripped"]:
                return _state(row, 0)
            lifted = _state(row, int(row["tripped_count"]))
            connection.execute(
                update(GUARDS)
                .where(GUARDS.c.servers_id == server.id)
                .values(is_tripped=0, date_resumed=to_db(utcnow()))
            )
            connection.execute(delete(REMOVALS).where(REMOVALS.c.servers_id == server.id))
        return lifted
