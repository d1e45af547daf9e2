"""`/metrics` in Prometheus text format, on the SCIM listener or on a listener of its own.

Off unless `metrics_enabled`. With `metrics_listen` (HOST:PORT) the metrics get their own
listener, so that they need not be reachable from the IdP-facing address; the SCIM listener
then has no `/metrics` route.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import falcon

from glpi_scim.config import ConfigError, Settings
from glpi_scim.metrics import exported_registry, exposition

log = logging.getLogger("glpi_scim.server")

METRICS_PATH = "/metrics"


class MetricsResource:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        body, content_type = exposition()
        resp.content_type = content_type
        resp.data = body


def resource_type(uri_template: str | None) -> str:
    """A bounded label for the route: Users, Groups, Bulk, ..., healthz; `none` off-route."""
    if not uri_template:
        return "none"
    literal = [part for part in uri_template.split("/") if part and not part.startswith("{")]
    if "v2" in literal:
        after = literal[literal.index("v2") + 1 :]
        return after[0].lstrip(".") if after else "root"
    return literal[0] if literal else "root"


def parse_listen(value: str) -> tuple[str, int]:
    """`HOST:PORT`, `[::1]:PORT` or `PORT` (localhost) -> (host, port); port 0: any free one."""
    host, sep, port = value.strip().rpartition(":")
    if not sep:
        host, port = "127.0.0.1", value.strip()
    host = host.strip("[]") or "127.0.0.1"
    if not port.isdigit() or int(port) > 65535:
        raise ConfigError(
            f"metrics_listen {value!r}: expected HOST:PORT (for example 127.0.0.1:9180)"
        )
    return host, int(port)


@dataclass
class MetricsListener:
    host: str
    port: int
    _server: Any

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}{METRICS_PATH}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def start_metrics_listener(settings: Settings) -> MetricsListener | None:
    """The listener of its own when configured; None when /metrics is off or on the SCIM port.

    An address already in use (another gunicorn worker of this host has it) is logged, not
    fatal: with PROMETHEUS_MULTIPROCESS_DIR set, the worker that has it reports every worker.
    """
    if not (settings.metrics_enabled and settings.metrics_listen):
        return None
    from prometheus_client import start_http_server

    host, port = parse_listen(settings.metrics_listen)
    try:
        server, _thread = start_http_server(port, addr=host, registry=exported_registry())
    except OSError as exc:
        log.warning("metrics listener on %s:%d not started: %s", host, port, exc.strerror or exc)
        return None
    return MetricsListener(host, int(server.server_address[1]), server)
