"""What a security method declares, once, for every part of glpi-scim that depends on it.

A method is one module in this package: a `SecurityMethod` subclass registered in
`registry.py`. Everything else asks the registry: the Authenticator (challenge and
authentication), `server add`/`edit` (the secret stored, the credentials printed), the CLI's
`--security` choices, `/ServiceProviderConfig`, the OpenAPI document and the request log's
redaction. No framework here: the CLI and the web layer turn the declarations into their own
objects.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar, Protocol

from glpi_scim.db.database import Database
from glpi_scim.identity.models import IdentityServer
from glpi_scim.security.model import AuthenticationFailed, AuthRequest, Principal


@dataclass(frozen=True)
class MethodEnvironment:
    """What a method's verifier may use: one per Authenticator, shared by every thread."""

    database: Database
    clock: Callable[[], datetime]
    # How long a Digest nonce lives; a setting of the Authenticator so that tests can shorten it.
    nonce_life: timedelta
    # How long what was read of tokens may be reused (auth_cache_seconds; 0: read every time).
    cache_seconds: float = 0


class Verifier(Protocol):
    """Checks the credentials of requests for servers using one method."""

    def challenge(self, server: IdentityServer, failure: AuthenticationFailed | None) -> str:
        """The WWW-Authenticate value of a 401 (`failure` None: the first challenge)."""
        ...

    def authenticate(self, server: IdentityServer, request: AuthRequest) -> Principal:
        """The principal, or AuthenticationFailed."""
        ...


@dataclass(frozen=True)
class Redaction:
    """What the request log must never store for a method (servers/redaction.py adds these to
    its own list of secret names).

    `headers`: request headers whose whole value is a credential. `schemes`: Authorization
    scheme words kept before the redacted value (`Basic [REDACTED]`), so that the log still
    says which method a client used. `words`: a body field, form field, query parameter or
    PATCH path is secret when its last segment contains one (`client_secret`, `access_token`).
    `names`: ... or when it is exactly one of these, as a whole word (`code`).
    """

    headers: frozenset[str] = frozenset()
    schemes: frozenset[str] = frozenset()
    words: frozenset[str] = frozenset()
    names: frozenset[str] = frozenset()

    @staticmethod
    def of(
        *,
        headers: Iterable[str] = (),
        schemes: Iterable[str] = (),
        words: Iterable[str] = (),
        names: Iterable[str] = (),
    ) -> Redaction:
        return Redaction(
            frozenset(h.lower() for h in headers),
            frozenset(s.lower() for s in schemes),
            frozenset(w.lower() for w in words),
            frozenset(n.lower() for n in names),
        )

    def __or__(self, other: Redaction) -> Redaction:
        return Redaction(
            self.headers | other.headers,
            self.schemes | other.schemes,
            self.words | other.words,
            self.names | other.names,
        )


@dataclass(frozen=True)
class OpenApiScheme:
    """An OpenAPI `securitySchemes` entry under `key`; two methods may share one (an OAuth2
    access token is a bearer token on the SCIM endpoints)."""

    key: str
    entry: Mapping[str, Any] = field(default_factory=dict)


class SecurityMethod:
    """One security method. Subclasses set the class attributes and override what applies."""

    # The value of the servers table's auth_method column and of `--security`.
    name: ClassVar[str]
    # How administrators read it (`server show`, credentials headings).
    label: ClassVar[str]
    # RFC 7643 section 5: its `authenticationSchemes` entry in ServiceProviderConfig, without
    # `primary` (None: the method advertises none, as `none` does).
    authentication_scheme: ClassVar[Mapping[str, Any] | None] = None
    # Its OpenAPI security scheme (None: requests carry no credentials).
    openapi_scheme: ClassVar[OpenApiScheme | None] = None
    redaction: ClassVar[Redaction] = Redaction()
    # `server add`/`edit` take --username and --password and store `make_secret` of them.
    takes_password: ClassVar[bool] = False
    # Credentials are bearer tokens from `token issue`: a first one is issued when a server
    # starts using the method, and they are revoked when it stops.
    issues_tokens: ClassVar[bool] = False

    def verifier(self, environment: MethodEnvironment) -> Verifier | None:
        """What checks requests of its servers; None: every request is let in (`none`)."""
        raise NotImplementedError

    def make_secret(
        self, username: str, password: str, algorithms: Sequence[str] = ()
    ) -> str | None:
        """The servers table's `auth_secret` for a username and password (never the password
        itself); None for methods that store none. `algorithms`: Digest's allowed ones."""
        return None

    def adoption_notes(self, server: IdentityServer) -> list[str]:
        """What `server add`/`edit` tells the administrator when a server starts using it."""
        return []

    def warnings(self, server: IdentityServer) -> list[str]:
        """Warnings `server add`/`edit` print for a server using it."""
        return []
