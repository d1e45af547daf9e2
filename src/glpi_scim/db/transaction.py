"""One database transaction per store call, retried on lock conflicts, failures as SCIM errors.

- Deadlocks and lock-wait timeouts (MariaDB 1213/1205) are retried on a fresh transaction with
  a growing, jittered pause, up to `lock_attempts` times and never past the database timeout
  (InnoDB reports a deadlock at once, and parallel creations of different users deadlock
  often on the login index's gap locks, so a few quick retries are not enough); duplicate keys
  hit by a concurrent writer are retried `attempts` times. The work function must therefore be
  safe to run again (it is: nothing is kept between attempts).
- A transaction whose connection turns out dead before its COMMIT (pooled connections are
  pinged only after sitting idle, liveness.py) runs once more on a fresh one: the database
  kept nothing of it. A connection lost during the COMMIT is a 503: the outcome is unknown.
- A lost or refused connection, or the retries running out, is a 503 ServiceUnavailable with
  Retry-After: the request can be repeated; nothing was written.
- Each transaction runs with the session in UTC (MariaDB) and GLPI's collation functions
  registered (SQLite): database.py sets both up on every new connection. Read-only work runs
  in `Database.read()`, which shares the request's read transaction.
"""

from __future__ import annotations

import logging
import random
import re
import time
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Connection, CursorResult
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from glpi_scim.db.database import Database
from glpi_scim.db.statement_limit import is_statement_timeout
from glpi_scim.scim.errors import ScimError, ServiceUnavailable, Uniqueness

T = TypeVar("T")
LOG = logging.getLogger(__name__)

_LOCK_CONFLICTS = {1205, 1213}  # lock wait timeout, deadlock
_DUPLICATE_KEY = 1062
_KEY_NAME = re.compile(r"for key '(?:[^']*\.)?([^'.]+)'")
# What a duplicate on each unique key means for the client.
_KEY_MEANING = {
    "unicityloginauth": "userName is already used by another GLPI user",
    "external_id": "externalId is already used on this identity server",
}


def inserted_id(result: CursorResult[Any]) -> int:
    """The id of the row an INSERT just wrote."""
    key = result.inserted_primary_key
    if key is None or key[0] is None:
        raise RuntimeError("the database did not return the new row's id")
    return int(key[0])


def _error_code(exc: DBAPIError) -> int | None:
    original = exc.orig
    args = getattr(original, "args", None)
    if args and isinstance(args[0], int):
        return args[0]
    return None


class Transactions:
    def __init__(
        self,
        database: Database,
        *,
        attempts: int = 5,
        lock_attempts: int = 30,
        retry_after: int = 2,
    ):
        self.database = database
        self.attempts = attempts
        self.lock_attempts = lock_attempts
        self.retry_after = retry_after

    def run(self, work: Callable[[Connection], T], *, read_only: bool = False) -> T:
        """`work(connection)` in one transaction, committed when it returns. A `read_only`
        one must not write (on SQLite it runs without the write lock)."""
        deadline = time.monotonic() + self.database.timeout
        attempt = conflicts = 0
        while True:
            attempt += 1
            committing = [False]  # set once `work` returned: a failure after is ambiguous
            try:
                return self._once(work, read_only, committing)
            except ScimError:
                raise
            except IntegrityError as exc:
                if attempt < self.attempts and _error_code(exc) in (_DUPLICATE_KEY, None):
                    continue  # a concurrent writer got there first: the checks run again
                raise self._uniqueness(exc) from None
            except OperationalError as exc:
                if exc.connection_invalidated and attempt == 1 and not committing[0]:
                    # A dead pooled connection (not pinged, liveness.py) before any COMMIT:
                    # the database kept nothing of this transaction; run it on a fresh one.
                    continue
                if _error_code(exc) not in _LOCK_CONFLICTS:
                    raise self._unavailable(exc) from None
                conflicts += 1
                pause = self._pause(conflicts)
                if conflicts >= self.lock_attempts or time.monotonic() + pause > deadline:
                    LOG.warning("gave up after %d lock conflicts in a row", conflicts)
                    raise self._unavailable(exc) from None
                time.sleep(pause)
            except DBAPIError as exc:
                if exc.connection_invalidated and attempt < self.attempts:
                    continue
                raise self._unavailable(exc) from None

    def _once(self, work: Callable[[Connection], T], read_only: bool, committing: list[bool]) -> T:
        if read_only:
            with self.database.read() as connection:
                return work(connection)
        with self.database.begin() as connection:
            done = work(connection)
            committing[0] = True
            return done

    @staticmethod
    def _pause(conflicts: int) -> float:
        """Seconds to wait before the next attempt: doubling from 10 ms up to 0.5 s, jittered
        so that the transactions that collided do not collide again."""
        return min(0.5, 0.01 * 2.0**conflicts) * (0.5 + random.random())

    def _uniqueness(self, exc: IntegrityError) -> Uniqueness:
        match = _KEY_NAME.search(str(exc.orig))
        meaning = _KEY_MEANING.get(match.group(1)) if match else None
        return Uniqueness(meaning or "the change conflicts with an existing GLPI record")

    def _unavailable(self, exc: DBAPIError) -> ServiceUnavailable:
        if is_statement_timeout(exc):
            return statement_timed_out(self.database.statement_timeout, self.retry_after)
        LOG.warning("database unavailable: %s", type(exc.orig).__name__ if exc.orig else exc)
        return ServiceUnavailable(
            "the GLPI database cannot be reached or is busy; retry later",
            retry_after=self.retry_after,
        )


def statement_timed_out(seconds: int, retry_after: int) -> ServiceUnavailable:
    """The answer to a request whose statement the database stopped at its time limit."""
    LOG.warning("a statement ran past statement_timeout (%ss) and was stopped", seconds)
    return ServiceUnavailable(
        f"the database stopped this request after {seconds} s (statement_timeout): narrow "
        "the filter or ask for smaller pages, or retry later",
        retry_after=retry_after,
    )
