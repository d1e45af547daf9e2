"""What authentication reads is reused for at most `auth_cache_seconds`: a token revoked, a
server disabled or an address blocked by another instance (here: the real CLI in a process of
its own, or a counter written behind this process's back) takes effect within that bound, and
at once with the setting at 0 or when this process made the change."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta

import jwt
import pytest
from sqlalchemy import insert

from glpi_scim.db import tables
from glpi_scim.db.clock import to_db, utcnow
from glpi_scim.db.database import Database, engine_for_url
from glpi_scim.servers.tokens import TokenRepository

from .support import Api, assert_scim_error

# Just above the bound the tests run with, so that no test sleeps longer than ~1.2 s.
BOUND = 1
PAST_THE_BOUND = BOUND + 0.2


def other_instance(database: Database, *args: str) -> None:
    """`glpi-scim ARGS` run by another process on the same database."""
    done = subprocess.run(
        [sys.executable, "-m", "glpi_scim", "--database", database.url, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def jti(token: str | None) -> str:
    assert token is not None
    value: str = jwt.decode(token, options={"verify_signature": False})["jti"]
    return value


def test_a_token_revoked_by_another_instance_is_refused_within_the_bound(
    database: Database, make_api: Callable[..., Api]
) -> None:
    api = make_api(settings={"auth_cache_seconds": BOUND})
    assert api.get("/Users").status_code == 200
    other_instance(database, "token", "revoke", api.server.name, jti(api.token), "--yes")
    time.sleep(PAST_THE_BOUND)
    refused = api.get("/Users")
    assert_scim_error(refused, 401, "revoked")
    assert "invalid_token" in refused.headers["www-authenticate"]


def test_without_the_cache_a_revocation_elsewhere_is_refused_at_once(
    database: Database, make_api: Callable[..., Api]
) -> None:
    api = make_api(settings={"auth_cache_seconds": 0})
    assert api.get("/Users").status_code == 200
    other_instance(database, "token", "revoke", api.server.name, jti(api.token), "--yes")
    assert_scim_error(api.get("/Users"), 401, "revoked")


def test_the_cache_is_what_bounds_it_and_a_change_made_here_is_seen_at_once(
    database: Database, make_api: Callable[..., Api]
) -> None:
    api = make_api(settings={"auth_cache_seconds": 600})
    assert api.get("/Users").status_code == 200
    other_instance(database, "server", "disable", api.server.name)
    # Another process's change is not seen before the bound...
    assert api.get("/Users").status_code == 200
    # ...one made by this process (any engine of it on that database) is, at once.
    url = database.url
    elsewhere = Database(engine_for_url(url), url, url)
    try:
        record = TokenRepository(elsewhere).find(api.server.id, jti(api.token))
        assert record is not None
        TokenRepository(elsewhere).revoke(api.server.id, record.id)
    finally:
        elsewhere.dispose()
    assert_scim_error(api.get("/Users"), 401, "revoked")


def test_a_server_disabled_by_another_instance_answers_403_within_the_bound(
    database: Database, make_api: Callable[..., Api]
) -> None:
    api = make_api(settings={"auth_cache_seconds": BOUND})
    assert api.get("/Users").status_code == 200
    other_instance(database, "server", "disable", api.server.name)
    time.sleep(PAST_THE_BOUND)
    assert_scim_error(api.get("/Users"), 403, "inactive", "server enable")
    other_instance(database, "server", "enable", api.server.name)
    time.sleep(PAST_THE_BOUND)
    assert api.get("/Users").status_code == 200


@pytest.mark.parametrize("bound", [0, BOUND])
def test_an_address_blocked_by_another_instance_gets_429_within_the_bound(
    database: Database, make_api: Callable[..., Api], bound: int
) -> None:
    api = make_api(settings={"auth_cache_seconds": bound})
    assert api.get("/Users").status_code == 200
    now = utcnow()
    # Another instance counted this address's failures and blocked it.
    with database.begin() as connection:
        connection.execute(
            insert(tables.auth_failures).values(
                servers_id=api.server.id,
                client_ip="127.0.0.1",
                failures=0,
                window_start=to_db(now),
                blocked_until=to_db(now + timedelta(minutes=5)),
            )
        )
    if bound:
        time.sleep(PAST_THE_BOUND)
    blocked = api.get("/Users")
    assert_scim_error(blocked, 429, "Too many failed authentication attempts")
    assert int(blocked.headers["retry-after"]) > 200
