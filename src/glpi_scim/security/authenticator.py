"""The single entry point the web layer calls to authenticate a SCIM request.

Order: network allow-list (403), throttling (429), then the server's method (401 with that
method's challenge). Every refusal is logged on the "glpi_scim.security" logger with the
reason and the client address, never with the secret that was tried.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

from glpi_scim.config import Settings
from glpi_scim.glpi.database import Database
from glpi_scim.scim.errors import Forbidden, Unauthorized
from glpi_scim.security.basic import BasicMethod
from glpi_scim.security.bearer import BearerMethod
from glpi_scim.security.digest import DEFAULT_NONCE_LIFE, DigestMethod
from glpi_scim.security.model import AuthenticationFailed, AuthRequest, Principal
from glpi_scim.security.networks import is_allowed
from glpi_scim.security.oauth2 import OAuthAccessMethod
from glpi_scim.security.schemes import authentication_schemes as _schemes
from glpi_scim.security.throttle import Throttle, ThrottlePolicy
from glpi_scim.servers.clock import utcnow
from glpi_scim.servers.models import IdentityServer

__all__ = ["AuthRequest", "Authenticator", "Principal"]

logger = logging.getLogger("glpi_scim.security")


class Method(Protocol):
    scheme: str

    def challenge(self, server: IdentityServer, failure: AuthenticationFailed | None) -> str: ...

    def authenticate(self, server: IdentityServer, request: AuthRequest) -> Principal: ...


class Authenticator:
    """Stateless apart from the database: one per process, shared by every thread."""

    def __init__(
        self,
        database: Database,
        settings: Settings | None = None,
        *,
        throttle_policy: ThrottlePolicy | None = None,
        nonce_life: timedelta = DEFAULT_NONCE_LIFE,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.database = database
        self.settings = settings or Settings()
        # How long what was read of tokens and failures may be reused (auth_cache_seconds).
        cached = self.settings.auth_cache_seconds
        self.throttle = Throttle(database, throttle_policy, clock=clock, cache_seconds=cached)
        self.methods: dict[str, Method] = {
            "basic": BasicMethod(),
            "digest": DigestMethod(database, nonce_life=nonce_life, clock=clock),
            "bearer": BearerMethod(database, clock=clock, cache_seconds=cached),
            "oauth2": OAuthAccessMethod(database, clock=clock, cache_seconds=cached),
        }

    def authenticate(self, server: IdentityServer, request: AuthRequest) -> Principal:
        """The principal, or Forbidden (403), TooManyFailures (429), Unauthorized (401)."""
        check_network(server, request.client_ip)
        if server.auth_method == "none":
            return Principal(server_id=server.id, method="none", subject="anonymous")
        method = self.methods.get(server.auth_method)
        if method is None:  # a hand-edited row: refuse rather than guess
            logger.error("server %s: unknown auth_method %r", server.id, server.auth_method)
            raise Unauthorized(f"Identity server {server.id} has an unknown security method.")
        had_failures = self.throttle.check(server.id, request.client_ip)
        try:
            principal = method.authenticate(server, request)
        except AuthenticationFailed as failure:
            self._refuse(server, request, failure)
            raise Unauthorized(
                failure.detail, headers={"WWW-Authenticate": method.challenge(server, failure)}
            ) from None
        if had_failures:
            self.throttle.clear(server.id, request.client_ip)
        return principal

    def _refuse(
        self, server: IdentityServer, request: AuthRequest, failure: AuthenticationFailed
    ) -> None:
        level = logging.WARNING if failure.counts else logging.INFO
        logger.log(
            level,
            "server %s: %s authentication refused for %s %s from %s: %s",
            server.id,
            server.auth_method,
            request.method,
            request.target[:200],
            request.client_ip,
            failure.reason,
        )
        if failure.counts:
            self.throttle.record_failure(server.id, request.client_ip)

    def challenge(self, server: IdentityServer) -> str | None:
        """The WWW-Authenticate value for a server (None for `none`)."""
        method = self.methods.get(server.auth_method)
        return None if method is None else method.challenge(server, None)

    def authentication_schemes(self, server: IdentityServer) -> list[dict[str, Any]]:
        return _schemes(server)


def check_network(server: IdentityServer, client_ip: str) -> None:
    """Forbidden (403) unless the address is inside the server's allowed networks."""
    if not is_allowed(client_ip, server.allowed_networks):
        logger.warning(
            "server %s: request from %s refused: outside the allowed networks",
            server.id,
            client_ip,
        )
        raise Forbidden(
            f"Requests from {client_ip} are not allowed for this identity server "
            "(see its allowed networks)."
        )
