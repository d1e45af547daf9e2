"""Fixtures of the reliability tests: the app served over HTTP on a real database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import pytest

from glpi_scim.config import Settings
from glpi_scim.db.database import Database
from glpi_scim.identity.models import IdentityServer

from .support import Client, LiveServer, add_server, consistency_problems, live_server


@dataclass
class Served:
    """A live server on a real database, one identity server and a client for it."""

    live: LiveServer
    database: Database
    server: IdentityServer
    token: str
    client: Client

    def new_client(self, *, timeout: float = 60) -> Client:
        return Client(self.live.base_url, self.server.id, self.token, timeout=timeout)


@pytest.fixture
def serve(
    settings_for: Callable[..., Settings],
) -> Iterator[Callable[..., Served]]:
    """`serve(database, **settings)`: a live server on that database, checked afterwards."""
    stack = ExitStack()
    served: list[Served] = []

    def start(database: Database, **overrides: Any) -> Served:
        overrides.setdefault("threads", 8)
        server, token = add_server(database)
        settings = settings_for(database, **overrides)
        # The server opens its own engine and pool, as `glpi-scim serve` does.
        live = stack.enter_context(live_server(settings))
        client = Client(live.base_url, server.id, token)
        stack.callback(client.close)
        item = Served(live, database, server, token, client)
        served.append(item)
        return item

    with stack:
        yield start
    for item in served:
        assert consistency_problems(item.database) == {}


@pytest.fixture
def served(database: Database, serve: Callable[..., Served]) -> Served:
    """A live server on the parametrised database (SQLite, and MariaDB when configured)."""
    return serve(database)
