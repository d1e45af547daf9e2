"""The pipeline's steps, in the order every route family runs them:

1. `find`: the identity server the URL names (`/{server}/...` by id; SCIM also serves the
   default server without one); unknown, or not using the routes' method: 404.
2. `admit`: inactive 403; an announced body above `max_body_bytes` 413; an address outside
   the server's allowed networks 403 (routes called by the IdP's machines); a throttled
   address 429 (routes that check a credential themselves; the SCIM routes' Authenticator
   throttles its own check).
3. `read_body`: the body, refusing more than `max_body_bytes` whatever was announced.

The SCIM routes do steps 1-2 in `server/middleware.py`, then cap requests in flight and
authenticate; the OAuth2 endpoints (`security/oauth_endpoints.py`) do all three.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from glpi_scim.identity.models import IdentityServer
from glpi_scim.pipeline.refusals import (
    BodyTooLarge,
    InactiveServer,
    OutsideNetworks,
    UnknownServer,
    WrongMethod,
)
from glpi_scim.pipeline.request import Incoming, Readable
from glpi_scim.security.networks import is_allowed
from glpi_scim.security.throttle import Throttle
from glpi_scim.servers.directory import ServerDirectory

logger = logging.getLogger("glpi_scim.security")

# A server id as the server prints it: ASCII digits, no leading zero. `str.isdigit()` and
# `int()` also take "01" and other scripts' digits (U+0661 ARABIC-INDIC ONE), which would
# give one server many URLs.
_SERVER_ID = re.compile(r"[1-9][0-9]{0,9}")
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Route:
    """What one family of routes asks of the pipeline."""

    name: str
    # Without a server in the URL, the default server (SCIM) or 404 (OAuth2 routes).
    default_server: bool = False
    # Only servers using this security method are served here (404 for the others).
    method: str | None = None
    # The server's allowed networks apply (routes called by the IdP's machines).
    network: bool = True
    # Refuse a blocked address before the route checks a credential itself.
    throttle: bool = False


SCIM = Route("SCIM request", default_server=True)
OAUTH_MACHINE = Route("OAuth2 request", method="oauth2", throttle=True)
# Opened in an administrator's browser: guarded by the GLPI sign-in (throttled there), not by
# the IdP's networks.
OAUTH_PAGE = Route("OAuth2 authorization page", method="oauth2", network=False)


@dataclass(frozen=True)
class Admission:
    # The address has failures on record (a success should clear them).
    had_failures: bool = False


class RequestPipeline:
    def __init__(
        self,
        servers: ServerDirectory,
        throttle: Throttle,
        *,
        max_body_bytes: int,
        url_prefix: str = "/scim",
    ) -> None:
        self.servers = servers
        self.throttle = throttle
        self.max_body_bytes = max_body_bytes
        self.url_prefix = url_prefix

    def find(self, ref: str | None, route: Route) -> IdentityServer:
        """The server a request names; UnknownServer or WrongMethod (404) otherwise."""
        if ref is None:
            server = self.servers.default() if route.default_server else None
            if server is None:
                raise UnknownServer(
                    None,
                    "no default identity server: use a server's URL "
                    f"({self.url_prefix}/v2/<id>/...), or mark one default with "
                    "`glpi-scim server edit <id> --default` (or add one with "
                    "`glpi-scim server add`)",
                )
        else:
            # Ids only: a URL segment is never taken as a server name.
            found = self.servers.by_id(int(ref)) if _SERVER_ID.fullmatch(ref) else None
            if found is None:
                raise UnknownServer(ref, f"no identity server with id {ref!r}")
            server = found
        if route.method is not None and server.auth_method != route.method:
            raise WrongMethod(server)
        return server

    def admit(self, server: IdentityServer, request: Incoming, route: Route) -> Admission:
        """Whether `server` may serve `request` here: InactiveServer (403), BodyTooLarge
        (413), OutsideNetworks (403), TooManyFailures (429), in that order."""
        if not server.is_active:
            raise InactiveServer(server)
        self.check_length(request.content_length)
        if route.network and not is_allowed(request.client_ip, server.allowed_networks):
            logger.warning(
                "server %s: %s from %s refused: outside the allowed networks",
                server.id,
                route.name,
                request.client_ip,
            )
            raise OutsideNetworks(server, request.client_ip)
        if route.throttle:
            return Admission(had_failures=self.throttle.check(server.id, request.client_ip))
        return Admission()

    def check_length(self, content_length: int | None) -> None:
        """BodyTooLarge when the announced length is above the limit."""
        if content_length is not None and content_length > self.max_body_bytes:
            raise BodyTooLarge(self.max_body_bytes)

    def read_body(self, request: Incoming) -> bytes:
        """The whole body, refusing more than the limit whatever Content-Length says."""
        return read_limited(request.body, request.content_length, self.max_body_bytes)


def read_limited(stream: Readable, content_length: int | None, limit: int) -> bytes:
    """The body of `stream`, BodyTooLarge above `limit` bytes (announced or read)."""
    if content_length is not None and content_length > limit:
        raise BodyTooLarge(limit)
    chunks: list[bytes] = []
    received = 0
    while True:
        chunk = stream.read(_CHUNK)
        if not chunk:
            break
        received += len(chunk)
        if received > limit:
            raise BodyTooLarge(limit)
        chunks.append(chunk)
    return b"".join(chunks)
