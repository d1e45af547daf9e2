"""Fixtures of the security tests: an Authenticator on the real database, and the application
served over real HTTP (waitress on a free loopback port) for real clients (requests,
requests-oauthlib)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import falcon
import pytest
from waitress.server import create_server

from glpi_scim.config import Settings
from glpi_scim.db.database import Database
from glpi_scim.security.authenticator import Authenticator
from glpi_scim.server.app import create_app
from glpi_scim.server.context import AppContext


@pytest.fixture
def authenticator(database: Database) -> Authenticator:
    return Authenticator(database, Settings())


# -- the application over HTTP ----------------------------------------------------------------


def build_app(settings: Settings, database: Database) -> tuple[falcon.App, AppContext]:
    """The real application (create_app) on the test database."""
    context = AppContext.create(settings, database)
    return create_app(settings, context=context), context


@dataclass
class LiveServer:
    base_url: str
    context: AppContext

    def scim_url(self, server_id: int) -> str:
        return f"{self.base_url}/scim/v2/{server_id}/Users"

    def oauth_url(self, server_id: int, endpoint: str) -> str:
        return f"{self.base_url}/oauth2/{server_id}/{endpoint}"


@pytest.fixture
def serve(
    database: Database, settings_for: Callable[..., Settings]
) -> Iterator[Callable[..., LiveServer]]:
    """`serve(**settings)`: the application on a free loopback port, stopped after the test."""
    started: list[Any] = []

    def start(**overrides: Any) -> LiveServer:
        settings = settings_for(database, **overrides)
        app, context = build_app(settings, database)
        # waitress strips X-Forwarded-* unless told otherwise; the application decides itself
        # which proxies to believe (settings.trusted_proxies), as under `glpi-scim serve`.
        server = create_server(
            app,
            host="127.0.0.1",
            port=0,
            threads=4,
            ident="glpi-scim-test",
            clear_untrusted_proxy_headers=False,
        )
        stop = threading.Event()

        def run() -> None:
            # Short loop turns so that stopping never waits, and never closes a socket while
            # another thread selects on it.
            while not stop.is_set():
                server.asyncore.loop(timeout=0.05, map=server._map, count=1)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        started.append((server, thread, stop, context))
        return LiveServer(f"http://127.0.0.1:{server.effective_port}", context)

    yield start
    for server, thread, stop, context in started:
        stop.set()
        thread.join(timeout=5)
        for channel in list(server._map.values()):
            if channel is not server:
                channel.close()  # kept-alive client connections, the wake-up trigger
        server.close()
        server.task_dispatcher.shutdown()
        context.log_writer.close()
        if context.retention is not None:
            context.retention.wait()
        # The counts go to this test's database, not to the next test's.
        context.stats.close()
