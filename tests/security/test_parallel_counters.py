"""The security counters written at once by parallel requests, on the real database: a
guessing attack sends its tries in parallel, and a Digest client opens several connections.
Each write must count (none lost, none answered with an error), and a replay still fail."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from typing import TypeVar

import pytest
from sqlalchemy import func, select

from glpi_scim.db import tables
from glpi_scim.db.database import Database
from glpi_scim.security.methods.digest import DigestVerifier
from glpi_scim.security.oauth2 import OAuthPolicy, ScimRequestValidator
from glpi_scim.security.oauth_clients import OAuthClientRepository
from glpi_scim.security.throttle import Throttle, ThrottlePolicy, TooManyFailures

from .support import create_server

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


def test_tokens_saved_at_once_are_each_saved(database: Database) -> None:
    """An IdP's workers asking for client-credentials tokens together: every token is
    stored (each save also drops the expired ones, a range the others' rows meet)."""
    server = create_server(database, "okta", method="oauth2")
    client = (
        OAuthClientRepository(database)
        .register(server.id, grant_types=["client_credentials"])
        .client
    )
    past = datetime.now(timezone.utc) - timedelta(days=1)
    expired = ScimRequestValidator(database, server, OAuthPolicy(), clock=lambda: past)
    validator = ScimRequestValidator(database, server, OAuthPolicy())
    request = SimpleNamespace(client=client, user=None, scopes=None)
    for n in range(WRITERS):
        expired.save_bearer_token({"access_token": f"old-{n}", "expires_in": 60}, request)

    def save(round_: int, n: int) -> None:
        token = {"access_token": f"token-{round_}-{n}", "expires_in": 3600}
        validator.save_bearer_token(token, request)

    for round_ in range(NONCE_ROUNDS):
        at_once(functools.partial(save, round_))
    with database.begin() as connection:
        stored = connection.execute(
            select(func.count())
            .select_from(tables.oauth_tokens)
            .where(tables.oauth_tokens.c.servers_id == server.id)
        ).scalar()
    assert stored == NONCE_ROUNDS * WRITERS  # the expired ones dropped, none of the new lost
