"""Bearer JWTs (RFC 7519/6750) issued by `glpi-scim token issue`, one signing key per server.

HS256 with a key derived from the server's signing_key: the server both issues and checks its
tokens, so a shared secret is enough and there is no key pair to distribute or rotate. The
algorithm is pinned (alg none, RS*/ES* and HS/RS confusion are refused before any signature
check); audience, expiry and not-before are checked; the jti must be recorded for this server
and not revoked (an unknown jti is refused, so a token signed with a leaked key but never
issued does not work either).
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import jwt
from sqlalchemy import or_, select, update

from glpi_scim.db import tables
from glpi_scim.db.clock import TIMESTAMP_MAX, to_db, utcnow
from glpi_scim.db.database import Database
from glpi_scim.db.localwrites import TOKENS, local_writes
from glpi_scim.db.ttlcache import TtlCache
from glpi_scim.identity.models import IdentityServer
from glpi_scim.security.credentials import derive_key
from glpi_scim.security.methods.base import (
    MethodEnvironment,
    OpenApiScheme,
    Redaction,
    SecurityMethod,
)
from glpi_scim.security.model import REALM, AuthenticationFailed, AuthRequest, Principal

ALGORITHM = "HS256"
DEFAULT_LIFETIME = timedelta(days=3650)
LEEWAY = timedelta(seconds=30)  # clock differences between instances and the issuer
AUDIENCE_PREFIX = "glpi-scim:server:"
# The last-use date of a token is refreshed at most this often (one write, not one per request).
LAST_USE_PRECISION = timedelta(minutes=5)
# A token's cached state: its last-use date as stored, or _UNUSABLE (revoked or unknown).
_UNUSABLE = object()


def audience(server: IdentityServer) -> str:
    """The `aud` of a server's tokens: its id, which renaming does not change."""
    return f"{AUDIENCE_PREFIX}{server.id}"


def _key(server: IdentityServer) -> bytes:
    if not server.signing_key:
        raise ValueError(f"identity server {server.name!r} has no signing key")
    return derive_key(server.signing_key, "jwt")


@dataclass(frozen=True)
class IssuedToken:
    token: str
    jti: str
    expires_at: datetime  # aware UTC


def issue_token(
    server: IdentityServer,
    *,
    issuer: str,
    lifetime: timedelta = DEFAULT_LIFETIME,
    subject: str,
    now: datetime | None = None,
) -> IssuedToken:
    """A signed token for `server`. The caller records its jti (TokenRepository.record):
    until then the token is refused."""
    if lifetime <= timedelta(0):
        raise ValueError("the token lifetime must be positive")
    issued = (now or utcnow()).astimezone(timezone.utc).replace(microsecond=0)
    expires = issued + lifetime
    if expires > TIMESTAMP_MAX:
        raise ValueError(
            f"a token cannot expire after {TIMESTAMP_MAX:%Y-%m-%d} (the database's TIMESTAMP "
            "limit); choose a shorter lifetime"
        )
    jti = secrets.token_hex(16)
    claims = {
        "iss": issuer,
        "aud": audience(server),
        "sub": subject,
        "iat": int(issued.timestamp()),
        "nbf": int(issued.timestamp()),
        "exp": int(expires.timestamp()),
        "jti": jti,
    }
    token = jwt.encode(claims, _key(server), algorithm=ALGORITHM, headers={"typ": "JWT"})
    return IssuedToken(token=token, jti=jti, expires_at=expires)


def decode_token(server: IdentityServer, token: str, now: datetime | None = None) -> dict[str, Any]:
    """The verified claims of a token for `server` at `now` (default: the current time);
    AuthenticationFailed otherwise.

    Checks signature (HS256 only), audience, exp, nbf and the presence of every claim. The
    jti's status in the database is checked separately (BearerVerifier).
    """
    claims = _verified_claims(token, _key(server), audience(server))
    # A verification is remembered (_verified_claims); the times are checked on every use.
    at = (now or utcnow()).timestamp()
    leeway = LEEWAY.total_seconds()
    if at > claims["exp"] + leeway:
        raise _invalid("expired JWT", "The bearer token has expired.")
    if at < claims["nbf"] - leeway:
        raise _invalid("JWT used before its nbf/iat", "The bearer token is not valid yet.")
    return dict(claims)


# What a token's signature, header and claims prove is fixed by the token, the key and the
# audience: a request that presents a token seen before skips PyJWT's parsing and HMAC (a
# fifth of a GET's CPU). Only verified tokens are kept (a refusal raises, which lru_cache
# does not store), so junk tokens cannot fill it; a new signing key is a new cache key.
@functools.lru_cache(maxsize=4096)
def _verified_claims(token: str, key: bytes, expected_audience: str) -> dict[str, Any]:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.DecodeError:
        raise _invalid("malformed JWT", "The bearer token is not a well-formed JWT.") from None
    if header.get("alg") != ALGORITHM:
        raise _invalid(
            f"JWT algorithm {str(header.get('alg'))[:20]!r} refused",
            f"The bearer token must be signed with {ALGORITHM}.",
        )
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=expected_audience,
            leeway=LEEWAY,
            options={"require": ["iss", "aud", "sub", "iat", "nbf", "exp", "jti"]},
        )
    except jwt.ExpiredSignatureError:
        raise _invalid("expired JWT", "The bearer token has expired.") from None
    except jwt.ImmatureSignatureError:
        raise _invalid(
            "JWT used before its nbf/iat", "The bearer token is not valid yet."
        ) from None
    except jwt.InvalidAudienceError:
        raise _invalid(
            "JWT for another audience", "The bearer token was issued for another server."
        ) from None
    except jwt.MissingRequiredClaimError as exc:
        raise _invalid(
            f"JWT lacks the {exc.claim} claim", f"The bearer token lacks the {exc.claim} claim."
        ) from None
    except jwt.InvalidSignatureError:
        raise _invalid(
            "JWT signature mismatch", "The bearer token's signature is invalid."
        ) from None
    except jwt.InvalidTokenError as exc:
        raise _invalid(
            f"invalid JWT ({type(exc).__name__})", "The bearer token is invalid."
        ) from None
    if not isinstance(claims.get("jti"), str) or not isinstance(claims.get("sub"), str):
        raise _invalid("JWT jti or sub is not a string", "The bearer token is invalid.")
    return claims


def _invalid(reason: str, detail: str) -> AuthenticationFailed:
    return AuthenticationFailed(reason, detail, error="invalid_token")


def token_from_header(header: str | None) -> str | None:
    """The token of `Bearer <t>`, or of a bare `<t>` (Okta's "HTTP Header" mode)."""
    if header is None:
        return None
    parts = header.split()
    if len(parts) == 2 and parts[0].lower() == "bearer":
        return parts[1]
    if len(parts) == 1 and parts[0].lower() not in ("bearer", "basic", "digest"):
        return parts[0]
    return None


def bearer_challenge(failure: AuthenticationFailed | None) -> str:
    challenge = f'Bearer realm="{REALM}"'
    if failure is not None and failure.error:
        description = failure.detail.replace("\\", "").replace('"', "'")
        challenge += f', error="{failure.error}", error_description="{description}"'
    return challenge


def missing_token_failure() -> AuthenticationFailed:
    return AuthenticationFailed(
        "no bearer token",
        "Authentication required: send Authorization: Bearer <token>.",
        counts=False,
    )


def presented_token(request: AuthRequest) -> str:
    """The token of `Authorization: Bearer <t>` or Okta's bare `<t>`; a 401 failure otherwise."""
    header = request.authorization
    if header is None:
        raise missing_token_failure()
    token = token_from_header(header)
    if token is None:
        raise AuthenticationFailed(
            f"Authorization header is not a bearer token (scheme {header[:10]!r})",
            "This server expects Authorization: Bearer <token>.",
            error="invalid_request",
        )
    return token


class CachedTokenVerifier:
    """Base of the verifiers whose SCIM requests carry `Authorization: Bearer`: what was read of
    a token is reused for at most `cache_seconds` (auth_cache_seconds), and read again at once
    after this process committed a write to one of `groups` (db/localwrites.py)."""

    groups: tuple[str, ...] = ()

    def __init__(
        self,
        database: Database,
        *,
        clock: Callable[[], datetime] = utcnow,
        cache_seconds: float = 0,
    ) -> None:
        self.database = database
        self.clock = clock
        # (server id, token key) -> what was read of the token.
        self._cache: TtlCache[tuple[int, str], Any] = TtlCache(cache_seconds)
        self._writes = local_writes(database.engine)

    def challenge(self, server: IdentityServer, failure: AuthenticationFailed | None) -> str:
        return bearer_challenge(failure)

    def _cached(self, key: tuple[int, str], read: Callable[[], Any]) -> Any:
        version = sum(self._writes.version(group) for group in self.groups)
        hit, value = self._cache.get(key, version)
        if not hit:
            started = self._cache.clock()
            value = read()
            self._cache.put(key, value, version, read_at=started)
        return value


class BearerVerifier(CachedTokenVerifier):
    groups = (TOKENS,)

    def authenticate(self, server: IdentityServer, request: AuthRequest) -> Principal:
        claims = decode_token(server, presented_token(request), self.clock())
        if not self._is_active(server.id, claims["jti"], self.clock()):
            raise _invalid(
                f"JWT jti {claims['jti'][:40]!r} revoked or unknown",
                "The bearer token was revoked or is unknown.",
            )
        return Principal(
            server_id=server.id, method="bearer", subject=claims["sub"], token_id=claims["jti"]
        )

    def _is_active(self, server_id: int, jti: str, now: datetime) -> bool:
        """The jti is recorded for this server and not revoked; notes its last use."""
        last_use = self._cached((server_id, jti), lambda: self._last_use(server_id, jti))
        if last_use is _UNUSABLE:
            return False
        stale_before = to_db(now - LAST_USE_PRECISION)
        assert stale_before is not None
        # Most requests find a recent last use and write nothing (no lock, no redo log flush);
        # the rare refresh is a transaction of its own, idempotent thanks to its condition.
        if last_use is None or last_use < stale_before:
            table = tables.tokens
            touch = (
                update(table)
                .where(
                    table.c.jti == jti,
                    or_(table.c.date_last_use.is_(None), table.c.date_last_use < stale_before),
                )
                .values(date_last_use=to_db(now))
            )
            with self.database.begin() as connection:
                connection.execute(touch)
        return True

    def _last_use(self, server_id: int, jti: str) -> Any:
        """The stored last use of a usable token, or _UNUSABLE."""
        table = tables.tokens
        query = select(table.c.date_last_use).where(
            table.c.jti == jti, table.c.servers_id == server_id, table.c.is_revoked == 0
        )
        row = self.database.reading(lambda connection: connection.execute(query).first())
        return _UNUSABLE if row is None else row.date_last_use


# One OpenAPI scheme for every method whose SCIM requests carry `Authorization: Bearer`.
BEARER_OPENAPI = OpenApiScheme(
    "bearer",
    {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "A token from `glpi-scim token create` (or OAuth 2.0).",
    },
)
# RFC 6750 section 2.3: a token may also come as the `access_token` query parameter.
BEARER_REDACTION = Redaction.of(headers=["authorization"], schemes=["bearer"], words=["token"])


class BearerMethod(SecurityMethod):
    name = "bearer"
    label = "Bearer"
    authentication_scheme = {
        "type": "oauthbearertoken",
        "name": "OAuth Bearer Token",
        "description": "A bearer token (JWT) issued by `glpi-scim token issue` (RFC 6750).",
        "specUri": "https://www.rfc-editor.org/rfc/rfc6750",
    }
    openapi_scheme = BEARER_OPENAPI
    redaction = BEARER_REDACTION
    issues_tokens = True

    def verifier(self, environment: MethodEnvironment) -> BearerVerifier:
        return BearerVerifier(
            environment.database,
            clock=environment.clock,
            cache_seconds=environment.cache_seconds,
        )
