"""The Authenticator's policy around the methods: none, allow-list, throttling, discovery."""

from __future__ import annotations

import base64

import pytest
from sqlalchemy import select

from glpi_scim.config import Settings
from glpi_scim.db import tables
from glpi_scim.db.database import Database
from glpi_scim.identity.models import IdentityServer
from glpi_scim.scim.errors import Forbidden, ScimError, Unauthorized
from glpi_scim.security.authenticator import Authenticator
from glpi_scim.security.methods.none import insecure_warning
from glpi_scim.security.methods.registry import authentication_schemes
from glpi_scim.security.throttle import ThrottlePolicy, TooManyFailures

from .support import Clock, auth_request, create_server

PASSWORD = "correct horse"


def basic(password: str, username: str = "idp") -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def auth(database: Database, clock: Clock) -> Authenticator:
    policy = ThrottlePolicy(max_failures=3)
    return Authenticator(database, Settings(), throttle_policy=policy, clock=clock)


@pytest.fixture
def server(database: Database) -> IdentityServer:
    return create_server(database, "idp", method="basic", username="idp", password=PASSWORD)


def fail(auth: Authenticator, server: IdentityServer, ip: str = "192.0.2.10") -> ScimError:
    with pytest.raises(ScimError) as raised:
        auth.authenticate(server, auth_request(basic("guess"), client_ip=ip))
    return raised.value


def test_none_lets_everything_through(auth: Authenticator, database: Database) -> None:
    open_server = create_server(database, "lab", method="none")
    principal = auth.authenticate(open_server, auth_request(None))
    assert (principal.method, principal.subject) == ("none", "anonymous")
    assert auth.authentication_schemes(open_server) == []
    warning = insecure_warning(open_server)
    assert warning is not None and "lab" in warning and "any address" in warning


def test_allow_list_refuses_other_addresses_before_checking_credentials(
    auth: Authenticator, database: Database
) -> None:
    limited = create_server(
        database,
        "limited",
        method="basic",
        username="idp",
        password=PASSWORD,
        allowed_networks=("203.0.113.0/24",),
    )
    assert auth.authenticate(limited, auth_request(basic(PASSWORD), client_ip="203.0.113.7"))
    for header in (basic(PASSWORD), basic("guess")):
        with pytest.raises(Forbidden) as raised:
            auth.authenticate(limited, auth_request(header, client_ip="198.51.100.7"))
        assert raised.value.status == 403 and "198.51.100.7" in raised.value.detail
    with database.begin() as connection:  # never reached the password check
        assert connection.execute(select(tables.auth_failures)).first() is None


def test_repeated_failures_block_the_address_with_429_then_expire(
    auth: Authenticator, server: IdentityServer, clock: Clock
) -> None:
    for _ in range(3):
        assert isinstance(fail(auth, server), Unauthorized)
    blocked = fail(auth, server)
    assert isinstance(blocked, TooManyFailures)
    assert blocked.status == 429 and blocked.headers["Retry-After"] == "300"
    # While blocked, even the right password is not looked at.
    with pytest.raises(TooManyFailures) as raised:
        auth.authenticate(server, auth_request(basic(PASSWORD)))
    clock.advance(minutes=2)
    assert raised.value.retry_after == 300
    assert fail(auth, server).headers["Retry-After"] == "180"
    clock.advance(minutes=3, seconds=1)
    assert auth.authenticate(server, auth_request(basic(PASSWORD))).subject == "idp"


def test_throttling_is_per_address_and_per_server(
    auth: Authenticator, database: Database, server: IdentityServer
) -> None:
    other = create_server(database, "other", method="basic", username="idp", password=PASSWORD)
    for _ in range(3):
        fail(auth, server)
    assert isinstance(fail(auth, server), TooManyFailures)
    assert auth.authenticate(server, auth_request(basic(PASSWORD), client_ip="192.0.2.11"))
    assert auth.authenticate(other, auth_request(basic(PASSWORD)))


def test_failures_outside_the_window_start_a_new_count(
    auth: Authenticator, server: IdentityServer, clock: Clock
) -> None:
    fail(auth, server)
    fail(auth, server)
    clock.advance(minutes=6)
    for _ in range(3):  # without the reset, the second of these would already be blocked
        assert isinstance(fail(auth, server), Unauthorized)
    assert isinstance(fail(auth, server), TooManyFailures)


def test_a_success_clears_the_failures(
    auth: Authenticator, database: Database, server: IdentityServer
) -> None:
    fail(auth, server)
    fail(auth, server)
    auth.authenticate(server, auth_request(basic(PASSWORD)))
    with database.begin() as connection:
        assert connection.execute(select(tables.auth_failures)).first() is None
    fail(auth, server)
    fail(auth, server)
    assert isinstance(fail(auth, server), Unauthorized)  # counting restarted


SCHEME_TYPES = {
    "basic": "httpbasic",
    "digest": "httpdigest",
    "bearer": "oauthbearertoken",
    "oauth2": "oauth2",
}


def test_authentication_schemes_describe_the_method(database: Database) -> None:
    for method, scheme_type in SCHEME_TYPES.items():
        server = create_server(database, method, method=method)
        (scheme,) = authentication_schemes(server)
        assert scheme["type"] == scheme_type and scheme["primary"] is True
        assert scheme["name"] and scheme["description"]
        assert scheme["specUri"].startswith("https://")
        assert insecure_warning(server) is None


def test_challenge_for_each_method(auth: Authenticator, database: Database) -> None:
    challenges = {
        method: auth.challenge(create_server(database, method, method=method))
        for method in ("none", "basic", "digest", "bearer", "oauth2")
    }
    assert challenges["none"] is None
    assert challenges["basic"] == 'Basic realm="glpi-scim", charset="UTF-8"'
    assert challenges["digest"] is not None and challenges["digest"].startswith("Digest ")
    assert challenges["bearer"] == challenges["oauth2"] == 'Bearer realm="glpi-scim"'
