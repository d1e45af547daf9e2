"""Request counts per identity server, known whether or not a server keeps its request log.

The web layer calls `RequestStats.record` once per request: an update of a dict in memory,
no database round trip. A background thread adds what each process counted to the
`glpi_plugin_glpiscim_serverstats` table every `flush_seconds` and at exit, one row per
server and 5-minute period; each process adds its own counts to the same rows (an INSERT
that adds to the row when it exists), so any number of processes may serve and the figures
add up.
`StatsRepository.summary` reads them back for `glpi-scim server status`.
"""

from __future__ import annotations

import atexit
import functools
import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Column, ColumnElement, Connection, and_, case, delete, func, or_, select

from glpi_scim.db import dml, tables
from glpi_scim.db.clock import from_db, to_db
from glpi_scim.db.database import Database
from glpi_scim.db.transaction import Transactions
from glpi_scim.servers.background import ProcessThread

log = logging.getLogger("glpi_scim.server.stats")

STATS = tables.server_stats
PERIOD = timedelta(minutes=5)
# Periods older than this are deleted by the flushing processes (about once an hour each).
KEEP = timedelta(days=35)
MAX_DETAIL_CHARS = 1000
# A status at or above this counts as an error (the IdP got no answer it could use).
ERROR_STATUS = 400
# Seconds between the last tries of the flush at exit: the database may be failing over.
FINAL_FLUSH_PAUSES = (0.5, 1.0, 2.0)


def period_start(moment: datetime) -> datetime:
    """The start of the 5-minute period holding `moment` (aware UTC)."""
    moment = moment.astimezone(timezone.utc).replace(second=0, microsecond=0)
    return moment.replace(minute=moment.minute - moment.minute % 5)


@dataclass
class PeriodCounts:
    """What one process counted for one server in one period, not yet written."""

    requests: int = 0
    errors: int = 0
    last_request: datetime | None = None
    last_success: datetime | None = None
    last_error: datetime | None = None
    last_error_status: int = 0
    last_error_detail: str | None = None

    def add(self, status: int, detail: str | None, at: datetime) -> None:
        self.requests += 1
        self.last_request = _later(self.last_request, at)
        if status >= ERROR_STATUS:
            self.errors += 1
            if self.last_error is None or at >= self.last_error:
                self.last_error = at
                self.last_error_status = status
                self.last_error_detail = detail[:MAX_DETAIL_CHARS] if detail else None
        else:
            self.last_success = _later(self.last_success, at)

    def merge(self, newer: PeriodCounts) -> None:
        """Fold counts taken after these into these (a failed flush is kept for the next)."""
        self.requests += newer.requests
        self.errors += newer.errors
        self.last_request = _later(self.last_request, newer.last_request)
        self.last_success = _later(self.last_success, newer.last_success)
        if newer.last_error is not None:
            self.last_error = newer.last_error
            self.last_error_status = newer.last_error_status
            self.last_error_detail = newer.last_error_detail


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


Key = tuple[int, datetime]  # (server id, period start)


@dataclass(frozen=True)
class ActivitySummary:
    """A server's requests as `server status` shows them."""

    last_request: datetime | None
    last_success: datetime | None
    last_error: datetime | None
    last_error_status: int | None
    last_error_detail: str | None
    requests_last_hour: int
    errors_last_hour: int
    requests_last_day: int
    errors_last_day: int


class StatsRepository:
    def __init__(self, database: Database) -> None:
        self.database = database

    def add(self, counts: dict[Key, PeriodCounts]) -> None:
        """Add a process's counts to the stored ones, in one transaction: one upsert per
        period, so that processes adding to the same new period at once meet on the unique
        key rather than on gap locks. A deadlock InnoDB still reports rolls the whole
        transaction back, and it runs again, as every write of the tool does."""
        statement = _add_statement(self.database.is_sqlite)

        def work(connection: Connection) -> None:
            for (server_id, start), period in sorted(counts.items()):
                connection.execute(statement, _row(server_id, start, period))

        Transactions(self.database).run(work)

    def purge(self, before: datetime) -> int:
        with self.database.begin() as connection:
            result = connection.execute(delete(STATS).where(STATS.c.period_start < to_db(before)))
        return int(result.rowcount or 0)

    def summary(self, server_id: int, now: datetime) -> ActivitySummary:
        c = STATS.c
        hour_ago = to_db(period_start(now - timedelta(hours=1)) + PERIOD)
        day_ago = to_db(period_start(now - timedelta(days=1)) + PERIOD)
        with self.database.read() as connection:
            totals = connection.execute(
                select(
                    func.max(c.date_last_request),
                    func.max(c.date_last_success),
                    func.coalesce(
                        func.sum(case((c.period_start >= hour_ago, c.requests), else_=0)), 0
                    ),
                    func.coalesce(
                        func.sum(case((c.period_start >= hour_ago, c.errors), else_=0)), 0
                    ),
                    func.coalesce(
                        func.sum(case((c.period_start >= day_ago, c.requests), else_=0)), 0
                    ),
                    func.coalesce(
                        func.sum(case((c.period_start >= day_ago, c.errors), else_=0)), 0
                    ),
                ).where(c.servers_id == server_id)
            ).one()
            last_error = connection.execute(
                select(c.date_last_error, c.last_error_status, c.last_error_detail)
                .where(c.servers_id == server_id, c.date_last_error.is_not(None))
                .order_by(c.date_last_error.desc(), c.id.desc())
                .limit(1)
            ).first()
        return ActivitySummary(
            last_request=from_db(totals[0]),
            last_success=from_db(totals[1]),
            last_error=from_db(last_error[0]) if last_error else None,
            last_error_status=int(last_error[1]) if last_error else None,
            last_error_detail=last_error[2] if last_error else None,
            requests_last_hour=int(totals[2]),
            errors_last_hour=int(totals[3]),
            requests_last_day=int(totals[4]),
            errors_last_day=int(totals[5]),
        )


@functools.cache
def _add_statement(sqlite: bool) -> Any:
    """INSERT of a period's row that, where the row exists, adds to it instead: counts
    summed, each date the later one, the last error the one of the later date (its status
    and detail set before its date: dml.upsert_merging)."""
    return dml.upsert_merging(STATS, sqlite, ("servers_id", "period_start"), _added)


def _added(new: Any) -> list[tuple[str, ColumnElement[Any]]]:
    c = STATS.c
    newer_error = and_(
        new.date_last_error.is_not(None),
        or_(c.date_last_error.is_(None), c.date_last_error <= new.date_last_error),
    )
    return [
        ("requests", c.requests + new.requests),
        ("errors", c.errors + new.errors),
        ("date_last_request", _later_of(c.date_last_request, new.date_last_request)),
        ("date_last_success", _later_of(c.date_last_success, new.date_last_success)),
        (
            "last_error_status",
            case((newer_error, new.last_error_status), else_=c.last_error_status),
        ),
        (
            "last_error_detail",
            case((newer_error, new.last_error_detail), else_=c.last_error_detail),
        ),
        ("date_last_error", _later_of(c.date_last_error, new.date_last_error)),
    ]


def _later_of(stored: Column[Any], new: ColumnElement[Any]) -> ColumnElement[Any]:
    """The later of two dates, either of which may be NULL."""
    return case((or_(stored.is_(None), stored < new), new), else_=stored)


def _row(server_id: int, start: datetime, period: PeriodCounts) -> dict[str, object]:
    return {
        "servers_id": server_id,
        "period_start": to_db(start),
        "requests": period.requests,
        "errors": period.errors,
        "date_last_request": to_db(period.last_request),
        "date_last_success": to_db(period.last_success),
        "last_error_status": period.last_error_status,
        "last_error_detail": period.last_error_detail,
        "date_last_error": to_db(period.last_error),
    }


class RequestStats:
    """Per-process counters, written to the database by a background thread.

    `record` never blocks on the database and never raises. The thread starts on first use,
    and again in a forked child (counts taken before the fork stay the parent's).
    """

    def __init__(self, repository: StatsRepository, *, flush_seconds: float = 5.0) -> None:
        self.repository = repository
        self.flush_seconds = flush_seconds
        self._pending: dict[Key, PeriodCounts] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread = ProcessThread("glpi-scim-request-stats", self._run, on_fork=self._forget)
        self._closed = False
        self._last_purge = 0.0
        atexit.register(self.close)

    def record(self, server_id: int, status: int, detail: str | None, at: datetime) -> None:
        if self._closed:
            return
        self._thread.ensure_started()
        key = (server_id, period_start(at))
        with self._lock:
            period = self._pending.get(key)
            if period is None:
                period = self._pending[key] = PeriodCounts()
            period.add(status, detail, at)

    def flush(self) -> bool:
        """Write what is counted so far; False (counts kept for the next try) on failure."""
        with self._lock:
            taken, self._pending = self._pending, {}
        if not taken:
            return True
        try:
            self.repository.add(taken)
        except Exception as exc:
            log.warning("request counts not written yet (%s); will retry", type(exc).__name__)
            with self._lock:
                for key, newer in self._pending.items():
                    if key in taken:
                        taken[key].merge(newer)
                    else:
                        taken[key] = newer
                self._pending = taken
            return False
        return True

    def close(self) -> None:
        """Write the last counts and stop the thread. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            thread = self._thread.running()
        if thread is None:
            return
        self._wake.set()
        thread.join(self.flush_seconds + 10)
        for pause in FINAL_FLUSH_PAUSES:
            if self.flush():
                return
            time.sleep(pause)
        if not self.flush():
            with self._lock:
                lost = sum(period.requests for period in self._pending.values())
            log.error("%d counted requests could not be written before exit", lost)

    def _forget(self) -> None:
        # The parent's counts are the parent's to write.
        self._pending = {}

    def _run(self) -> None:
        while not self._closed:
            self._wake.wait(self.flush_seconds)
            if self._closed:
                return
            self.flush()
            self._purge_now_and_then()

    def _purge_now_and_then(self) -> None:
        if time.monotonic() - self._last_purge < 3600:
            return
        self._last_purge = time.monotonic()
        try:
            self.repository.purge(datetime.now(timezone.utc) - KEEP)
        except Exception as exc:
            log.warning("old request counts not purged (%s)", type(exc).__name__)
