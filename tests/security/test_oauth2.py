"""OAuth2 over real HTTP: requests-oauthlib as the identity provider, requests as the
administrator's browser on the sign-in and consent page."""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from oauthlib.oauth2 import BackendApplicationClient
from requests_oauthlib import OAuth2Session
from sqlalchemy import update

from glpi_scim.db import tables
from glpi_scim.db.clock import to_db, utcnow
from glpi_scim.db.database import Database
from glpi_scim.identity.models import IdentityServer
from glpi_scim.security.oauth_clients import OAuthClientRepository, RegisteredClient

from .conftest import LiveServer
from .support import create_server

CALLBACK = "https://idp.example.com/oauth/callback"


@pytest.fixture(autouse=True)
def _plain_http_for_the_test_client(monkeypatch: pytest.MonkeyPatch) -> None:
    # The client library refuses http:// URLs; the test server listens on loopback only.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


@pytest.fixture
def live(serve: Callable[..., LiveServer]) -> LiveServer:
    return serve()


@pytest.fixture
def server(database: Database) -> IdentityServer:
    return create_server(database, "okta", method="oauth2")


def register(database: Database, server: IdentityServer, **options: object) -> RegisteredClient:
    return OAuthClientRepository(database).register(server.id, **options)  # type: ignore[arg-type]


def scim_status(live: LiveServer, server: IdentityServer, access_token: str) -> int:
    headers = {"Authorization": f"Bearer {access_token}"}
    return requests.get(live.scim_url(server.id), headers=headers, timeout=10).status_code


def consent_form(page: requests.Response) -> tuple[str, str]:
    assert page.status_code == 200, page.text
    action = re.search(r'<form method="post" action="([^"]+)"', page.text)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert action and token, page.text
    return html.unescape(action.group(1)), html.unescape(token.group(1))


def sign_in(
    live: LiveServer,
    authorization_url: str,
    *,
    login: str = "glpi",
    password: str = "glpi",
    decision: str = "allow",
    browser: requests.Session | None = None,
) -> requests.Response:
    browser = browser or requests.Session()
    action, csrf = consent_form(browser.get(authorization_url, timeout=10))
    form = {"csrf_token": csrf, "login": login, "password": password, "decision": decision}
    return browser.post(live.base_url + action, data=form, allow_redirects=False, timeout=10)


def code_flow_session(
    live: LiveServer, server: IdentityServer, client_id: str, *, pkce: str | None = "S256"
) -> tuple[OAuth2Session, str]:
    session = OAuth2Session(client_id, redirect_uri=CALLBACK, scope=["scim"], pkce=pkce)
    url, _state = session.authorization_url(live.oauth_url(server.id, "authorize"))
    return session, url


def test_authorization_code_with_pkce_refresh_rotation_and_reuse_detection(
    live: LiveServer, database: Database, server: IdentityServer
) -> None:
    client = register(database, server, redirect_uris=[CALLBACK], public=True, name="Okta").client
    session, url = code_flow_session(live, server, client.client_id)
    page = requests.get(url, timeout=10)
    assert "Okta" in page.text and "okta" in page.text  # client and server named
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]

    redirect = sign_in(live, url)
    assert redirect.status_code == 302, redirect.text
    location = redirect.headers["Location"]
    assert location.startswith(CALLBACK + "?")
    state = parse_qs(urlsplit(url).query)["state"]
    assert parse_qs(urlsplit(location).query)["state"] == state

    token_url = live.oauth_url(server.id, "token")
    first = session.fetch_token(token_url, authorization_response=location, include_client_id=True)
    assert first["token_type"] == "Bearer" and first["expires_in"] == 3600
    assert first["scope"] == ["scim"]
    assert scim_status(live, server, first["access_token"]) == 200

    # Rotation: each refresh token works once and brings a new one.
    second = session.refresh_token(
        token_url, refresh_token=first["refresh_token"], client_id=client.client_id
    )
    assert second["refresh_token"] != first["refresh_token"]
    assert scim_status(live, server, second["access_token"]) == 200
    assert scim_status(live, server, first["access_token"]) == 401  # replaced

    # Reuse of the old refresh token: refused, and the whole chain is revoked.
    reuse = requests.post(
        token_url,
        data={
            "grant_type": "refresh_token",
            "refresh_token": first["refresh_token"],
            "client_id": client.client_id,
        },
        timeout=10,
    )
    assert reuse.status_code == 400 and reuse.json()["error"] == "invalid_grant"
    assert scim_status(live, server, second["access_token"]) == 401
    again = requests.post(
        token_url,
        data={
            "grant_type": "refresh_token",
            "refresh_token": second["refresh_token"],
            "client_id": client.client_id,
        },
        timeout=10,
    )
    assert again.status_code == 400


def test_confidential_client_code_flow_and_revocation(
    live: LiveServer, database: Database, server: IdentityServer
) -> None:
    registered = register(database, server, redirect_uris=[CALLBACK])
    client_id, secret = registered.client.client_id, registered.client_secret
    session, url = code_flow_session(live, server, client_id, pkce=None)
    location = sign_in(live, url).headers["Location"]
    token_url = live.oauth_url(server.id, "token")
    token = session.fetch_token(token_url, authorization_response=location, client_secret=secret)
    assert scim_status(live, server, token["access_token"]) == 200

    # RFC 7009: revoking the refresh token revokes the access token of the same grant.
    revoked = requests.post(
        live.oauth_url(server.id, "revoke"),
        data={"token": token["refresh_token"], "token_type_hint": "refresh_token"},
        auth=(client_id, secret or ""),
        timeout=10,
    )
    assert revoked.status_code == 200, revoked.text
    assert scim_status(live, server, token["access_token"]) == 401


def test_client_credentials_like_entra(
    live: LiveServer, database: Database, server: IdentityServer
) -> None:
    registered = register(database, server, grant_types=["client_credentials"], name="Entra")
    client_id, secret = registered.client.client_id, registered.client_secret
    assert secret is not None
    token_url = live.oauth_url(server.id, "token")
    session = OAuth2Session(client=BackendApplicationClient(client_id=client_id))
    token = session.fetch_token(token_url, client_id=client_id, client_secret=secret)
    assert "refresh_token" not in token and token["expires_in"] == 3600
    assert scim_status(live, server, token["access_token"]) == 200

    # client_secret_post (credentials in the form body) works too.
    posted = requests.post(
        token_url,
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
        timeout=10,
    )
    assert posted.status_code == 200 and posted.headers["Cache-Control"] == "no-store"

    wrong = requests.post(
        token_url, data={"grant_type": "client_credentials"}, auth=(client_id, "guess"), timeout=10
    )
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"

    # The token and the client belong to this server only.
    other = create_server(database, "other", method="oauth2")
    assert scim_status(live, other, token["access_token"]) == 401
    foreign = requests.post(
        live.oauth_url(other.id, "token"),
        data={"grant_type": "client_credentials"},
        auth=(client_id, secret),
        timeout=10,
    )
    assert foreign.status_code == 401 and foreign.json()["error"] == "invalid_client"

    # Removing the client ends its tokens at once.
    OAuthClientRepository(database).remove(server.id, client_id)
    assert scim_status(live, server, token["access_token"]) == 401


def test_expired_access_tokens_are_refused(
    live: LiveServer, database: Database, server: IdentityServer
) -> None:
    registered = register(database, server, grant_types=["client_credentials"])
    token = requests.post(
        live.oauth_url(server.id, "token"),
        data={"grant_type": "client_credentials"},
        auth=(registered.client.client_id, registered.client_secret or ""),
        timeout=10,
    ).json()
    with database.begin() as connection:
        connection.execute(
            update(tables.oauth_tokens).values(
                access_expiration=to_db(utcnow() - timedelta(seconds=1))
            )
        )
    assert scim_status(live, server, token["access_token"]) == 401


def test_mismatched_redirect_uri_is_never_redirected_to(
    live: LiveServer, database: Database, server: IdentityServer
) -> None:
    client = register(database, server, redirect_uris=[CALLBACK], public=True).client
    for evil in ("https://evil.example.com/callback", CALLBACK + "/x", CALLBACK + "?a=1"):
        session = OAuth2Session(client.client_id, redirect_uri=evil, scope=["scim"], pkce="S256")
        url, _ = session.authorization_url(live.oauth_url(server.id, "authorize"))
        page = requests.get(url, allow_redirects=False, timeout=10)
        assert page.status_code == 400 and "Location" not in page.headers
        assert "redirect" in page.text.lower()


def test_code_is_single_use_and_its_reuse_revokes_the_tokens(
    live: LiveServer, database: Database, server: IdentityServer
) -> None:
    client = register(database, server, redirect_uris=[CALLBACK], public=True).client
    session, url = code_flow_session(live, server, client.client_id)
    location = sign_in(live, url).headers["Location"]
    token_url = live.oauth_url(server.id, "token")
    token = session.fetch_token(token_url, authorization_response=location, include_client_id=True)
    code = parse_qs(urlsplit(location).query)["code"][0]
    replay = requests.post(
        token_url,
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": CALLBACK,
            "client_id": client.client_id,
            "code_verifier": session._code_verifier,
        },
        timeout=10,
    )
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    assert scim_status(live, server, token["access_token"]) == 401


def test_pkce_is_required_checked_and_s256_only_for_public_clients(
    live: LiveServer, database: Database, server: IdentityServer
) -> None:
    client = register(database, server, redirect_uris=[CALLBACK], public=True).client
    authorize = live.oauth_url(server.id, "authorize")
    # Without PKCE, or with "plain": back to the client with an error, no code.
    for extra in ({}, {"code_challenge": "x" * 43, "code_challenge_method": "plain"}):
        params = {
            "response_type": "code",
            "client_id": client.client_id,
            "redirect_uri": CALLBACK,
            "state": "s1",
            **extra,
        }
        answer = requests.get(authorize, params=params, allow_redirects=False, timeout=10)
        assert answer.status_code == 302
        query = parse_qs(urlsplit(answer.headers["Location"]).query)
        assert query["error"] == ["invalid_request"] and "code" not in query

    # A wrong verifier at the token endpoint.
    _session, url = code_flow_session(live, server, client.client_id)
    code = parse_qs(urlsplit(sign_in(live, url).headers["Location"]).query)["code"][0]
    wrong = requests.post(
        live.oauth_url(server.id, "token"),
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": CALLBACK,
            "client_id": client.client_id,
            "code_verifier": "w" * 50,
        },
        timeout=10,
    )
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"


def test_expired_code_and_code_for_another_redirect_are_refused(
    live: LiveServer, database: Database, server: IdentityServer
) -> None:
    second_callback = "https://idp.example.com/other"
    client = register(
        database, server, redirect_uris=[CALLBACK, second_callback], public=True
    ).client
    token_url = live.oauth_url(server.id, "token")

    session, url = code_flow_session(live, server, client.client_id)
    code = parse_qs(urlsplit(sign_in(live, url).headers["Location"]).query)["code"][0]
    mismatched = requests.post(
        token_url,
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": second_callback,
            "client_id": client.client_id,
            "code_verifier": session._code_verifier,
        },
        timeout=10,
    )
    assert mismatched.status_code == 400

    session, url = code_flow_session(live, server, client.client_id)
    location = sign_in(live, url).headers["Location"]
    with database.begin() as connection:
        connection.execute(
            update(tables.oauth_codes).values(date_expiration=to_db(utcnow() - timedelta(1)))
        )
    with pytest.raises(Exception, match="invalid_grant"):
        session.fetch_token(token_url, authorization_response=location, include_client_id=True)


def test_client_of_another_server_cannot_start_a_flow(
    live: LiveServer, database: Database, server: IdentityServer
) -> None:
    other = create_server(database, "other", method="oauth2")
    client = register(database, other, redirect_uris=[CALLBACK], public=True).client
    _session, url = code_flow_session(live, server, client.client_id)
    page = requests.get(url, allow_redirects=False, timeout=10)
    assert page.status_code == 400 and "Location" not in page.headers


def test_sign_in_refusals(live: LiveServer, database: Database, server: IdentityServer) -> None:
    client = register(database, server, redirect_uris=[CALLBACK], public=True).client
    _session, url = code_flow_session(live, server, client.client_id)

    wrong = sign_in(live, url, password="not-glpi")
    assert wrong.status_code == 200 and "Wrong login or password" in wrong.text
    assert "not-glpi" not in wrong.text

    # tech (Technician) has a GLPI password but may not connect an identity provider.
    refused = sign_in(live, url, login="tech", password="tech")
    assert refused.status_code == 403 and "may not grant" in refused.text

    denied = sign_in(live, url, decision="deny")
    assert denied.status_code == 302
    query = parse_qs(urlsplit(denied.headers["Location"]).query)
    assert query["error"] == ["access_denied"] and "code" not in query


def test_the_form_is_protected_against_cross_site_posts(
    live: LiveServer, database: Database, server: IdentityServer
) -> None:
    client = register(database, server, redirect_uris=[CALLBACK], public=True).client
    _session, url = code_flow_session(live, server, client.client_id)
    browser = requests.Session()
    action, csrf = consent_form(browser.get(url, timeout=10))
    form = {"login": "glpi", "password": "glpi", "decision": "allow"}
    target = live.base_url + action
    # No token, a forged token, or a valid token without the browser's cookie: refused.
    for data, session in (
        (form, browser),
        ({**form, "csrf_token": csrf.split(".")[0] + ".00"}, browser),
        ({**form, "csrf_token": csrf}, requests.Session()),
    ):
        answer = session.post(target, data=data, allow_redirects=False, timeout=10)
        assert answer.status_code == 403 and "Location" not in answer.headers
    # The token is bound to this authorization request: another state gets nothing.
    other_request = target.replace("state=", "state=x")
    answer = browser.post(
        other_request, data={**form, "csrf_token": csrf}, allow_redirects=False, timeout=10
    )
    assert answer.status_code == 403


def test_sign_in_is_throttled(live: LiveServer, database: Database, server: IdentityServer) -> None:
    client = register(database, server, redirect_uris=[CALLBACK], public=True).client
    _session, url = code_flow_session(live, server, client.client_id)
    browser = requests.Session()
    for attempt in range(10):
        assert sign_in(live, url, password=f"guess{attempt}", browser=browser).status_code == 200
    blocked = sign_in(live, url, browser=browser)  # even the right password
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0


def test_token_endpoint_honours_the_allow_list_and_server_state(
    live: LiveServer, database: Database
) -> None:
    limited = create_server(
        database, "limited", method="oauth2", allowed_networks=("203.0.113.0/24",)
    )
    registered = register(database, limited, grant_types=["client_credentials"])
    answer = requests.post(
        live.oauth_url(limited.id, "token"),
        data={"grant_type": "client_credentials"},
        auth=(registered.client.client_id, registered.client_secret or ""),
        timeout=10,
    )
    assert answer.status_code == 403 and answer.json()["error"] == "access_denied"

    bearer_server = create_server(database, "jwt", method="bearer")
    inactive = create_server(database, "off", method="oauth2", is_active=False)
    for identity_server, status in ((bearer_server, 404), (inactive, 403)):
        answer = requests.post(
            live.oauth_url(identity_server.id, "token"),
            data={"grant_type": "client_credentials"},
            timeout=10,
        )
        assert answer.status_code == status
    assert requests.get(live.oauth_url(999, "authorize"), timeout=10).status_code == 404


def test_tokens_and_secrets_never_reach_the_log(
    live: LiveServer, database: Database, server: IdentityServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = register(database, server, redirect_uris=[CALLBACK]).client
    registered = register(database, server, grant_types=["client_credentials"])
    secret = registered.client_secret or ""
    _session, url = code_flow_session(live, server, client.client_id, pkce=None)
    location = sign_in(live, url).headers["Location"]
    code = parse_qs(urlsplit(location).query)["code"][0]
    token = requests.post(
        live.oauth_url(server.id, "token"),
        data={"grant_type": "client_credentials"},
        auth=(registered.client.client_id, secret),
        timeout=10,
    ).json()
    requests.post(
        live.oauth_url(server.id, "token"),
        data={"grant_type": "client_credentials"},
        auth=(registered.client.client_id, "wrong-" + secret),
        timeout=10,
    )
    assert scim_status(live, server, token["access_token"]) == 200
    logged = caplog.text
    assert "invalid_client" in logged  # the failure is logged...
    for value in (secret, token["access_token"], code, "password=glpi"):
        assert value not in logged  # ...but no secret, token, code or password
