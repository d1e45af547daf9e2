"""HTTP Digest (RFC 7616): SHA-256 and MD5, their -sess forms, qop=auth, stateless nonces.

A nonce is `<timestamp>.<random>.<mac>`, the mac an HMAC of the server id, timestamp and random
part under a key derived from the server's signing key: any instance behind a load balancer
can check it without shared memory, and a nonce of one server is worthless on another. It
lives `nonce_life` (5 minutes by default); a right answer with an older nonce gets a fresh
challenge with `stale=true`, which clients answer without asking anyone for the password.

Replays: within a nonce's life every request must carry a higher nonce count (nc) than the
last one seen; the highest count per nonce is kept in the digest_nonces table, shared by all
instances, and expired rows are purged whenever a new nonce is first used.

The realm is the fixed string "glpi-scim" (renaming a server changes nothing). A server offers
only the algorithms it allows (`--digest-algorithms`; SHA-256 alone by default), SHA-256
first, in one WWW-Authenticate header, and refuses an answer made with any other: a man in the
middle cannot downgrade a SHA-256 server to MD5. `userhash=true` is accepted (RFC 7616
section 3.4.4) but not required.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from urllib.parse import unquote, urlsplit

from sqlalchemy import Connection, delete, insert, select, update

from glpi_scim.db import tables
from glpi_scim.db.clock import to_db, utcnow
from glpi_scim.db.database import Database
from glpi_scim.db.transaction import Transactions
from glpi_scim.identity.models import IdentityServer
from glpi_scim.security.credentials import (
    DEFAULT_DIGEST_ALGORITHMS,
    DIGEST_HASHES,
    check_password_credentials,
    derive_key,
    digest_ha1_values,
    digest_secret,
    token_digest,
)
from glpi_scim.security.methods.base import (
    MethodEnvironment,
    OpenApiScheme,
    Redaction,
    SecurityMethod,
)
from glpi_scim.security.model import REALM, AuthenticationFailed, AuthRequest, Principal

DEFAULT_NONCE_LIFE = timedelta(minutes=5)
# Challenges in order of preference (RFC 7616 section 3.7: the client uses the first it knows).
OFFERED_ALGORITHMS = ("SHA-256", "MD5")
# Tolerated clock difference between instances when a nonce's timestamp is in the future.
CLOCK_SKEW = timedelta(seconds=60)

_TCHARS = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_PARAM = re.compile(rf'\s*({_TCHARS})\s*=\s*(?:"((?:[^"\\]|\\.)*)"|({_TCHARS}))\s*(?:,|$)')
_NC = re.compile(r"[0-9a-fA-F]{8}")


def parse_auth_params(text: str) -> dict[str, str] | None:
    """`name=value, name="quoted"` pairs (names lower-cased); None when malformed or repeated."""
    params: dict[str, str] = {}
    position = 0
    text = text.strip()
    while position < len(text):
        match = _PARAM.match(text, position)
        if match is None:
            return None
        name = match.group(1).lower()
        if name in params:
            return None
        quoted = match.group(2)
        value = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else match.group(3)
        params[name] = value
        position = match.end()
    return params


def _decode_ext_value(value: str) -> str | None:
    """RFC 8187 ext-value (`UTF-8''J%C3%BCrgen`), as used by `username*`."""
    charset, quote1, rest = value.partition("'")
    _language, quote2, encoded = rest.partition("'")
    if not (quote1 and quote2) or charset.lower() != "utf-8":
        return None
    try:
        return unquote(encoded, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        return None


def offered(server: IdentityServer) -> tuple[str, ...]:
    """The algorithms a server allows (those it holds an HA1 for), SHA-256 first."""
    stored = digest_ha1_values(server.auth_secret)
    return tuple(name for name in OFFERED_ALGORITHMS if name in stored) or ("SHA-256",)


class NonceSigner:
    """Makes and checks the stateless nonces of one server."""

    def __init__(self, server: IdentityServer) -> None:
        self._key = derive_key(server.signing_key, "digest nonce")
        self._server_id = server.id

    def _mac(self, payload: str) -> str:
        message = f"{self._server_id}:{payload}".encode()
        digest = hmac.new(self._key, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def make(self, now: datetime) -> str:
        payload = f"{int(now.timestamp()):x}.{secrets.token_urlsafe(12)}"
        return f"{payload}.{self._mac(payload)}"

    def issued_at(self, nonce: str) -> datetime | None:
        """When a genuine nonce was made; None when it was not made by this server."""
        payload, dot, mac = nonce.rpartition(".")
        if not dot or not hmac.compare_digest(mac.encode(), self._mac(payload).encode()):
            return None
        stamp = payload.split(".", 1)[0]
        try:
            return datetime.fromtimestamp(int(stamp, 16), tz=timezone.utc)
        except (ValueError, OverflowError, OSError):
            return None


class DigestVerifier:
    def __init__(
        self,
        database: Database,
        *,
        nonce_life: timedelta = DEFAULT_NONCE_LIFE,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.database = database
        self.nonce_life = nonce_life
        self.clock = clock

    # -- challenge ----------------------------------------------------------------------------

    def challenge(self, server: IdentityServer, failure: AuthenticationFailed | None) -> str:
        nonce = NonceSigner(server).make(self.clock())
        stale = failure is not None and failure.stale
        return ", ".join(_challenge(algorithm, nonce, stale) for algorithm in offered(server))

    # -- verification -------------------------------------------------------------------------

    def authenticate(self, server: IdentityServer, request: AuthRequest) -> Principal:
        params = self._parse(request)
        base, is_session = self._algorithm(params)
        username = self._check_username(server, params, base)
        self._check_realm_and_uri(params, request)

        signer = NonceSigner(server)
        nonce = params["nonce"]
        issued = signer.issued_at(nonce)
        if issued is None:
            raise AuthenticationFailed(
                "forged or foreign Digest nonce", "The nonce was not issued by this server."
            )

        ha1 = digest_ha1_values(server.auth_secret).get(base)
        if ha1 is None:
            raise AuthenticationFailed(
                f"Digest algorithm {base} is not allowed on this server",
                f"This server does not accept {base}; answer with {' or '.join(offered(server))}.",
            )
        expected = _response(base, is_session, ha1, params, request.method)
        if not hmac.compare_digest(expected.encode(), params["response"].lower().encode()):
            raise AuthenticationFailed(
                f"wrong Digest response (user {username[:64]!r})", "Wrong username or password."
            )

        now = self.clock()
        if issued > now + CLOCK_SKEW:
            raise AuthenticationFailed(
                "Digest nonce from the future", "The nonce was not issued by this server."
            )
        if now - issued > self.nonce_life:
            raise AuthenticationFailed(
                "stale Digest nonce",
                "The nonce has expired; answer the new challenge.",
                counts=False,
                stale=True,
            )
        if not self._advance_count(server.id, nonce, int(params["nc"], 16), issued):
            raise AuthenticationFailed(
                f"replayed Digest nonce count {params['nc']}",
                "This nonce count was already used (replayed request).",
            )
        return Principal(server_id=server.id, method="digest", subject=server.auth_username or "")

    def _parse(self, request: AuthRequest) -> dict[str, str]:
        header = request.authorization
        if header is None:
            raise AuthenticationFailed(
                "no Authorization header",
                "Authentication required: answer the HTTP Digest challenge.",
                counts=False,
            )
        scheme, _, rest = header.partition(" ")
        if scheme.lower() != "digest":
            raise AuthenticationFailed(
                f"Authorization header is not Digest (scheme {scheme[:20]!r})",
                "This server expects HTTP Digest authentication.",
            )
        params = parse_auth_params(rest)
        if params is None:
            raise AuthenticationFailed(
                "malformed Digest parameters", "The Digest Authorization header is malformed."
            )
        missing = [
            name
            for name in ("realm", "nonce", "uri", "response", "qop", "nc", "cnonce")
            if not params.get(name)
        ]
        if not params.get("username") and not params.get("username*"):
            missing.insert(0, "username")
        if missing:
            raise AuthenticationFailed(
                f"Digest parameters missing: {', '.join(missing)}",
                f"The Digest response lacks {', '.join(missing)} (qop=auth is required).",
            )
        if params["qop"] != "auth":
            raise AuthenticationFailed(
                f"unsupported Digest qop {params['qop'][:20]!r}", "Only qop=auth is supported."
            )
        if not _NC.fullmatch(params["nc"]):
            raise AuthenticationFailed(
                "malformed Digest nonce count", "nc must be 8 hexadecimal digits."
            )
        return params

    @staticmethod
    def _algorithm(params: dict[str, str]) -> tuple[str, bool]:
        name = params.get("algorithm", "MD5").upper()
        is_session = name.endswith("-SESS")
        base = name[: -len("-SESS")] if is_session else name
        if base not in DIGEST_HASHES:
            raise AuthenticationFailed(
                f"unsupported Digest algorithm {name[:20]!r}",
                "Supported Digest algorithms: SHA-256, SHA-256-sess, MD5, MD5-sess.",
            )
        return base, is_session

    @staticmethod
    def _check_username(server: IdentityServer, params: dict[str, str], base: str) -> str:
        expected = server.auth_username or ""
        if "username*" in params:
            given = _decode_ext_value(params["username*"]) or ""
        else:
            given = params["username"]
        if params.get("userhash", "false").lower() == "true":
            hashed = DIGEST_HASHES[base](f"{expected}:{REALM}".encode()).hexdigest()
            matches = hmac.compare_digest(given.lower().encode(), hashed.encode())
        else:
            matches = hmac.compare_digest(given.encode(), expected.encode())
        if not (matches and expected):
            raise AuthenticationFailed(
                f"wrong Digest username {given[:64]!r}", "Wrong username or password."
            )
        return expected

    @staticmethod
    def _check_realm_and_uri(params: dict[str, str], request: AuthRequest) -> None:
        if params["realm"] != REALM:
            raise AuthenticationFailed(
                f"wrong Digest realm {params['realm'][:64]!r}",
                f'The realm must be "{REALM}", as the challenge says.',
            )
        uri = params["uri"]
        if "://" in uri:
            parts = urlsplit(uri)
            uri = parts.path + (f"?{parts.query}" if parts.query else "")
        if uri != request.target:
            raise AuthenticationFailed(
                "Digest uri does not match the request target",
                "The Digest uri parameter must be the request's own path and query.",
            )

    def _advance_count(self, server_id: int, nonce: str, count: int, issued: datetime) -> bool:
        """Record `count` as the nonce's highest; False when it is not above the last one.

        One transaction, run again on a deadlock or a duplicate key: a client's parallel
        connections use nonces for the first time at once, and their rows' index gaps meet."""
        table = tables.digest_nonces
        nonce_hash = token_digest(nonce)
        raise_count = (
            update(table)
            .where(table.c.nonce_hash == nonce_hash, table.c.last_nc < count)
            .values(last_nc=count)
        )
        # A locking read: it sees the row another connection committed after this UPDATE.
        stored = select(table.c.last_nc).where(table.c.nonce_hash == nonce_hash).with_for_update()

        def work(connection: Connection) -> bool:
            if connection.execute(raise_count).rowcount == 1:
                return True
            last = connection.execute(stored).scalar_one_or_none()
            if last is not None:
                return bool(last < count and connection.execute(raise_count).rowcount == 1)
            # A nonce's first use: the moment to drop the rows of nonces that have expired.
            connection.execute(delete(table).where(table.c.date_expiration < to_db(self.clock())))
            connection.execute(
                insert(table).values(
                    servers_id=server_id,
                    nonce_hash=nonce_hash,
                    last_nc=count,
                    date_expiration=to_db(issued + self.nonce_life),
                )
            )
            return True

        return Transactions(self.database).run(work)


def _challenge(algorithm: str, nonce: str, stale: bool) -> str:
    parts = [
        f'realm="{REALM}"',
        'qop="auth"',
        f"algorithm={algorithm}",
        f'nonce="{nonce}"',
        "charset=UTF-8",
        "userhash=true",
    ]
    if stale:
        parts.append("stale=true")
    return "Digest " + ", ".join(parts)


def _response(base: str, is_session: bool, ha1: str, params: dict[str, str], method: str) -> str:
    hash_function = DIGEST_HASHES[base]

    def h(text: str) -> str:
        return hash_function(text.encode()).hexdigest()

    if is_session:
        ha1 = h(f"{ha1}:{params['nonce']}:{params['cnonce']}")
    ha2 = h(f"{method}:{params['uri']}")
    return h(f"{ha1}:{params['nonce']}:{params['nc']}:{params['cnonce']}:{params['qop']}:{ha2}")


class DigestMethod(SecurityMethod):
    name = "digest"
    label = "Digest"
    authentication_scheme = {
        "type": "httpdigest",
        "name": "HTTP Digest",
        "description": "HTTP Digest access authentication, SHA-256 or MD5, qop=auth (RFC 7616).",
        "specUri": "https://www.rfc-editor.org/rfc/rfc7616",
    }
    openapi_scheme = OpenApiScheme("digest", {"type": "http", "scheme": "digest"})
    # The response and cnonce are worthless without the HA1, but the header goes whole anyway.
    redaction = Redaction.of(headers=["authorization"], schemes=["digest"])
    takes_password = True

    def verifier(self, environment: MethodEnvironment) -> DigestVerifier:
        return DigestVerifier(
            environment.database, nonce_life=environment.nonce_life, clock=environment.clock
        )

    def make_secret(
        self, username: str, password: str, algorithms: Sequence[str] = DEFAULT_DIGEST_ALGORITHMS
    ) -> str:
        """The HA1 of each allowed algorithm (Digest needs it to check a response)."""
        check_password_credentials(username, password)
        return digest_secret(username, password, algorithms)
