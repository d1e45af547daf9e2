"""OAuth 2.0 (RFC 6749) for one identity server: oauthlib's endpoints over the database.

Grants: authorization code (PKCE S256 required for public clients, only S256 accepted),
refresh token (rotated), client credentials. Everything lives in the database as SHA-256
hashes: codes (single use, 5 minutes), access tokens (1 hour), refresh tokens (90 days, each
one usable once), so that any instance validates what another issued and a database leak
yields no usable token. Tokens descending from one grant share a `grant_hash`: replaying a used
code or a rotated refresh token revokes them all (RFC 6749 section 4.1.2, RFC 9700 4.14.2).

A grant lasts no longer than its grantor's right to give it: every refresh and every use of an
access token checks that the GLPI user who approved it is still usable (active, not in the
trash, within its validity dates, not deleted) and still the server's applied user or holder
of the "config" right; a refresh that fails this revokes the whole grant. A grant also has an
absolute lifetime (1 year by default) counted from its approval, after which refresh fails.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote

from oauthlib.oauth2 import (
    AuthorizationEndpoint,
    BearerToken,
    ClientCredentialsGrant,
    RefreshTokenGrant,
    RequestValidator,
    RevocationEndpoint,
    TokenEndpoint,
)
from oauthlib.oauth2.rfc6749.grant_types.authorization_code import (
    AuthorizationCodeGrant,
    code_challenge_method_s256,
)
from sqlalchemy import Connection, delete, insert, literal, or_, select, update

from glpi_scim.db import tables
from glpi_scim.db.clock import from_db, to_db, utcnow
from glpi_scim.db.database import Database
from glpi_scim.db.transaction import Transactions
from glpi_scim.identity.models import IdentityServer
from glpi_scim.security.credentials import token_digest, verify_secret
from glpi_scim.security.glpi_login import grantor_may_grant
from glpi_scim.security.methods.basic import parse_basic
from glpi_scim.security.methods.oauth2 import access_token_row
from glpi_scim.security.oauth_clients import (
    AUTHORIZATION_CODE,
    OAuthClient,
    OAuthClientRepository,
)

logger = logging.getLogger("glpi_scim.security")
# oauthlib logs issued tokens and codes at DEBUG level: keep them out of the log even when the
# server runs with log_level DEBUG.
logging.getLogger("oauthlib").setLevel(logging.INFO)

SCOPE = "scim"  # the one scope: full SCIM access to this identity server
CODES = tables.oauth_codes
TOKENS = tables.oauth_tokens


@dataclass(frozen=True)
class OAuthPolicy:
    access_token_lifetime: timedelta = timedelta(hours=1)
    refresh_token_lifetime: timedelta = timedelta(days=90)
    code_lifetime: timedelta = timedelta(minutes=5)
    # From the grantor's approval, whatever the refreshes: then the IdP must ask again.
    grant_lifetime: timedelta = timedelta(days=365)


@dataclass(frozen=True)
class _Grant:
    """What a consumed code or refresh token carried, for the rest of the token request."""

    grant_hash: str
    users_id: int
    scopes: list[str]
    date_grant: datetime | None = None
    redirect_uri: str | None = None
    code_challenge: str | None = None
    code_challenge_method: str | None = None


def _new_token(_request: Any = None) -> str:
    return secrets.token_urlsafe(32)


class ScimRequestValidator(RequestValidator):  # type: ignore[misc]
    """oauthlib's storage and policy hooks, bound to one identity server."""

    def __init__(
        self,
        database: Database,
        server: IdentityServer,
        policy: OAuthPolicy,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        super().__init__()
        self.database = database
        self.server = server
        self.policy = policy
        self.clock = clock
        self.clients = OAuthClientRepository(database)

    # -- clients ------------------------------------------------------------------------------

    def _client(self, client_id: str | None) -> OAuthClient | None:
        return self.clients.get(self.server.id, client_id) if client_id else None

    @staticmethod
    def _presented_credentials(request: Any) -> tuple[str | None, str | None]:
        """(client_id, secret) from HTTP Basic (form-encoded, RFC 6749 2.3.1) or the body."""
        basic = parse_basic(request.headers.get("Authorization"))
        if basic is not None:
            return unquote(basic[0]), unquote(basic[1])
        return request.client_id, request.client_secret

    def client_authentication_required(self, request: Any, *args: Any, **kwargs: Any) -> bool:
        client_id, secret = self._presented_credentials(request)
        if secret is not None:
            return True
        client = self._client(client_id)
        return client is None or not client.is_public

    def authenticate_client(self, request: Any, *args: Any, **kwargs: Any) -> bool:
        client_id, secret = self._presented_credentials(request)
        if request.client_id and client_id != request.client_id:
            return False  # two different identities in one request
        client = self._client(client_id)
        stored = client.secret_hash if client is not None else None
        # verify_secret costs the same whether or not the client exists.
        if not verify_secret(secret or "", stored) or client is None:
            return False
        request.client = client
        return True

    def authenticate_client_id(
        self, client_id: str, request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        client = self._client(client_id)
        if client is None or not client.is_public:
            return False
        request.client = client
        return True

    def validate_client_id(self, client_id: str, request: Any, *args: Any, **kwargs: Any) -> bool:
        client = self._client(client_id)
        if client is None or not client.allows(AUTHORIZATION_CODE):
            return False
        request.client = client
        return True

    def validate_redirect_uri(
        self, client_id: str, redirect_uri: str, request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        client = self._client(client_id)
        return client is not None and redirect_uri in client.redirect_uris

    def get_default_redirect_uri(
        self, client_id: str, request: Any, *args: Any, **kwargs: Any
    ) -> str | None:
        client = self._client(client_id)
        if client is not None and len(client.redirect_uris) == 1:
            return client.redirect_uris[0]
        return None  # several registered: the client must say which one

    def validate_response_type(
        self,
        client_id: str,
        response_type: str,
        client: Any,
        request: Any,
        *args: Any,
        **kwargs: Any,
    ) -> bool:
        return response_type == "code" and client is not None and client.allows(AUTHORIZATION_CODE)

    def validate_grant_type(
        self, client_id: str, grant_type: str, client: Any, request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        return isinstance(client, OAuthClient) and client.allows(grant_type)

    def validate_scopes(
        self,
        client_id: str,
        scopes: list[str],
        client: Any,
        request: Any,
        *args: Any,
        **kwargs: Any,
    ) -> bool:
        return set(scopes or []) <= {SCOPE}

    def get_default_scopes(
        self, client_id: str, request: Any, *args: Any, **kwargs: Any
    ) -> list[str]:
        return [SCOPE]

    def is_pkce_required(self, client_id: str, request: Any) -> bool:
        client = self._client(client_id)
        return client is None or client.is_public

    # -- authorization codes --------------------------------------------------------------------

    def save_authorization_code(
        self, client_id: str, code: dict[str, Any], request: Any, *args: Any, **kwargs: Any
    ) -> None:
        now = self.clock()

        # Run again on a deadlock: the expired rows' range and the new row's gap meet when
        # codes are saved at once.
        def work(connection: Connection) -> None:
            # Old codes go when new ones come: kept an hour past expiry to recognise replays.
            connection.execute(
                delete(CODES).where(CODES.c.date_expiration < to_db(now - timedelta(hours=1)))
            )
            connection.execute(
                insert(CODES).values(
                    code_hash=token_digest(code["code"]),
                    servers_id=self.server.id,
                    client_id=client_id,
                    users_id=int(request.user),
                    redirect_uri=request.redirect_uri,
                    scopes=" ".join(request.scopes or [SCOPE]),
                    code_challenge=request.code_challenge,
                    code_challenge_method=request.code_challenge_method
                    if request.code_challenge
                    else None,
                    date_expiration=to_db(now + self.policy.code_lifetime),
                    is_used=0,
                )
            )

        Transactions(self.database).run(work)

    def validate_code(
        self, client_id: str, code: str, client: Any, request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        """Consume the code at once (single use even under concurrent requests)."""
        code_hash = token_digest(code)
        now = to_db(self.clock())
        mine = (CODES.c.code_hash == code_hash, CODES.c.servers_id == self.server.id)
        with self.database.begin() as connection:
            consumed = connection.execute(
                update(CODES)
                .where(
                    *mine,
                    CODES.c.client_id == client_id,
                    CODES.c.is_used == 0,
                    CODES.c.date_expiration > now,
                )
                .values(is_used=1)
            ).rowcount
            row = connection.execute(select(CODES).where(*mine)).mappings().first()
            if consumed != 1:
                if row is not None and row["is_used"]:
                    revoked = _revoke_grant(connection, self.server.id, code_hash)
                    logger.warning(
                        "server %s: authorization code of client %s used twice; "
                        "%d token(s) of that grant revoked",
                        self.server.id,
                        row["client_id"],
                        revoked,
                    )
                return False
        assert row is not None
        request.user = int(row["users_id"])
        request.scopes = (row["scopes"] or SCOPE).split()
        request.glpiscim_grant = _Grant(
            grant_hash=code_hash,
            users_id=int(row["users_id"]),
            scopes=request.scopes,
            date_grant=self.clock(),
            redirect_uri=row["redirect_uri"],
            code_challenge=row["code_challenge"],
            code_challenge_method=row["code_challenge_method"],
        )
        return True

    def confirm_redirect_uri(
        self,
        client_id: str,
        code: str,
        redirect_uri: str,
        client: Any,
        request: Any,
        *args: Any,
        **kwargs: Any,
    ) -> bool:
        grant = getattr(request, "glpiscim_grant", None)
        return grant is not None and grant.redirect_uri == redirect_uri

    def get_code_challenge(self, code: str, request: Any) -> str | None:
        grant = getattr(request, "glpiscim_grant", None)
        return grant.code_challenge if grant is not None else None

    def get_code_challenge_method(self, code: str, request: Any) -> str | None:
        grant = getattr(request, "glpiscim_grant", None)
        return grant.code_challenge_method if grant is not None else None

    def invalidate_authorization_code(
        self, client_id: str, code: str, request: Any, *args: Any, **kwargs: Any
    ) -> None:
        """Nothing left to do: validate_code consumed the code."""

    # -- tokens ---------------------------------------------------------------------------------

    def save_bearer_token(
        self, token: dict[str, Any], request: Any, *args: Any, **kwargs: Any
    ) -> None:
        now = self.clock()
        grant = getattr(request, "glpiscim_grant", None)
        refresh = token.get("refresh_token")

        # Run again on a deadlock: an IdP's workers may ask for tokens at once, and the
        # expired tokens' range and the new rows' gaps meet.
        def work(connection: Connection) -> None:
            connection.execute(
                delete(TOKENS).where(
                    TOKENS.c.servers_id == self.server.id,
                    TOKENS.c.access_expiration < to_db(now),
                    or_(
                        TOKENS.c.refresh_expiration.is_(None),
                        TOKENS.c.refresh_expiration < to_db(now),
                    ),
                )
            )
            connection.execute(
                insert(TOKENS).values(
                    servers_id=self.server.id,
                    client_id=request.client.client_id,
                    users_id=int(request.user or 0),
                    access_hash=token_digest(token["access_token"]),
                    refresh_hash=token_digest(refresh) if refresh else None,
                    grant_hash=grant.grant_hash if grant is not None else secrets.token_hex(32),
                    scopes=" ".join(request.scopes or [SCOPE]),
                    access_expiration=to_db(now + timedelta(seconds=int(token["expires_in"]))),
                    refresh_expiration=to_db(now + self.policy.refresh_token_lifetime)
                    if refresh
                    else None,
                    is_revoked=0,
                    date_creation=to_db(now),
                    date_grant=to_db(grant.date_grant or now) if grant is not None else to_db(now),
                )
            )

        Transactions(self.database).run(work)

    def validate_refresh_token(
        self, refresh_token: str, client: Any, request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        """Consume the refresh token (rotation); a second use revokes the whole grant."""
        refresh_hash = token_digest(refresh_token)
        now = to_db(self.clock())
        mine = (TOKENS.c.refresh_hash == refresh_hash, TOKENS.c.servers_id == self.server.id)
        with self.database.begin() as connection:
            consumed = connection.execute(
                update(TOKENS)
                .where(
                    *mine,
                    TOKENS.c.client_id == client.client_id,
                    TOKENS.c.is_revoked == 0,
                    TOKENS.c.refresh_expiration > now,
                )
                .values(is_revoked=1)
            ).rowcount
            row = connection.execute(select(TOKENS).where(*mine)).mappings().first()
            if consumed != 1:
                if row is not None and row["is_revoked"] and row["grant_hash"]:
                    revoked = _revoke_grant(connection, self.server.id, row["grant_hash"])
                    logger.warning(
                        "server %s: refresh token of client %s used twice; "
                        "%d token(s) of that grant revoked",
                        self.server.id,
                        row["client_id"],
                        revoked,
                    )
                return False
            assert row is not None
            ended = self._grant_ended(connection, row)
            if ended is not None:
                revoked = _revoke_grant(connection, self.server.id, row["grant_hash"] or "")
                logger.warning(
                    "server %s: refresh by client %s refused and %d token(s) of its grant "
                    "revoked: %s",
                    self.server.id,
                    row["client_id"],
                    revoked,
                    ended,
                )
                return False
        request.user = int(row["users_id"]) or None
        scopes = (row["scopes"] or SCOPE).split()
        request.glpiscim_grant = _Grant(
            grant_hash=row["grant_hash"] or secrets.token_hex(32),
            users_id=int(row["users_id"]),
            scopes=scopes,
            date_grant=from_db(row["date_grant"]),
        )
        return True

    def _grant_ended(self, connection: Any, row: Any) -> str | None:
        """Why the grant of this token row may not be refreshed any more, or None."""
        now = self.clock()
        granted = from_db(row["date_grant"])
        if granted is None or granted + self.policy.grant_lifetime <= now:
            return f"the grant is older than its lifetime ({self.policy.grant_lifetime.days} days)"
        users_id = int(row["users_id"])
        if users_id == 0:  # client credentials: no GLPI user approved it
            return None
        allowed = connection.execute(
            select(grantor_may_grant(literal(users_id), self.server, now=now))
        ).scalar()
        if not allowed:
            return (
                f"GLPI user {users_id}, who approved it, is deleted, inactive, in the trash, "
                "outside its validity dates or no longer allowed to grant access"
            )
        return None

    def get_original_scopes(
        self, refresh_token: str, request: Any, *args: Any, **kwargs: Any
    ) -> list[str]:
        grant = getattr(request, "glpiscim_grant", None)
        return grant.scopes if grant is not None else [SCOPE]

    def rotate_refresh_token(self, request: Any) -> bool:
        return True

    def revoke_token(
        self, token: str, token_type_hint: str | None, request: Any, *args: Any, **kwargs: Any
    ) -> None:
        """RFC 7009: revoke the token's whole grant (its access and refresh tokens)."""
        digest = token_digest(token)
        with self.database.begin() as connection:
            row = connection.execute(
                select(TOKENS.c.grant_hash, TOKENS.c.id).where(
                    TOKENS.c.servers_id == self.server.id,
                    TOKENS.c.client_id == request.client.client_id,
                    or_(TOKENS.c.access_hash == digest, TOKENS.c.refresh_hash == digest),
                )
            ).first()
            if row is None:
                return  # unknown tokens are "revoked" too (RFC 7009 section 2.2)
            if row.grant_hash:
                _revoke_grant(connection, self.server.id, row.grant_hash)
            else:
                connection.execute(update(TOKENS).where(TOKENS.c.id == row.id).values(is_revoked=1))

    def validate_bearer_token(self, token: str, scopes: list[str], request: Any) -> bool:
        return access_token_row(self.database, self.server, token, self.clock()) is not None


def _revoke_grant(connection: Any, server_id: int, grant_hash: str) -> int:
    result = connection.execute(
        update(TOKENS)
        .where(
            TOKENS.c.servers_id == server_id,
            TOKENS.c.grant_hash == grant_hash,
            TOKENS.c.is_revoked == 0,
        )
        .values(is_revoked=1)
    )
    return int(result.rowcount or 0)


class _S256AuthorizationCodeGrant(AuthorizationCodeGrant):  # type: ignore[misc]
    # `plain` PKCE protects nothing against an observer of the authorization request.
    _code_challenge_methods = {"S256": code_challenge_method_s256}


class OAuthServer(AuthorizationEndpoint, TokenEndpoint, RevocationEndpoint):  # type: ignore[misc]
    """The authorize, token and revoke endpoints of one identity server."""

    def __init__(self, validator: ScimRequestValidator, policy: OAuthPolicy) -> None:
        authorization_code = _S256AuthorizationCodeGrant(validator)
        bearer = BearerToken(
            validator,
            token_generator=_new_token,
            expires_in=int(policy.access_token_lifetime.total_seconds()),
            refresh_token_generator=_new_token,
        )
        AuthorizationEndpoint.__init__(
            self,
            default_response_type="code",
            response_types={"code": authorization_code},
            default_token_type=bearer,
        )
        TokenEndpoint.__init__(
            self,
            default_grant_type="authorization_code",
            grant_types={
                "authorization_code": authorization_code,
                "refresh_token": RefreshTokenGrant(validator),
                "client_credentials": ClientCredentialsGrant(validator),
            },
            default_token_type=bearer,
        )
        RevocationEndpoint.__init__(self, validator)
        self.validator = validator


def oauth_server(
    database: Database,
    server: IdentityServer,
    policy: OAuthPolicy | None = None,
    *,
    clock: Callable[[], datetime] = utcnow,
) -> OAuthServer:
    chosen = policy or OAuthPolicy()
    return OAuthServer(ScimRequestValidator(database, server, chosen, clock), chosen)
