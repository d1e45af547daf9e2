"""The security counters written at once by parallel requests, on the real database: a
guessing attack sends its tries in parallel, and a Digest client opens several connections.
Each write must count (none lost, none answered with an error), and a replay still fail."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from typing import TypeVar

import pytest

from glpi_scim.db.database import Database
from glpi_scim.security.methods.digest import DigestVerifier
from glpi_scim.security.throttle import Throttle, ThrottlePolicy, TooManyFailures

WRITERS = 4
ROUNDS = 10
# The nonces' race is rarer: more rounds, to catch it.
NONCE_ROUNDS = 30
T = TypeVar("T")


def at_once(call: Callable[[int], T]) -> list[T]:
    """`call(0)` ... `call(WRITERS - 1)`, released together from their threads."""
    together = threading.Barrier(WRITERS)

    def released(n: int) -> T:
        together.wait(timeout=10)
        return call(n)

    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        return list(pool.map(released, range(WRITERS)))


def test_failures_recorded_at_once_are_each_counted(database: Database) -> None:
    throttle = Throttle(database, ThrottlePolicy(max_failures=WRITERS))
    for round_ in range(ROUNDS):
        address = f"198.51.100.{round_ + 1}"
        at_once(functools.partial(lambda address, _: throttle.record_failure(7, address), address))
        # The limit is the number of failures sent: the address is blocked only if all counted.
        with pytest.raises(TooManyFailures):
            throttle.check(7, address)


def test_digest_nonces_first_used_at_once(database: Database) -> None:
    verifier = DigestVerifier(database)
    issued = datetime.now(timezone.utc) - timedelta(seconds=1)

    def own_nonce(round_: int, n: int) -> bool:
        return verifier._advance_count(3, f"nonce-{round_}-{n}", 1, issued)

    def shared_nonce(round_: int, _: int) -> bool:
        return verifier._advance_count(3, f"shared-{round_}", 1, issued)

    for round_ in range(NONCE_ROUNDS):
        # Each connection's own new nonce: every one is accepted.
        assert at_once(functools.partial(own_nonce, round_)) == [True] * WRITERS
        # One nonce and count sent on every connection (a replay): exactly one is accepted.
        shared = at_once(functools.partial(shared_nonce, round_))
        assert sorted(shared) == [False] * (WRITERS - 1) + [True]
