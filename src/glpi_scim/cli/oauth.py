"""`glpi-scim oauth client add|list|remove`: OAuth2 clients of an identity server."""

from __future__ import annotations

from typing import Any

import click
from rich.markup import escape
from rich.table import Table

from glpi_scim.cli.confirm import confirm_breaks, yes_option
from glpi_scim.cli.context import console, fail, get_context, print_json, warn
from glpi_scim.cli.errors import handles_admin_errors
from glpi_scim.cli.options import json_option
from glpi_scim.cli.render import shown_time
from glpi_scim.config import Settings
from glpi_scim.identity.models import IdentityServer
from glpi_scim.security.oauth_clients import (
    AUTHORIZATION_CODE,
    GRANT_TYPES,
    OAuthClient,
)
from glpi_scim.servers.oauth_clients import OAuthClientService
from glpi_scim.servers.repository import ServerRepository


def endpoints(server: IdentityServer, settings: Settings) -> dict[str, str]:
    base = f"{settings.base_url}/oauth2/{server.id}"
    return {
        "authorize": f"{base}/authorize",
        "token": f"{base}/token",
        "revoke": f"{base}/revoke",
    }


def _server(ref: str) -> IdentityServer:
    return ServerRepository(get_context().database()).get(ref)


def _service() -> OAuthClientService:
    return OAuthClientService(get_context().database())


@click.group("oauth")
def oauth_group() -> None:
    """OAuth2 for identity servers whose security is oauth2."""


@oauth_group.group("client")
def client_group() -> None:
    """Clients (identity providers) allowed to get access tokens from a server."""


@client_group.command("add")
@click.argument("server_ref", metavar="SERVER")
@click.option(
    "--redirect-uri",
    "redirect_uris",
    multiple=True,
    metavar="URI",
    help="Where codes may be sent (authorization_code); exact match; repeatable.",
)
@click.option(
    "--grant",
    "grants",
    multiple=True,
    type=click.Choice(GRANT_TYPES),
    help="Grant the client may use; repeatable. Default: authorization_code with "
    "--redirect-uri, else client_credentials.",
)
@click.option(
    "--public",
    is_flag=True,
    help="A client without secret (authorization_code with PKCE S256 only).",
)
@click.option("--name", default=None, help="A label shown on the consent page.")
@json_option
@handles_admin_errors
def client_add(
    server_ref: str,
    redirect_uris: tuple[str, ...],
    grants: tuple[str, ...],
    public: bool,
    name: str | None,
    as_json: bool,
) -> None:
    """Register a client; prints its id and secret (the secret is shown only this once)."""
    server = _server(server_ref)
    settings = get_context().settings()
    try:
        registered = _service().register(
            server, redirect_uris=redirect_uris, grant_types=grants, public=public, name=name
        )
    except ValueError as exc:
        fail(str(exc))
    client = registered.client
    urls = endpoints(server, settings)
    if as_json:
        print_json({**client.as_dict(), "client_secret": registered.client_secret, "urls": urls})
    else:
        out = console()
        out.print(
            f"OAuth2 client registered for identity server {escape(server.name)} ({server.id})."
        )
        out.print(f"  client id:     {client.client_id}")
        if registered.client_secret:
            out.print(f"  client secret: {registered.client_secret}")
            out.print("  (the secret is not stored and will not be shown again)")
        out.print(f"  grants:        {', '.join(client.grant_types)}")
        for uri in client.redirect_uris:
            out.print(f"  redirect URI:  {escape(uri)}")
        if AUTHORIZATION_CODE in client.grant_types:
            out.print(f"  authorize URL: {urls['authorize']}")
        out.print(f"  token URL:     {urls['token']}")
    if server.auth_method != "oauth2":
        warn(
            f"identity server {server.name!r} uses security {server.auth_method!r}: its SCIM "
            "endpoint accepts OAuth2 access tokens only once its security is oauth2"
        )


@client_group.command("list")
@click.argument("server_ref", metavar="SERVER")
@json_option
@handles_admin_errors
def client_list(server_ref: str, as_json: bool) -> None:
    """The clients registered for a server (never their secrets)."""
    server = _server(server_ref)
    clients = _service().list_for(server)
    if as_json:
        print_json([client.as_dict() for client in clients])
        return
    if not clients:
        console().print(f"Identity server {escape(server.name)} has no OAuth2 client.")
        return
    table = Table(title=f"OAuth2 clients of {escape(server.name)} ({server.id})")
    table.add_column("client id", no_wrap=True)  # copied into the IdP: never cut
    for column in ("name", "type", "grants", "redirect URIs", "created"):
        table.add_column(column)
    for client in clients:
        table.add_row(*_row(client))
    console().print(table)


def _row(client: OAuthClient) -> list[str]:
    return [
        client.client_id,
        escape(client.name or ""),
        "public" if client.is_public else "confidential",
        ", ".join(client.grant_types),
        escape("\n".join(client.redirect_uris)),
        shown_time(client.date_creation),
    ]


@client_group.command("remove")
@click.argument("server_ref", metavar="SERVER")
@click.argument("client_id", metavar="CLIENT-ID")
@yes_option
@json_option
@handles_admin_errors
def client_remove(server_ref: str, client_id: str, yes: bool, as_json: bool) -> None:
    """Remove a client; its codes and tokens stop working at once."""
    server = _server(server_ref)
    if _service().get(server, client_id) is None:
        fail(
            f"identity server {server.name!r} has no OAuth2 client {client_id!r} "
            f"(see `glpi-scim oauth client list {server.id}`)"
        )
    confirm_breaks(
        [
            f"OAuth2 client {client_id} of identity server {server.name!r} (id {server.id}) "
            "is removed: its tokens stop working and its IdP gets 401"
        ],
        yes,
    )
    if not _service().remove(server, client_id):
        fail(
            f"identity server {server.name!r} has no OAuth2 client {client_id!r} "
            f"(see `glpi-scim oauth client list {server.id}`)"
        )
    result: dict[str, Any] = {"removed": client_id, "server_id": server.id}
    if as_json:
        print_json(result)
    else:
        console().print(f"OAuth2 client {client_id} removed; its tokens no longer work.")


COMMANDS = [oauth_group]
