"""What every authentication method shares: the request it reads, who it lets in, how it fails."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from glpi_scim.errors import GlpiScimError
from glpi_scim.identity.models import AuthMethod

# The protection space announced in every challenge. It names the product, not a server, so
# that renaming a server never invalidates stored Digest HA1 values (which include the realm).
REALM = "glpi-scim"


@dataclass(frozen=True)
class AuthRequest:
    """The parts of an HTTP request authentication looks at, free of any web framework.

    `target` is the request-target as sent on the request line (path, then `?query` when
    there is one); Digest checks it against the `uri` the client signed. `headers` has
    lower-cased names. `client_ip` is the address the request comes from, already resolved
    through trusted proxies (see networks.client_address).
    """

    method: str
    target: str
    headers: Mapping[str, str]
    client_ip: str

    @property
    def authorization(self) -> str | None:
        value = self.headers.get("authorization")
        return value.strip() if value is not None and value.strip() else None


@dataclass(frozen=True)
class Principal:
    """Who a request was authenticated as, for one identity server."""

    server_id: int
    method: AuthMethod
    # Basic/Digest: the configured username; bearer: the JWT `sub`; oauth2: the client id;
    # none: "anonymous".
    subject: str
    token_id: str | None = None  # bearer: the JWT's jti
    client_id: str | None = None  # oauth2: the client the access token was issued to
    users_id: int | None = None  # oauth2 code flow: the GLPI account that granted access


@dataclass
class AuthenticationFailed(GlpiScimError):
    """One method refused a request.

    `reason` goes to the server log (never a secret); `detail` to the client. `counts` says
    whether the failure counts towards throttling: a request without credentials (the first
    leg of every Digest exchange) or with a stale nonce is not an attack.
    """

    reason: str
    detail: str
    counts: bool = True
    stale: bool = False  # Digest: the nonce expired but the response was right
    error: str | None = None  # Bearer (RFC 6750): invalid_request / invalid_token
    extra: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.reason
