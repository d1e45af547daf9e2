"""Failures recorded at once for one new address, on the real database: a guessing attack
sends its tries in parallel, and each must count (none lost, none answered with an error)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from glpi_scim.db.database import Database
from glpi_scim.security.throttle import Throttle, ThrottlePolicy, TooManyFailures

WRITERS = 4
ROUNDS = 10


def test_failures_recorded_at_once_are_each_counted(database: Database) -> None:
    throttle = Throttle(database, ThrottlePolicy(max_failures=WRITERS))
    for round_ in range(ROUNDS):
        address = f"198.51.100.{round_ + 1}"
        together = threading.Barrier(WRITERS)

        def record(_: int, address: str = address, together: threading.Barrier = together) -> None:
            together.wait(timeout=10)
            throttle.record_failure(7, address)

        with ThreadPoolExecutor(max_workers=WRITERS) as pool:
            list(pool.map(record, range(WRITERS)))
        # The limit is the number of failures sent: the address is blocked only if all counted.
        with pytest.raises(TooManyFailures):
            throttle.check(7, address)
