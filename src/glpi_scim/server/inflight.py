"""A cap on the requests one identity server has in progress in this process.

Waitress serves every identity server from one pool of worker threads. Without a cap, one IdP
sending many slow requests at once (large PATCHes, heavy filters) holds every thread and the
other IdPs' requests wait behind it. Above `max_requests_in_flight` a server's next request is
answered 429 at once, before its credentials are checked, so that it costs nothing.

The count is per process (each gunicorn worker or `serve` instance counts its own): the cap
protects the threads of this process, which is what one IdP can starve.
"""

from __future__ import annotations

import threading
from typing import Any

import falcon

from glpi_scim.identity.models import IdentityServer
from glpi_scim.scim.errors import ScimError

RETRY_AFTER_SECONDS = 1


class TooManyInFlight(ScimError):
    status = 429


class InFlightLimit:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._counts: dict[int, int] = {}

    def process_resource(
        self, req: falcon.Request, resp: falcon.Response, resource: object, params: dict[str, Any]
    ) -> None:
        server: IdentityServer | None = getattr(req.context, "server", None)
        if server is None or self.limit <= 0:
            return
        with self._lock:
            count = self._counts.get(server.id, 0)
            if count >= self.limit:
                refused = True
            else:
                refused = False
                self._counts[server.id] = count + 1
        if refused:
            raise TooManyInFlight(
                f"identity server {server.id} already has {self.limit} requests in progress, "
                "the most this server serves at once for one identity server; retry after "
                "one of them is answered",
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        req.context.in_flight_server = server.id

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: object, req_succeeded: bool
    ) -> None:
        server_id = getattr(req.context, "in_flight_server", None)
        if server_id is None:
            return
        req.context.in_flight_server = None
        with self._lock:
            left = self._counts.get(server_id, 1) - 1
            if left > 0:
                self._counts[server_id] = left
            else:
                self._counts.pop(server_id, None)
