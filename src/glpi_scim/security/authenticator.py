"""The single entry point the web layer calls to authenticate a SCIM request.

Order: network allow-list (403), throttling (429), then the server's method (401 with that
method's challenge). Every refusal is logged on the "glpi_scim.security" logger with the
reason and the client address, never with the secret that was tried.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from glpi_scim.config import Settings
from glpi_scim.db.clock import utcnow
from glpi_scim.db.database import Database
from glpi_scim.identity.models import IdentityServer
from glpi_scim.scim.errors import Forbidden, Unauthorized
from glpi_scim.security.methods import registry
from glpi_scim.security.methods.base import MethodEnvironment, SecurityMethod, Verifier
from glpi_scim.security.methods.digest import DEFAULT_NONCE_LIFE
from glpi_scim.security.model import AuthenticationFailed, AuthRequest, Principal
from glpi_scim.security.networks import is_allowed
from glpi_scim.security.throttle import Throttle, ThrottlePolicy

__all__ = ["AuthRequest", "Authenticator", "Principal"]

logger = logging.getLogger("glpi_scim.security")


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
        self.environment = MethodEnvironment(database, clock, nonce_life, cache_seconds=cached)
        # Built on first use, so that a method registered after start-up is served too.
        self._verifiers: dict[SecurityMethod, Verifier | None] = {}

    def authenticate(self, server: IdentityServer, request: AuthRequest) -> Principal:
        """The principal, or Forbidden (403), TooManyFailures (429), Unauthorized (401)."""
        check_network(server, request.client_ip)
        known = registry.find_method(server.auth_method)
        if known is None:  # a hand-edited row: refuse rather than guess
            logger.error("server %s: unknown auth_method %r", server.id, server.auth_method)
            raise Unauthorized(f"Identity server {server.id} has an unknown security method.")
        method = self._verifier(known)
        if method is None:  # `none`: no credentials to check
            return Principal(server_id=server.id, method=server.auth_method, subject="anonymous")
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

    def _verifier(self, method: SecurityMethod) -> Verifier | None:
        if method not in self._verifiers:
            self._verifiers[method] = method.verifier(self.environment)
        return self._verifiers[method]

    def challenge(self, server: IdentityServer) -> str | None:
        """The WWW-Authenticate value for a server (None for `none` or an unknown method)."""
        known = registry.find_method(server.auth_method)
        method = None if known is None else self._verifier(known)
        return None if method is None else method.challenge(server, None)

    def authentication_schemes(self, server: IdentityServer) -> list[dict[str, Any]]:
        return registry.authentication_schemes(server)


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
