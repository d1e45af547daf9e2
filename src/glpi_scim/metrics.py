"""Prometheus metrics of the SCIM service (`/metrics`, when `metrics_enabled` is on).

Defined once per process on a registry of their own, so that tests and embedders that build
several applications share one set of series. Under gunicorn, set PROMETHEUS_MULTIPROCESS_DIR
(an empty directory, writable by every worker) before the workers start: each worker then
writes its values there and `/metrics` adds up every worker's (prometheus_client's
multiprocess mode).

Other modules increment the counters directly, e.g. the mass-change guard:
`GUARD_TRIPS.labels(server=str(server.id)).inc()`.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

REGISTRY = CollectorRegistry(auto_describe=True)

REQUESTS = Counter(
    "glpi_scim_requests",
    "HTTP requests answered, by identity server, method, SCIM resource type and status",
    ["server", "method", "resource_type", "status"],
    registry=REGISTRY,
)
LATENCY = Histogram(
    "glpi_scim_request_duration_seconds",
    "Time from receiving a request to its answer, by identity server, method and resource type",
    ["server", "method", "resource_type"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY,
)
DATABASE_ERRORS = Counter(
    "glpi_scim_database_errors",
    "Requests answered 503 because the database was unavailable, by identity server",
    ["server"],
    registry=REGISTRY,
)
GUARD_TRIPS = Counter(
    "glpi_scim_guard_trips",
    "Requests the mass-change guard refused, by identity server",
    ["server"],
    registry=REGISTRY,
)

NO_SERVER = "-"


def exported_registry() -> CollectorRegistry:
    """What `/metrics` reports: this process, or every worker's in multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROCESS_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return registry
    return REGISTRY


def exposition() -> tuple[bytes, str]:
    """The metrics in Prometheus text format, and its content type."""
    return generate_latest(exported_registry()), CONTENT_TYPE_LATEST
