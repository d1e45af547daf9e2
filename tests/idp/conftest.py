"""Replay harness: an identity server, the real falcon app, and readers of GLPI's rows.

Each IdP module replays the requests that IdP really sends (payloads and order from its
documentation and client code), through the real WSGI application on the `database` fixture
(SQLite and MariaDB with GLPI's schema), and after each step reads GLPI's own tables.

Every replay runs twice: with GLPI's Super-Admin `glpi` as the applied user (the default
server's), and with `scim-admin`, a user holding only GLPI's standard Admin profile (the `user`
and `group` rights, fewer rights than a Super-Admin): what the IdP does must work for both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from falcon import testing
from sqlalchemy import select

from glpi_scim.db import tables
from glpi_scim.db.database import Database
from glpi_scim.glpi import history
from glpi_scim.identity.models import IdentityServer
from glpi_scim.servers.service import ServerInput, ServerService

from .support import APPLIED_USER, Glpi, Idp, basic_header

ADMIN_PROFILE = 3  # GLPI's standard Admin profile


@pytest.fixture(params=[APPLIED_USER, "scim-admin"], ids=["super-admin", "admin"])
def applied_user(request: pytest.FixtureRequest, database: Database) -> str:
    """The identity servers' applied user; `scim-admin` is made an Admin of the root entity."""
    login = str(request.param)
    if login != APPLIED_USER:
        with database.begin() as connection:
            result = connection.execute(
                tables.users.insert().values(name=login, authtype=1, password="", is_active=1)
            )
            connection.execute(
                tables.profiles_users.insert().values(
                    users_id=int(result.inserted_primary_key[0]),
                    profiles_id=ADMIN_PROFILE,
                    entities_id=0,
                    is_recursive=1,
                )
            )
    return login


@pytest.fixture
def applied_user_log_name(applied_user: str, database: Database) -> str:
    """How GLPI's history names the applied user ("glpi (2)")."""
    users = tables.users
    with database.begin() as connection:
        user_id = connection.execute(select(users.c.id).where(users.c.name == applied_user))
        return history.actor_name(connection, int(user_id.scalar_one()))


@pytest.fixture
def glpi(database: Database) -> Glpi:
    return Glpi(database)


@pytest.fixture
def app_client(
    database: Database, settings_for: Callable[..., Any]
) -> Iterator[testing.TestClient]:
    from glpi_scim.server.app import create_app

    app = create_app(settings_for(database))
    yield testing.TestClient(app)


@pytest.fixture
def make_idp(
    database: Database, app_client: testing.TestClient, applied_user: str
) -> Callable[..., tuple[Idp, IdentityServer]]:
    """`make_idp(name, user_agent=..., **server settings)` -> (Idp, server).

    Bearer servers get a token sent as `Authorization: Bearer <t>` (`bare_token=True`: the bare
    token, as Okta's HTTP Header mode); basic servers get `username`/`password`.
    """
    service = ServerService(database)

    def build(
        name: str,
        *,
        user_agent: str,
        security: str = "bearer",
        bare_token: bool = False,
        username: str | None = None,
        password: str | None = None,
        **settings: Any,
    ) -> tuple[Idp, IdentityServer]:
        outcome = service.add(
            ServerInput(
                name=name,
                applied_user=applied_user,
                security=security,
                username=username,
                password=password,
                **settings,
            )
        )
        server = outcome.server
        authorization: str | None = None
        if security == "bearer":
            issued = service.issue_token(
                server, issuer="http://testserver", lifetime=timedelta(days=1), comment=name
            )
            authorization = issued.token if bare_token else f"Bearer {issued.token}"
        elif security == "basic":
            assert username is not None and password is not None
            authorization = basic_header(username, password)
        return Idp(app_client, server, authorization, user_agent=user_agent), server

    return build
