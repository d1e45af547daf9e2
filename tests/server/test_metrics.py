"""`/metrics`: Prometheus text, off unless enabled, on the SCIM listener or its own."""

from __future__ import annotations

from collections.abc import Callable

import falcon.testing
import requests
from prometheus_client.parser import text_string_to_metric_families

from glpi_scim.config import Settings
from glpi_scim.db.database import Database
from glpi_scim.server.app import ScimApp, create_app
from glpi_scim.server.context import AppContext

from .support import USER_SCHEMA, Api

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def samples(text: str) -> Samples:
    """Every sample of a Prometheus text exposition, parsed by prometheus_client's parser."""
    found: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def scrape(client: falcon.testing.TestClient) -> tuple[falcon.testing.Result, Samples]:
    result = client.simulate_get("/metrics")
    return result, samples(result.text) if result.status_code == 200 else {}


def requests_of(found: Samples, server: int, method: str, kind: str, status: int) -> float:
    labels = (("method", method), ("resource_type", kind), ("server", str(server)))
    key = ("glpi_scim_requests_total", (*labels[:2], labels[2], ("status", str(status))))
    return found.get((key[0], tuple(sorted(key[1]))), 0.0)


def test_metrics_are_off_unless_enabled(api: Api) -> None:
    result = api.client.simulate_get("/metrics")
    assert result.status_code == 404
    assert result.headers["content-type"].startswith("application/scim+json")


def test_requests_latency_and_guard_trips_on_the_scim_listener(
    make_api: Callable[..., Api],
) -> None:
    api = make_api(settings={"metrics_enabled": True}, max_removals="1/10m")
    server = api.server.id
    created = [
        api.post("/Users", {"schemas": [USER_SCHEMA], "userName": f"m{i}"}).json["id"]
        for i in range(2)
    ]
    _, before = scrape(api.client)
    assert api.get("/Users").status_code == 200
    assert api.get("/Users/424242").status_code == 404
    assert api.get("/Groups", auth=False).status_code == 401
    # The second removal trips the mass-change guard (limit 1): one trip counted.
    assert api.delete(f"/Users/{created[0]}").status_code == 204
    assert api.delete(f"/Users/{created[1]}").status_code == 503

    result, after = scrape(api.client)
    assert result.status_code == 200
    assert result.headers["content-type"].startswith("text/plain; version=")
    for method, kind, status in (
        ("GET", "Users", 200),
        ("GET", "Users", 404),
        ("GET", "Groups", 401),
    ):
        gained = requests_of(after, server, method, kind, status) - requests_of(
            before, server, method, kind, status
        )
        assert gained == 1, (method, kind, status)
    users = (("method", "GET"), ("resource_type", "Users"), ("server", str(server)))
    count = ("glpi_scim_request_duration_seconds_count", users)
    assert after[count] - before.get(count, 0.0) == 2
    trips = ("glpi_scim_guard_trips_total", (("server", str(server)),))
    assert after[trips] - before.get(trips, 0.0) == 1
    assert "# TYPE glpi_scim_database_errors_total counter" in result.text
    # Scrapes are not counted as traffic.
    assert not any(labels and ("resource_type", "metrics") in labels for _, labels in after)


def test_metrics_on_a_listener_of_their_own(
    database: Database, settings_for: Callable[..., Settings], api: Api
) -> None:
    settings = settings_for(database, metrics_enabled=True, metrics_listen="127.0.0.1:0")
    app: ScimApp = create_app(settings, context=AppContext.create(settings, database))
    try:
        listener = app.context.metrics_listener
        assert listener is not None and listener.port > 0
        client = falcon.testing.TestClient(app)
        # Not on the IdP-facing listener...
        assert client.simulate_get("/metrics").status_code == 404
        headers = {"Authorization": f"Bearer {api.token}"}
        assert client.simulate_get(api.root + "/Users", headers=headers).status_code == 200
        # ...but on its own address, over HTTP.
        scraped = requests.get(listener.url, timeout=30)
        assert scraped.status_code == 200
        assert requests_of(samples(scraped.text), api.server.id, "GET", "Users", 200) >= 1
    finally:
        app.context.close()
    # Closed with the application.
    try:
        requests.get(listener.url, timeout=5)
    except requests.ConnectionError:
        pass
    else:
        raise AssertionError("the metrics listener still answers after close()")
