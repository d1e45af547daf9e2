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
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from glpi_scim.glpi import tables
from glpi_scim.glpi.database import Database
from glpi_scim.scim.errors import ScimError
from glpi_scim.servers.clock import from_db, to_db, utcnow

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
    ) -> None:
        self.database = database
        self.policy = policy or ThrottlePolicy()
        self.clock = clock

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
        query = select(FAILURES.c.failures, FAILURES.c.blocked_until).where(
            FAILURES.c.servers_id == server_id, FAILURES.c.client_ip == key
        )
        with self.database.read() as connection:
            row = connection.execute(query).first()
        if row is None:
            return False
        blocked_until = from_db(row.blocked_until)
        now = self.clock()
        if blocked_until is not None and blocked_until > now:
            retry_after = max(1, math.ceil((blocked_until - now).total_seconds()))
            raise TooManyFailures(retry_after, source=source)
        return True

    def _record(self, server_id: int, ip: str) -> None:
        now = self.clock()
        window_opened_after = to_db(now - self.policy.window)
        row_filter = (FAILURES.c.servers_id == server_id, FAILURES.c.client_ip == ip)
        in_window = FAILURES.c.window_start > window_opened_after
        count = (
            update(FAILURES)
            .where(*row_filter)
            .values(
                failures=case((in_window, FAILURES.c.failures + 1), else_=1),
                window_start=case((in_window, FAILURES.c.window_start), else_=to_db(now)),
            )
        )
        with self.database.begin() as connection:
            if connection.execute(count).rowcount == 0:
                try:
                    with connection.begin_nested():
                        connection.execute(
                            insert(FAILURES).values(
                                servers_id=server_id,
                                client_ip=ip,
                                failures=1,
                                window_start=to_db(now),
                            )
                        )
                except IntegrityError:  # another instance inserted it meanwhile
                    connection.execute(count)
            failures = connection.execute(
                select(FAILURES.c.failures).where(*row_filter)
            ).scalar_one()
            if failures >= self.policy.max_failures:
                connection.execute(
                    update(FAILURES)
                    .where(*row_filter)
                    .values(
                        failures=0,
                        window_start=to_db(now),
                        blocked_until=to_db(now + self.policy.block),
                    )
                )
                logger.warning(
                    "server %s: %s blocked for %d s after %d authentication failures",
                    server_id,
                    ip,
                    self.policy.block.total_seconds(),
                    failures,
                )

    def _clear(self, server_id: int, key: str) -> None:
        with self.database.begin() as connection:
            connection.execute(
                delete(FAILURES).where(
                    FAILURES.c.servers_id == server_id, FAILURES.c.client_ip == key
                )
            )


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
