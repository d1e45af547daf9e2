"""Who may change whom, replayed through the real app on SQLite and on a real GLPI install.

`glpi_database` runs each test on the embedded SQLite file and on MariaDB loaded from the dump
of GLPI 10.0.19's own installer; `make_idp` declares identity servers with the same service
`glpi-scim server add` uses and talks to them over the real WSGI application.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from falcon import testing

from glpi_scim.db.database import Database
from glpi_scim.identity.models import IdentityServer
from glpi_scim.servers.service import ServerInput, ServerService
from idp.support import Glpi, Idp

from .support import GlpiWriter

MakeIdp = Callable[..., tuple[Idp, IdentityServer]]


@pytest.fixture
def glpi(glpi_database: Database) -> Glpi:
    return Glpi(glpi_database)


@pytest.fixture
def site(glpi_database: Database) -> GlpiWriter:
    return GlpiWriter(glpi_database)


@pytest.fixture
def app_client(
    glpi_database: Database, settings_for: Callable[..., Any]
) -> Iterator[testing.TestClient]:
    from glpi_scim.server.app import create_app

    app = create_app(settings_for(glpi_database))
    yield testing.TestClient(app)
    app.context.close()


@pytest.fixture
def make_idp(glpi_database: Database, app_client: testing.TestClient) -> MakeIdp:
    """`make_idp(name, applied_user="glpi", **ServerInput fields)` -> (Idp, server)."""
    service = ServerService(glpi_database)

    def build(
        name: str, *, applied_user: str = "glpi", **settings: Any
    ) -> tuple[Idp, IdentityServer]:
        outcome = service.add(
            ServerInput(name=name, applied_user=applied_user, security="bearer", **settings)
        )
        issued = service.issue_token(
            outcome.server, issuer="http://testserver", lifetime=timedelta(days=1)
        )
        idp = Idp(app_client, outcome.server, f"Bearer {issued.token}", user_agent=name)
        return idp, outcome.server

    return build
