"""The sign-in and consent page under attack, over real HTTP: password guessing through the
throttle (per address, per login, IPv6 networks) and a planted CSRF cookie."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests

from glpi_scim.db.database import Database
from glpi_scim.identity.models import IdentityServer
from glpi_scim.server.oauth import CSRF_COOKIE

from .conftest import LiveServer
from .support import create_server
from .test_oauth2 import CALLBACK, code_flow_session, consent_form, register, sign_in


@pytest.fixture(autouse=True)
def _plain_http_for_the_test_client(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


@pytest.fixture
def server(database: Database) -> IdentityServer:
    return create_server(database, "okta", method="oauth2")


@pytest.fixture
def proxied(serve: Callable[..., LiveServer]) -> LiveServer:
    """Behind a trusted proxy on loopback, so that each request says its client address."""
    return serve(trusted_proxies=("127.0.0.1",))


def authorize_url(live: LiveServer, database: Database, server: IdentityServer) -> str:
    client = register(database, server, redirect_uris=[CALLBACK], public=True).client
    return code_flow_session(live, server, client.client_id)[1]


def browser_at(address: str) -> requests.Session:
    browser = requests.Session()
    browser.headers["X-Forwarded-For"] = address
    return browser


def test_a_self_service_sign_in_does_not_reset_the_guessing(
    proxied: LiveServer, database: Database, server: IdentityServer
) -> None:
    url = authorize_url(proxied, database, server)
    browser = browser_at("198.51.100.7")
    for attempt in range(9):
        assert sign_in(proxied, url, password=f"guess{attempt}", browser=browser).status_code == 200
    # post-only's own password is right, but post-only may not grant access: no reset.
    self_service = sign_in(proxied, url, login="post-only", password="postonly", browser=browser)
    assert self_service.status_code == 403, self_service.text
    assert sign_in(proxied, url, password="guess9", browser=browser).status_code == 200
    blocked = sign_in(proxied, url, browser=browser)  # even glpi's right password
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0


def test_guessing_one_login_from_many_addresses_is_throttled(
    proxied: LiveServer, database: Database, server: IdentityServer
) -> None:
    url = authorize_url(proxied, database, server)
    for attempt in range(10):
        browser = browser_at(f"203.0.113.{attempt + 1}")
        answer = sign_in(proxied, url, login=" GLPI ", password=f"guess{attempt}", browser=browser)
        assert answer.status_code == 200
    blocked = sign_in(proxied, url, browser=browser_at("203.0.113.200"))
    assert blocked.status_code == 429 and "for this login" in blocked.text
    # Another login from the same addresses is not affected.
    assert sign_in(proxied, url, login="tech", password="tech").status_code == 403


def test_a_successful_grant_clears_the_counters(
    proxied: LiveServer, database: Database, server: IdentityServer
) -> None:
    url = authorize_url(proxied, database, server)
    browser = browser_at("198.51.100.8")
    for attempt in range(9):
        sign_in(proxied, url, password=f"guess{attempt}", browser=browser)
    assert sign_in(proxied, url, browser=browser).status_code == 302
    for attempt in range(9):  # a fresh count of ten
        assert sign_in(proxied, url, password=f"again{attempt}", browser=browser).status_code == 200
    assert sign_in(proxied, url, browser=browser).status_code == 302


def test_ipv6_addresses_of_one_64_network_share_a_counter(
    proxied: LiveServer, database: Database, server: IdentityServer
) -> None:
    url = authorize_url(proxied, database, server)
    for attempt in range(10):  # ten addresses and ten logins: only the network is common
        browser = browser_at(f"2001:db8:5:6::{attempt + 1:x}")
        answer = sign_in(proxied, url, login=f"nobody{attempt}", password="x", browser=browser)
        assert answer.status_code == 200
    same_network = sign_in(proxied, url, browser=browser_at("2001:db8:5:6:ffff:1:2:3"))
    assert same_network.status_code == 429 and "from this address" in same_network.text
    other_network = sign_in(proxied, url, browser=browser_at("2001:db8:5:7::1"))
    assert other_network.status_code == 302


def test_scim_requests_from_one_ipv6_network_share_a_counter(
    serve: Callable[..., LiveServer], database: Database
) -> None:
    live = serve(trusted_proxies=("127.0.0.1",))
    bearer = create_server(database, "entra", method="bearer")
    for host in range(1, 11):
        answer = requests.get(
            live.scim_url(bearer.id),
            headers={"Authorization": "Bearer guess", "X-Forwarded-For": f"2001:db8:9::{host}"},
            timeout=10,
        )
        assert answer.status_code == 401
    blocked = requests.get(
        live.scim_url(bearer.id),
        headers={"Authorization": "Bearer guess", "X-Forwarded-For": "2001:db8:9::abcd"},
        timeout=10,
    )
    assert blocked.status_code == 429


def test_a_planted_csrf_cookie_is_replaced(
    serve: Callable[..., LiveServer], database: Database, server: IdentityServer
) -> None:
    live = serve()
    url = authorize_url(live, database, server)
    planted = "A" * 32  # a well-formed value the attacker knows
    browser = requests.Session()
    browser.cookies.set(CSRF_COOKIE, planted, path=f"/oauth2/{server.id}/")
    page = browser.get(url, timeout=10)
    issued = page.cookies.get(CSRF_COOKIE)
    assert issued and issued != planted
    # The form's token belongs to the issued cookie: with the planted one it is refused.
    action, csrf = consent_form(page)
    form = {"csrf_token": csrf, "login": "glpi", "password": "glpi", "decision": "allow"}
    forged = requests.post(
        live.base_url + action,
        data=form,
        headers={"Cookie": f"{CSRF_COOKIE}={planted}"},
        allow_redirects=False,
        timeout=10,
    )
    assert forged.status_code == 403
    assert browser.post(live.base_url + action, data=form, allow_redirects=False).status_code == 302
