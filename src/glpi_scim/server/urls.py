"""The URLs clients see: base URL of the service, SCIM base URL of an identity server.

`public_url` wins when configured. Otherwise the request's own scheme and Host header are
used; X-Forwarded-Proto and X-Forwarded-Host are believed only when the direct peer is one of
the trusted proxies, so that a client cannot make the server advertise someone else's host.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from glpi_scim.config import Settings
from glpi_scim.security.networks import is_allowed

if TYPE_CHECKING:  # the CLI prints URLs without importing the web framework
    import falcon

SCIM_VERSION_PATH = "/v2"


def request_base_url(req: falcon.Request, settings: Settings) -> str:
    """`https://host[:port]` (plus any path of public_url), without a trailing slash."""
    if settings.public_url:
        return settings.public_url.rstrip("/")
    scheme = req.scheme
    netloc = req.netloc
    if from_trusted_proxy(req.remote_addr, settings.trusted_proxies):
        forwarded_proto = _first(req.get_header("X-Forwarded-Proto"))
        if forwarded_proto and forwarded_proto.lower() in ("http", "https"):
            scheme = forwarded_proto.lower()
        forwarded_host = _first(req.get_header("X-Forwarded-Host"))
        if forwarded_host and _looks_like_host(forwarded_host):
            netloc = forwarded_host
    return f"{scheme}://{netloc}"


def scim_base_url(base_url: str, url_prefix: str, server_id: int | None) -> str:
    """The URL an IdP is given: `{base}{prefix}/v2/{id}`, or without the id for the default."""
    root = f"{base_url}{url_prefix}{SCIM_VERSION_PATH}"
    return root if server_id is None else f"{root}/{server_id}"


def from_trusted_proxy(remote_addr: str | None, trusted: Sequence[str]) -> bool:
    """True when the direct peer is one of the trusted proxies (whose headers are believed)."""
    if not trusted or not remote_addr:
        return False
    try:
        return is_allowed(remote_addr, trusted)
    except ValueError:
        return False


def _first(value: str | None) -> str | None:
    if not value:
        return None
    return value.split(",")[0].strip() or None


def _looks_like_host(value: str) -> bool:
    # A host[:port] only: no path, no credentials, no whitespace.
    return not any(char in value for char in "/@\\ \t?#") and len(value) <= 255
