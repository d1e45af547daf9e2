"""Request counts of several writers adding to the same new period at once, on the real
database: every count lands, whichever writer creates the period's row."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

from glpi_scim.db.database import Database
from glpi_scim.servers.stats import PeriodCounts, StatsRepository, period_start

WRITERS = 4
ROUNDS = 5


def counted(requests: int, *, error_at: datetime | None = None) -> PeriodCounts:
    counts = PeriodCounts()
    at = datetime.now(timezone.utc)
    for _ in range(requests):
        counts.add(200, None, at)
    if error_at is not None:
        counts.add(503, f"error at {error_at.isoformat()}", error_at)
    return counts


def test_writers_adding_to_a_new_period_at_once_lose_no_count(database: Database) -> None:
    repository = StatsRepository(database)
    now = datetime.now(timezone.utc)
    for server_id in range(1, ROUNDS + 1):
        key = (server_id, period_start(now))
        together = threading.Barrier(WRITERS)

        def add(
            n: int, key: tuple[int, datetime] = key, together: threading.Barrier = together
        ) -> None:
            counts = counted(10, error_at=now - timedelta(seconds=WRITERS - n))
            together.wait(timeout=10)
            repository.add({key: counts})

        with ThreadPoolExecutor(max_workers=WRITERS) as pool:
            list(pool.map(add, range(WRITERS)))
        summary = repository.summary(server_id, now)
        assert summary.requests_last_hour == WRITERS * 11
        assert summary.errors_last_hour == WRITERS
        # The last error is the latest one, whichever writer came last.
        assert summary.last_error_detail == f"error at {(now - timedelta(seconds=1)).isoformat()}"
        assert summary.last_error_status == 503


def test_an_earlier_error_added_later_keeps_the_later_one(database: Database) -> None:
    repository = StatsRepository(database)
    now = datetime.now(timezone.utc)
    key = (1, period_start(now))
    repository.add({key: counted(1, error_at=now)})
    repository.add({key: counted(2, error_at=now - timedelta(seconds=30))})
    repository.add({key: counted(3)})
    summary = repository.summary(1, now)
    assert (summary.requests_last_hour, summary.errors_last_hour) == (8, 2)
    assert summary.last_error_detail == f"error at {now.isoformat()}"
    assert summary.last_request is not None and summary.last_success is not None
