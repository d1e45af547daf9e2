"""An OAuth2 grant ends with its grantor, and after its absolute lifetime: requests-oauthlib as
the identity provider over real HTTP, GLPI's rows changed as an administrator would in GLPI."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import requests
from requests_oauthlib import OAuth2Session
from sqlalchemy import delete, select, update

from glpi_scim.db import tables
from glpi_scim.db.clock import from_db, to_db, utcnow
from glpi_scim.db.database import Database
from glpi_scim.identity.models import IdentityServer

from .conftest import LiveServer
from .support import create_server
from .test_oauth2 import CALLBACK, code_flow_session, register, scim_status, sign_in

GLPI_ID = 2  # the Super-Admin "glpi" signs in and approves
TECH_ID = 4  # the server's applied user
SUPER_ADMIN_PROFILE = 4


@pytest.fixture(autouse=True)
def _plain_http_for_the_test_client(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


@pytest.fixture
def server(database: Database) -> IdentityServer:
    # GLPI's fresh install gives Super-Admin the setup right (`config` 3): the test databases
    # hold the install's rights rows.
    return create_server(database, "okta", method="oauth2", users_id_applied=TECH_ID)


def approved_grant(
    live: LiveServer, database: Database, server: IdentityServer, *, login: str = "glpi"
) -> tuple[OAuth2Session, dict[str, Any], str]:
    """A public client's tokens, approved on the consent page by `login`."""
    client = register(database, server, redirect_uris=[CALLBACK], public=True).client
    session, url = code_flow_session(live, server, client.client_id)
    redirect = sign_in(live, url, login=login, password=login)
    assert redirect.status_code == 302, redirect.text
    token = session.fetch_token(
        live.oauth_url(server.id, "token"),
        authorization_response=redirect.headers["Location"],
        include_client_id=True,
    )
    return session, token, client.client_id


def refresh(live: LiveServer, server: IdentityServer, client_id: str, token: str) -> Any:
    return requests.post(
        live.oauth_url(server.id, "token"),
        data={"grant_type": "refresh_token", "refresh_token": token, "client_id": client_id},
        timeout=10,
    )


def change_glpi(database: Database, *statements: Any) -> None:
    with database.begin() as connection:
        for statement in statements:
            connection.execute(statement)


USERS = tables.users
RIGHTS = tables.profilerights
GRANTOR_CHANGES: dict[str, tuple[Callable[[int], Any], ...]] = {
    "trashed": (lambda uid: update(USERS).where(USERS.c.id == uid).values(is_deleted=1),),
    "deactivated": (lambda uid: update(USERS).where(USERS.c.id == uid).values(is_active=0),),
    "past its validity": (
        lambda uid: (
            update(USERS)
            .where(USERS.c.id == uid)
            .values(end_date=to_db(utcnow() - timedelta(days=1)))
        ),
    ),
    "stripped of its profiles": (
        lambda uid: delete(tables.profiles_users).where(tables.profiles_users.c.users_id == uid),
    ),
    "its profile lost the setup right": (
        lambda _uid: (
            update(RIGHTS)
            .where(RIGHTS.c.profiles_id == SUPER_ADMIN_PROFILE, RIGHTS.c.name == "config")
            .values(rights=1)
        ),
    ),
    "deleted": (lambda uid: delete(USERS).where(USERS.c.id == uid),),
}


@pytest.mark.parametrize("change", list(GRANTOR_CHANGES))
def test_a_grant_ends_with_its_grantor(
    serve: Callable[..., LiveServer], database: Database, server: IdentityServer, change: str
) -> None:
    live = serve()
    _session, token, client_id = approved_grant(live, database, server)
    assert scim_status(live, server, token["access_token"]) == 200

    change_glpi(database, *(make(GLPI_ID) for make in GRANTOR_CHANGES[change]))
    # The access token stops at once, the refresh is refused and revokes the grant.
    assert scim_status(live, server, token["access_token"]) == 401
    refused = refresh(live, server, client_id, token["refresh_token"])
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
    with database.begin() as connection:
        live_tokens = connection.execute(
            select(tables.oauth_tokens.c.id).where(tables.oauth_tokens.c.is_revoked == 0)
        ).all()
    assert live_tokens == []


def test_the_applied_user_as_grantor_is_rechecked_too(
    serve: Callable[..., LiveServer], database: Database
) -> None:
    live = serve()
    applied = create_server(database, "okta", method="oauth2", users_id_applied=TECH_ID)
    _session, token, client_id = approved_grant(live, database, applied, login="tech")
    renewed = refresh(live, applied, client_id, token["refresh_token"])
    assert renewed.status_code == 200
    change_glpi(database, update(USERS).where(USERS.c.id == TECH_ID).values(is_deleted=1))
    refused = refresh(live, applied, client_id, renewed.json()["refresh_token"])
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"


def test_a_revoked_grant_stays_revoked_when_the_grantor_comes_back(
    serve: Callable[..., LiveServer], database: Database, server: IdentityServer
) -> None:
    live = serve()
    _session, token, client_id = approved_grant(live, database, server)
    change_glpi(database, update(USERS).where(USERS.c.id == GLPI_ID).values(is_active=0))
    assert refresh(live, server, client_id, token["refresh_token"]).status_code == 400
    change_glpi(database, update(USERS).where(USERS.c.id == GLPI_ID).values(is_active=1))
    assert refresh(live, server, client_id, token["refresh_token"]).status_code == 400
    assert scim_status(live, server, token["access_token"]) == 401


def test_a_grant_has_an_absolute_lifetime(
    serve: Callable[..., LiveServer], database: Database, server: IdentityServer
) -> None:
    live = serve(oauth_grant_lifetime_days=30)
    oauth_tokens = tables.oauth_tokens

    def approved_days_ago(days: int) -> None:
        change_glpi(
            database,
            update(oauth_tokens).values(date_grant=to_db(utcnow() - timedelta(days=days))),
        )

    _session, token, client_id = approved_grant(live, database, server)
    approved_days_ago(29)
    renewed = refresh(live, server, client_id, token["refresh_token"])
    assert renewed.status_code == 200, renewed.text
    # Refreshing does not move the approval date.
    with database.begin() as connection:
        dates = connection.execute(
            select(oauth_tokens.c.date_grant).where(oauth_tokens.c.is_revoked == 0)
        ).scalars()
        assert [utcnow() - from_db(date) > timedelta(days=28) for date in dates] == [True]

    approved_days_ago(31)
    expired = refresh(live, server, client_id, renewed.json()["refresh_token"])
    assert expired.status_code == 400 and expired.json()["error"] == "invalid_grant"
    assert scim_status(live, server, renewed.json()["access_token"]) == 401
