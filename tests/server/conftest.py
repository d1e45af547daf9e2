"""The real falcon app on a real database, driven through falcon's WSGI test client."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import falcon.testing
import pytest

from glpi_scim.config import Settings
from glpi_scim.db.database import Database
from glpi_scim.server.app import ScimApp, create_app
from glpi_scim.server.context import AppContext

from .support import Api, add_server


@pytest.fixture
def make_app(
    database: Database, settings_for: Callable[..., Settings]
) -> Iterator[Callable[..., ScimApp]]:
    apps: list[ScimApp] = []

    def build(**overrides: Any) -> ScimApp:
        settings = settings_for(database, **overrides)
        app = create_app(settings, context=AppContext.create(settings, database))
        apps.append(app)
        return app

    yield build
    for app in apps:
        app.context.log_writer.close()
        if app.context.retention is not None:
            app.context.retention.wait()
        app.context.stats.close()
        if app.context.metrics_listener is not None:
            app.context.metrics_listener.close()


@pytest.fixture
def make_api(database: Database, make_app: Callable[..., ScimApp]) -> Callable[..., Api]:
    """`make_api(server_settings..., settings=dict(...))`: a server and a client for it."""

    def build(*, settings: dict[str, Any] | None = None, **given: Any) -> Api:
        server, token = add_server(database, **given)
        app = make_app(**(settings or {}))
        prefix = app.context.settings.url_prefix
        return Api(falcon.testing.TestClient(app), app, server, token, f"{prefix}/v2/{server.id}")

    return build


@pytest.fixture
def api(make_api: Callable[..., Api]) -> Api:
    return make_api()
