"""Slowing down guessing: repeated authentication failures per client address and server.

Policy (defaults): 10 failures within 5 minutes block the address for 5 minutes; blocked
requests get 429 with Retry-After and their credentials are not even checked. Counters live in
the auth_failures table so that every instance sees the same ones. A success clears them.

An address is counted by its network for IPv6 (the /64 every host of one site or one customer
shares: one attacker holds billions of its addresses), by itself for IPv4. GLPI sign-ins on the
consent page are also counted per login, across all servers (the `servers_id` 0 rows): a GLPI
password opens every server's consent page, and an attacker may change addresses.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, case, delete, or_, select, update

from glpi_scim.db import dml, tables
from glpi_scim.db.clock import from_db, to_db, utcnow
from glpi_scim.db.database import Database
from glpi_scim.db.transaction import Transactions
from glpi_scim.scim.errors import ScimError

logger = logging.getLogger("glpi_scim.security")

FAILURES = tables.auth_failures
# servers_id of the per-login counters: a GLPI account is the same on every identity server.
ANY_SERVER = 0


@dataclass(frozen=True)
class ThrottlePolicy:
    max_failures: int = 10
    window: timedelta = timedelta(minutes=5)
    block: timedelta = timedelta(minutes=5)


class TooManyFailures(ScimError):
    """429: the address failed too often; `retry_after` seconds until it may try again."""

    status = 429

    def __init__(self, retry_after: int, *, source: str = "from this address") -> None:
        super().__init__(
            f"Too many failed authentication attempts {source}; retry in {retry_after} seconds.",
            headers={"Retry-After": str(retry_after)},
        )
        self.retry_after = retry_after


class Throttle:
    def __init__(
        self,
        database: Database,
        policy: ThrottlePolicy | None = None,
        *,
        clock: Callable[[], datetime] = utcnow,
        cache_seconds: float = 0,
    ) -> None:
        self.database = database
        self.policy = policy or ThrottlePolicy()
        self.clock = clock
        self.recent = RecentFailures(self, cache_seconds)

    def check(self, server_id: int, client_ip: str) -> bool:
        """Raise TooManyFailures while the address is blocked; True when failures are on record
        (so that a success knows there is something to clear)."""
        return self._check(server_id, address_key(client_ip), "from this address")

    def record_failure(self, server_id: int, client_ip: str) -> None:
        """Count one failure; block the address when the window's limit is reached."""
        self._record(server_id, address_key(client_ip))

    def clear(self, server_id: int, client_ip: str) -> None:
        self._clear(server_id, address_key(client_ip))

    # GLPI sign-ins, per login on every server.

    def check_login(self, login: str) -> bool:
        return self._check(ANY_SERVER, login_key(login), "for this login")

    def record_login_failure(self, login: str) -> None:
        self._record(ANY_SERVER, login_key(login))

    def clear_login(self, login: str) -> None:
        self._clear(ANY_SERVER, login_key(login))

    def _check(self, server_id: int, key: str, source: str) -> bool:
        if not self.recent.may_have(server_id, key):
            return False
        query = select(FAILURES.c.failures, FAILURES.c.blocked_until).where(
            FAILURES.c.servers_id == server_id, FAILURES.c.client_ip == key
        )
        row = self.database.reading(lambda connection: connection.execute(query).first())
        if row is None:
            return False
        blocked_until = from_db(row.blocked_until)
        now = self.clock()
        if blocked_until is not None and blocked_until > now:
            retry_after = max(1, math.ceil((blocked_until - now).total_seconds()))
            raise TooManyFailures(retry_after, source=source)
        return True

    def _record(self, server_id: int, key: str) -> None:
        self.recent.add(server_id, key)
        now = self.clock()
        row_filter = (FAILURES.c.servers_id == server_id, FAILURES.c.client_ip == key)

        def work(connection: Connection) -> int | None:
            connection.execute(self._count(server_id, key, now))
            failures: int = connection.execute(
                select(FAILURES.c.failures).where(*row_filter)
            ).scalar_one()
            if failures < self.policy.max_failures:
                return None
            connection.execute(
                update(FAILURES)
                .where(*row_filter)
                .values(
                    failures=0,
                    window_start=to_db(now),
                    blocked_until=to_db(now + self.policy.block),
                )
            )
            return failures

        # Parallel failures from one address are the attack this counts: they meet on the
        # row's unique key, and a deadlock runs the transaction again rather than failing.
        blocked_after = Transactions(self.database).run(work)
        if blocked_after is not None:
            logger.warning(
                "server %s: %s blocked for %d s after %d authentication failures",
                server_id,
                key,
                self.policy.block.total_seconds(),
                blocked_after,
            )

    def _count(self, server_id: int, key: str, now: datetime) -> Any:
        """One more failure on the counter: a new counter at 1, or one whose window has
        passed started again."""
        row = {"servers_id": server_id, "client_ip": key, "failures": 1, "window_start": to_db(now)}
        in_window = FAILURES.c.window_start > to_db(now - self.policy.window)
        counted = [
            # MariaDB sets left to right: the count reads the window before it moves.
            ("failures", case((in_window, FAILURES.c.failures + 1), else_=1)),
            ("window_start", case((in_window, FAILURES.c.window_start), else_=to_db(now))),
        ]
        upsert = dml.upsert_merging(
            FAILURES, self.database.is_sqlite, ("servers_id", "client_ip"), lambda _: counted
        )
        return upsert.values(row)

    def _clear(self, server_id: int, key: str) -> None:
        cleared = delete(FAILURES).where(
            FAILURES.c.servers_id == server_id, FAILURES.c.client_ip == key
        )
        Transactions(self.database).run(lambda connection: connection.execute(cleared))
        self.recent.discard(server_id, key)


class RecentFailures:
    """Which counters may hold failures, so that most checks need no query.

    Every `seconds` (auth_cache_seconds) one query reads the counters still counting or
    blocking (every instance's); the failures this process records are added at once. A
    counter missing from it is not read: another instance's failures block an address here
    within `seconds`. With `seconds` 0 every check reads its counter.
    """

    def __init__(
        self, throttle: Throttle, seconds: float, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.throttle = throttle
        self.seconds = seconds
        self.clock = clock
        self._lock = threading.Lock()
        self._keys: set[tuple[int, str]] = set()
        # Failures recorded here, and when: kept for a period whatever the next read says
        # (it may have run before they were committed).
        self._local: dict[tuple[int, str], float] = {}
        self._read_at = -math.inf

    def may_have(self, server_id: int, key: str) -> bool:
        if self.seconds <= 0:
            return True
        if self.clock() - self._read_at >= self.seconds:
            self._refresh()
        return (server_id, key) in self._keys

    def add(self, server_id: int, key: str) -> None:
        with self._lock:
            self._keys.add((server_id, key))
            self._local[(server_id, key)] = self.clock()

    def discard(self, server_id: int, key: str) -> None:
        with self._lock:
            self._keys.discard((server_id, key))
            self._local.pop((server_id, key), None)

    def _refresh(self) -> None:
        started = self.clock()
        now = self.throttle.clock()
        query = select(FAILURES.c.servers_id, FAILURES.c.client_ip).where(
            or_(
                FAILURES.c.window_start > to_db(now - self.throttle.policy.window),
                FAILURES.c.blocked_until > to_db(now),
            )
        )
        keys = self.throttle.database.reading(
            lambda connection: {
                (int(row.servers_id), row.client_ip) for row in connection.execute(query)
            }
        )
        with self._lock:
            kept_after = started - self.seconds
            self._local = {k: at for k, at in self._local.items() if at >= kept_after}
            self._keys = keys | set(self._local)
            self._read_at = started


def address_key(client_ip: str) -> str:
    """The counter of an address: its /64 network for IPv6, the address itself for IPv4
    (IPv4-mapped IPv6 addresses count as the IPv4 address they carry)."""
    try:
        address = ipaddress.ip_address(client_ip.split("%", 1)[0])
    except ValueError:
        return client_ip[:64]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def login_key(login: str) -> str:
    """The counter of a GLPI login, spelled as GLPI compares logins (trimmed, any case).
    Hashed: a login may be longer than the column and is not an address."""
    digest = hashlib.sha256(login.strip().casefold().encode()).hexdigest()
    return f"login:{digest[:48]}"
