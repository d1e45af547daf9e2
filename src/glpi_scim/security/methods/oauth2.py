"""OAuth 2.0 on the SCIM endpoints: requests carry an access token this server's token
endpoint issued (security/oauth2.py is that endpoint: codes, grants, refresh, revocation)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select

from glpi_scim.db import tables
from glpi_scim.db.clock import from_db, to_db
from glpi_scim.db.database import Database
from glpi_scim.db.localwrites import GRANTORS, OAUTH
from glpi_scim.identity.models import IdentityServer
from glpi_scim.security.credentials import token_digest
from glpi_scim.security.glpi_login import grantor_may_grant
from glpi_scim.security.methods.base import MethodEnvironment, Redaction, SecurityMethod
from glpi_scim.security.methods.bearer import (
    BEARER_OPENAPI,
    BEARER_REDACTION,
    CachedTokenVerifier,
    presented_token,
)
from glpi_scim.security.model import AuthenticationFailed, AuthRequest, Principal

TOKENS = tables.oauth_tokens


def access_token_row(
    database: Database, server: IdentityServer, token: str, now: datetime
) -> Any | None:
    """The live token row for this server (client still registered, grantor still allowed to
    grant), or None."""
    clients = tables.oauth_clients
    query = (
        select(TOKENS.c.client_id, TOKENS.c.users_id, TOKENS.c.access_expiration)
        .join(
            clients,
            and_(clients.c.client_id == TOKENS.c.client_id, clients.c.servers_id == server.id),
        )
        .where(
            TOKENS.c.access_hash == token_digest(token),
            TOKENS.c.servers_id == server.id,
            TOKENS.c.is_revoked == 0,
            TOKENS.c.access_expiration > to_db(now),
            or_(TOKENS.c.users_id == 0, grantor_may_grant(TOKENS.c.users_id, server, now=now)),
        )
    )
    with database.begin() as connection:
        return connection.execute(query).first()


class OAuthAccessVerifier(CachedTokenVerifier):
    """SCIM requests of an oauth2 server carry an access token its token endpoint issued."""

    # A token revoked or rotated, a grantor's account or rights changed by this process.
    groups = (OAUTH, GRANTORS)

    def authenticate(self, server: IdentityServer, request: AuthRequest) -> Principal:
        row = self._live_row(server, presented_token(request))
        if row is None:
            raise AuthenticationFailed(
                "unknown, expired or revoked OAuth2 access token",
                "The access token is invalid, expired or revoked; get a new one from the "
                "token endpoint.",
                error="invalid_token",
            )
        return Principal(
            server_id=server.id,
            method="oauth2",
            subject=row.client_id,
            client_id=row.client_id,
            users_id=int(row.users_id) or None,
        )

    def _live_row(self, server: IdentityServer, token: str) -> Any | None:
        now = self.clock()
        row = self._cached(
            (server.id, token_digest(token)),
            lambda: access_token_row(self.database, server, token, now),
        )
        if row is None:
            return None
        expires = from_db(row.access_expiration)
        return row if expires is not None and expires > now else None


class OAuth2Method(SecurityMethod):
    name = "oauth2"
    label = "OAuth2"
    authentication_scheme = {
        "type": "oauth2",
        "name": "OAuth 2.0",
        "description": (
            "Access tokens from this server's OAuth 2.0 token endpoint: authorization code "
            "with PKCE, or client credentials (RFC 6749)."
        ),
        "specUri": "https://www.rfc-editor.org/rfc/rfc6749",
    }
    openapi_scheme = BEARER_OPENAPI
    # The token endpoint's form fields: client_secret, code, code_verifier, refresh_token,
    # client_assertion (RFC 7523), and the resource owner's password.
    redaction = BEARER_REDACTION | Redaction.of(
        words=["secret", "token", "code_verifier", "assertion", "password"], names=["code"]
    )

    def verifier(self, environment: MethodEnvironment) -> OAuthAccessVerifier:
        return OAuthAccessVerifier(
            environment.database,
            clock=environment.clock,
            cache_seconds=environment.cache_seconds,
        )

    def adoption_notes(self, server: IdentityServer) -> list[str]:
        return [f"register the IdP as an OAuth client: `glpi-scim oauth client add {server.id}`"]
