"""The mass-change guard under parallel clients: concurrent removals cannot slip past it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import requests

from glpi_scim.db.database import Database
from glpi_scim.glpi.guard import GuardService, RemovalLimit

from .conftest import Served
from .support import assert_scim_error, patch, user

Race = Callable[..., list[Any]]


@pytest.fixture
def served(database: Database, serve: Callable[..., Served]) -> Served:
    """The race is about the guard's count: no cap on one server's requests in progress."""
    return serve(database, max_requests_in_flight=0)


def test_parallel_removals_stop_exactly_at_the_limit(served: Served, race: Race) -> None:
    GuardService(served.database).set_limit(served.server.id, RemovalLimit(5, timedelta(hours=1)))
    ids = [served.client.post("/Users", user(f"leaver{i}")).json()["id"] for i in range(16)]
    clients = [served.new_client() for _ in ids]

    def remove(i: int) -> requests.Response:
        if i % 2:
            off = patch({"op": "replace", "path": "active", "value": False})
            return clients[i].patch(f"/Users/{ids[i]}", off)
        return clients[i].delete(f"/Users/{ids[i]}")

    results = race(remove, threads=len(ids))
    statuses = Counter(
        r.status_code if isinstance(r, requests.Response) else repr(r) for r in results
    )
    assert statuses[503] == 11 and statuses[204] + statuses[200] == 5, statuses
    for response in results:
        if response.status_code == 503:
            assert_scim_error(response, 503, None, "mass-change guard")
    state = GuardService(served.database).state(served.server)
    assert (state.tripped, state.count, state.refused) == (True, 5, 11)
