"""How a server's security method is described to clients and to administrators."""

from __future__ import annotations

from typing import Any

from glpi_scim.servers.models import IdentityServer

# RFC 7643 section 5: authenticationSchemes entries of ServiceProviderConfig.
_SCHEMES: dict[str, dict[str, Any]] = {
    "basic": {
        "type": "httpbasic",
        "name": "HTTP Basic",
        "description": "Authentication with a username and password (RFC 7617).",
        "specUri": "https://www.rfc-editor.org/rfc/rfc7617",
    },
    "digest": {
        "type": "httpdigest",
        "name": "HTTP Digest",
        "description": "HTTP Digest access authentication, SHA-256 or MD5, qop=auth (RFC 7616).",
        "specUri": "https://www.rfc-editor.org/rfc/rfc7616",
    },
    "bearer": {
        "type": "oauthbearertoken",
        "name": "OAuth Bearer Token",
        "description": "A bearer token (JWT) issued by `glpi-scim token issue` (RFC 6750).",
        "specUri": "https://www.rfc-editor.org/rfc/rfc6750",
    },
    "oauth2": {
        "type": "oauth2",
        "name": "OAuth 2.0",
        "description": (
            "Access tokens from this server's OAuth 2.0 token endpoint: authorization code "
            "with PKCE, or client credentials (RFC 6749)."
        ),
        "specUri": "https://www.rfc-editor.org/rfc/rfc6749",
    },
}


def authentication_schemes(server: IdentityServer) -> list[dict[str, Any]]:
    """ServiceProviderConfig `authenticationSchemes` for a server (empty for `none`)."""
    scheme = _SCHEMES.get(server.auth_method)
    if scheme is None:
        return []
    return [{**scheme, "primary": True}]


def insecure_warning(server: IdentityServer) -> str | None:
    """A sentence for `server add` and `serve` when a server accepts unauthenticated requests."""
    if server.auth_method != "none":
        return None
    reach = (
        f"from {', '.join(server.allowed_networks)}"
        if server.allowed_networks
        else "from any address (no allowed networks are set)"
    )
    return (
        f"identity server {server.name!r} (id {server.id}) has no authentication: anyone who can "
        f"reach its SCIM endpoint {reach} can create, change and delete GLPI users and "
        "groups. Choose bearer, basic, digest or oauth2 security outside of tests."
    )
