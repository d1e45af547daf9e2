"""Old rows deleted by the running server: request-log entries older than `log_retention`, and
failed-login counters (auth_failures) that no longer count or block anything.

Run opportunistically and cheaply: `maybe_start()` costs a clock read on every request and
starts a background run at most once per `every` (10 minutes) per process, the first a minute
after the process started. A run deletes in
batches of `batch` rows, each its own short transaction, so that it never holds locks long;
several instances doing the same at once only delete the same rows twice (harmlessly).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Table, delete, or_, select

from glpi_scim.db import tables
from glpi_scim.db.clock import to_db, utcnow
from glpi_scim.db.database import Database
from glpi_scim.identity.durations import parse_duration

log = logging.getLogger("glpi_scim.server.retention")

DEFAULT_EVERY = timedelta(minutes=10)
# The first run of a process waits this long: start-up and its first requests stay quiet.
DEFAULT_FIRST_RUN_AFTER = timedelta(minutes=1)
DEFAULT_BATCH = 500
# A counter row is stale once its window has closed and it blocks nothing (the throttle's
# window is 5 minutes; an hour leaves a wide margin).
STALE_FAILURES_AFTER = timedelta(hours=1)
# One run deletes at most this many batches per table; the next run goes on.
MAX_BATCHES = 200


def parse_retention(text: str) -> timedelta | None:
    """`"90d"` -> 90 days; `"0"` -> None (keep forever). ValueError otherwise."""
    if text.strip() in ("0", ""):
        return None
    return parse_duration(text)


@dataclass(frozen=True)
class RetentionRun:
    request_logs: int
    auth_failures: int


class Retention:
    def __init__(
        self,
        database: Database,
        keep: timedelta | None,
        *,
        every: timedelta = DEFAULT_EVERY,
        first_run_after: timedelta = DEFAULT_FIRST_RUN_AFTER,
        batch: int = DEFAULT_BATCH,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.database = database
        self.keep = keep
        self.every = every.total_seconds()
        self.batch = batch
        self.clock = clock
        self._next_run = time.monotonic() + first_run_after.total_seconds()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def maybe_start(self) -> None:
        """Start a background run when one is due; never blocks, never raises."""
        now = time.monotonic()
        if now < self._next_run:
            return
        with self._lock:
            if now < self._next_run or (self._thread is not None and self._thread.is_alive()):
                return
            self._next_run = now + self.every
            self._thread = threading.Thread(
                target=self._run_logged, name="glpi-scim-retention", daemon=True
            )
            self._thread.start()

    def schedule_now(self) -> None:
        """Let the next request start a run at once (tests; a process just started)."""
        self._next_run = 0.0

    def wait(self, timeout: float = 30.0) -> None:
        """Wait for the run in progress, if any (tests, shutdown)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def run(self) -> RetentionRun:
        """Delete what is due now; how many rows of each table."""
        now = self.clock()
        logs = tables.request_logs
        failures = tables.auth_failures
        deleted_logs = 0
        if self.keep is not None:
            deleted_logs = self._delete(logs, logs.c.date_creation < to_db(now - self.keep))
        stale_before = to_db(now - STALE_FAILURES_AFTER)
        deleted_failures = self._delete(
            failures,
            or_(failures.c.window_start.is_(None), failures.c.window_start < stale_before),
            or_(failures.c.blocked_until.is_(None), failures.c.blocked_until < to_db(now)),
        )
        return RetentionRun(deleted_logs, deleted_failures)

    def _delete(self, table: Table, *conditions: ColumnElement[bool]) -> int:
        # Ids first, then a delete by id: portable (MariaDB refuses LIMIT in a subquery of
        # DELETE) and each batch is a short transaction.
        deleted = 0
        for _ in range(MAX_BATCHES):
            with self.database.begin() as connection:
                ids = list(
                    connection.execute(
                        select(table.c.id).where(*conditions).order_by(table.c.id).limit(self.batch)
                    ).scalars()
                )
                if ids:
                    connection.execute(delete(table).where(table.c.id.in_(ids), *conditions))
            deleted += len(ids)
            if len(ids) < self.batch:
                break
        return deleted

    def _run_logged(self) -> None:
        try:
            done = self.run()
        except Exception as exc:  # a failed run is retried at the next interval
            log.warning("retention: old rows not deleted: %s", type(exc).__name__)
            return
        if done.request_logs or done.auth_failures:
            log.info(
                "retention: deleted %d request-log entries and %d stale failed-login counters",
                done.request_logs,
                done.auth_failures,
            )
