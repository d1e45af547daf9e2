"""Ping a pooled MariaDB connection only when it has sat idle, not on every checkout.

`pool_pre_ping` costs every request one round trip. A connection handed back to the pool a
moment ago is almost always alive; the ones that are not (a server restart, wait_timeout, a
proxy's idle timeout, a Galera node gone) are mostly those left idle. So a checkout pings only
a connection idle for more than `IDLE_PING_SECONDS`; a dead one is replaced before use (the
pool retries the checkout). A connection that dies while in use, or within the bound, fails
its first statement: SQLAlchemy then invalidates it and every older pooled connection, and a
read is run once more on a fresh one (`Database.reading`, `Transactions.run`).
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.exc import DisconnectionError

# Longer than the gap between two requests of a busy instance (no ping under load), shorter
# than any idle timeout a server or proxy is configured with (MariaDB's wait_timeout is 8 h,
# HAProxy's `timeout server` typically 30 s or more).
IDLE_PING_SECONDS = 5.0

# Set in a checkout's record info when that checkout pinged (the benchmark counts the trip).
PINGED = "glpi_scim_pinged"
_CHECKED_IN_AT = "glpi_scim_checked_in_at"


def ping_when_idle(engine: Engine, idle_seconds: float = IDLE_PING_SECONDS) -> None:
    """Make `engine`'s pool ping a connection on checkout only after `idle_seconds` idle."""

    def connected(_dbapi_connection: Any, record: Any) -> None:
        record.info[_CHECKED_IN_AT] = time.monotonic()  # new: just proven alive

    def checked_in(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info[_CHECKED_IN_AT] = time.monotonic()

    def checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get(_CHECKED_IN_AT)
        if since is not None and time.monotonic() - since <= idle_seconds:
            record.info.pop(PINGED, None)
            return
        record.info[PINGED] = True
        try:
            dbapi_connection.ping(False)  # PyMySQL: COM_PING, no silent reconnect
        except Exception as exc:
            # The pool discards this connection and checks out (or opens) another.
            raise DisconnectionError("an idle pooled connection no longer answers") from exc

    event.listen(engine, "connect", connected)
    event.listen(engine.pool, "checkin", checked_in)
    event.listen(engine.pool, "checkout", checked_out)
