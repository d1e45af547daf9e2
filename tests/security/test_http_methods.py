"""Basic, Digest and bearer over real HTTP, with requests as the client, against the
application served by waitress."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import requests
from requests.auth import HTTPBasicAuth, HTTPDigestAuth

from glpi_scim.db.database import Database
from glpi_scim.security.methods.bearer import issue_token
from glpi_scim.servers.tokens import TokenRepository

from .conftest import LiveServer
from .support import create_server

SCIM_ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


@pytest.fixture
def live(serve: Callable[..., LiveServer]) -> LiveServer:
    return serve()


def assert_scim_401(response: requests.Response, scheme: str) -> None:
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith(scheme)
    body = response.json()
    assert body["schemas"] == [SCIM_ERROR] and body["status"] == "401" and body["detail"]


def test_basic_with_requests(live: LiveServer, database: Database) -> None:
    server = create_server(database, "entra", method="basic", username="entra", password="pässw0rd")
    url = live.scim_url(server.id)
    ok = requests.get(url, auth=HTTPBasicAuth("entra", "pässw0rd"), timeout=10)
    assert ok.status_code == 200, ok.text
    assert_scim_401(requests.get(url, auth=HTTPBasicAuth("entra", "nope"), timeout=10), "Basic")
    assert_scim_401(requests.get(url, auth=HTTPBasicAuth("entra", ""), timeout=10), "Basic")
    assert_scim_401(requests.get(url, timeout=10), "Basic")


def test_digest_with_requests(live: LiveServer, database: Database) -> None:
    server = create_server(database, "okta", method="digest", username="okta", password="s3cret")
    url = live.scim_url(server.id)
    auth = HTTPDigestAuth("okta", "s3cret")
    with requests.Session() as session:
        session.auth = auth
        # Several requests reuse the nonce with a growing nonce count, and a query string
        # is part of the signed uri.
        for query in ("", "?count=1", "?filter=userName%20eq%20%22x%22"):
            response = session.get(url + query, timeout=10)
            assert response.status_code == 200, response.text
    # A new Digest server offers SHA-256 alone, and requests answers it.
    challenge = requests.get(url, timeout=10).headers["WWW-Authenticate"]
    assert "algorithm=SHA-256" in challenge and "MD5" not in challenge
    assert auth._thread_local.chal["algorithm"] == "SHA-256"
    wrong = requests.get(url, auth=HTTPDigestAuth("okta", "guess"), timeout=10)
    assert_scim_401(wrong, "Digest")


def test_bearer_header_and_bare_token(live: LiveServer, database: Database) -> None:
    server = create_server(database, "okta", method="bearer")
    issued = issue_token(server, issuer=live.base_url, lifetime=timedelta(days=1), subject="okta")
    TokenRepository(database).record(server.id, issued.jti, issued.expires_at, None)
    url = live.scim_url(server.id)
    for header in (f"Bearer {issued.token}", issued.token):
        response = requests.get(url, headers={"Authorization": header}, timeout=10)
        assert response.status_code == 200, response.text
    response = requests.get(url, headers={"Authorization": "Bearer x.y.z"}, timeout=10)
    assert_scim_401(response, "Bearer")
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_allow_list_and_spoofed_forwarded_for(
    serve: Callable[..., LiveServer], database: Database
) -> None:
    server = create_server(
        database,
        "entra",
        method="basic",
        username="entra",
        password="pw",
        allowed_networks=("203.0.113.0/24",),
    )
    auth = HTTPBasicAuth("entra", "pw")
    direct = serve()  # no trusted proxy: the loopback peer is the client
    spoofed = {"X-Forwarded-For": "203.0.113.5"}
    for headers in ({}, spoofed):
        response = requests.get(direct.scim_url(server.id), auth=auth, headers=headers, timeout=10)
        assert response.status_code == 403, response.text
        assert response.json()["status"] == "403"

    behind_proxy = serve(trusted_proxies=("127.0.0.1",))
    url = behind_proxy.scim_url(server.id)
    assert requests.get(url, auth=auth, headers=spoofed, timeout=10).status_code == 200
    # The client prepended an allowed address; the proxy appended the real one.
    forged = {"X-Forwarded-For": "203.0.113.5, 198.51.100.20"}
    assert requests.get(url, auth=auth, headers=forged, timeout=10).status_code == 403


def test_guesses_sent_at_once_are_each_counted(live: LiveServer, database: Database) -> None:
    """Ten wrong passwords arriving together (the shape of a guessing attack) meet on one new
    counter: each is a 401, none is lost, and the right password is then refused with 429."""
    server = create_server(database, "entra", method="basic", username="entra", password="pw")
    url = live.scim_url(server.id)
    together = threading.Barrier(10)

    def guess(n: int) -> int:
        together.wait(timeout=10)
        return requests.get(url, auth=HTTPBasicAuth("entra", f"guess{n}"), timeout=30).status_code

    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(guess, range(10)))
    assert statuses == [401] * 10
    blocked = requests.get(url, auth=HTTPBasicAuth("entra", "pw"), timeout=10)
    assert blocked.status_code == 429, blocked.text


def test_repeated_failures_get_429_with_retry_after(live: LiveServer, database: Database) -> None:
    server = create_server(database, "entra", method="basic", username="entra", password="pw")
    url = live.scim_url(server.id)
    with requests.Session() as session:
        statuses = [
            session.get(url, auth=HTTPBasicAuth("entra", f"guess{n}"), timeout=10).status_code
            for n in range(10)
        ]
        assert statuses == [401] * 10
        blocked = session.get(url, auth=HTTPBasicAuth("entra", "pw"), timeout=10)
    assert blocked.status_code == 429
    assert 0 < int(blocked.headers["Retry-After"]) <= 300
    assert blocked.json()["status"] == "429"
