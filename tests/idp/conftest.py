"""Replay harness: an identity server, the real falcon app, and readers of GLPI's rows.

Each IdP module replays the requests that IdP really sends (payloads and order from its
documentation and client code), through the real WSGI application on the `database` fixture
(SQLite and MariaDB with GLPI's schema), and after each step reads GLPI's own tables.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from falcon import testing

from glpi_scim.glpi.database import Database
from glpi_scim.servers.models import IdentityServer
from glpi_scim.servers.service import ServerInput, ServerService

from .support import APPLIED_USER, Glpi, Idp, basic_header


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
    database: Database, app_client: testing.TestClient
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
                applied_user=APPLIED_USER,
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
