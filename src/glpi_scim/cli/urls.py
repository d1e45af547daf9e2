"""The URLs a command prints for an identity server: what to paste into its IdP."""

from __future__ import annotations

from glpi_scim.cli.context import fail, get_context
from glpi_scim.config import Settings
from glpi_scim.identity.errors import ServerError
from glpi_scim.identity.models import IdentityServer
from glpi_scim.server.urls import scim_base_url


def url_settings(public_url: str | None) -> Settings:
    """The settings with `--public-url` (checked) given on the command line, if any."""
    from glpi_scim.servers.service import validate_public_url

    if public_url is not None:
        try:
            public_url = validate_public_url(public_url)
        except ServerError as exc:
            fail(f"--public-url: {exc}")
    return get_context().settings(public_url=public_url)


def public_base_url(server: IdentityServer, settings: Settings) -> str:
    """The base URL the server's IdP reaches: --public-url given now, else the one stored with
    the server, else the public_url setting, else http://host:port."""
    if settings.sources.get("public_url") != "cli" and server.public_url:
        return server.public_url
    return settings.base_url


def scim_url(server: IdentityServer, settings: Settings) -> str:
    """The SCIM base URL of the server (with its id), as its IdP reaches it."""
    return scim_base_url(public_base_url(server, settings), settings.url_prefix, server.id)


def server_urls(server: IdentityServer, settings: Settings) -> dict[str, str | None]:
    """The SCIM base URL to paste into the IdP; the id-less URL when the server is default."""
    base = public_base_url(server, settings)
    return {
        "scim": scim_url(server, settings),
        "default": scim_base_url(base, settings.url_prefix, None) if server.is_default else None,
    }


def token_issuer(server: IdentityServer, settings: Settings) -> str:
    """A bearer token's `iss` and `aud`: the server's SCIM base URL."""
    return scim_url(server, settings)
