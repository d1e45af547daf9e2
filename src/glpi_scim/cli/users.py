"""`glpi-scim users list|show`: which identity server owns which GLPI user, who is protected.

`users show LOGIN --scim` prints the SCIM document an identity server's IdP reads, from the
same ScimService the endpoint runs (servers/scim_factory.py), without the HTTP server.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click
from rich.table import Table

from glpi_scim.cli.context import console, fail, get_context, print_json
from glpi_scim.cli.errors import handles_admin_errors
from glpi_scim.cli.options import json_option
from glpi_scim.cli.render import shown_time
from glpi_scim.cli.terminal import shown
from glpi_scim.glpi.accounts import Account, AccountNotFound, AccountService
from glpi_scim.servers.repository import ServerRepository

if TYPE_CHECKING:
    from glpi_scim.identity.models import IdentityServer


@click.group("users")
def users_group() -> None:
    """GLPI users as the identity servers see them: owner, adoption, protection."""


def _service() -> AccountService:
    return AccountService(get_context().database())


def _owner(account: Account) -> str:
    if account.owner_id is None:
        return "-"
    return f"{account.owner_name or 'removed server'} (id {account.owner_id})"


@users_group.command("list")
@click.option("--server", "server_ref", metavar="NAME|ID", help="Only users this server owns.")
@click.option("--unowned", is_flag=True, help="Only users no identity server owns.")
@click.option("--protected", is_flag=True, help="Only users no identity server may write.")
@json_option
@handles_admin_errors
def users_list(server_ref: str | None, unowned: bool, protected: bool, as_json: bool) -> None:
    """List GLPI users with their owner and protection."""
    if server_ref is not None and unowned:
        fail("--server and --unowned exclude each other")
    server_id = None
    if server_ref is not None:
        server_id = ServerRepository(get_context().database()).get(server_ref).id
    accounts = _service().list(server_id=server_id, unowned=unowned, protected=protected)
    if as_json:
        print_json([account.as_dict() for account in accounts])
        return
    table = Table(title="GLPI users")
    for column in ("ID", "Login", "State", "Owner", "Origin", "Last change", "Protected"):
        table.add_column(column, justify="right" if column == "ID" else "left")
    for account in accounts:
        state = "trash" if account.is_deleted else ("active" if account.is_active else "inactive")
        table.add_row(
            str(account.id),
            shown(account.login),
            state,
            shown(_owner(account)),
            account.origin or "-",
            shown_time(account.last_change),
            shown(account.protected or "-"),
        )
    console().print(table)


@users_group.command("show")
@click.argument("login", metavar="LOGIN")
@click.option(
    "--scim",
    "as_scim",
    is_flag=True,
    help="Print the SCIM User document an identity server's IdP reads (GET /Users/{id}), as JSON.",
)
@click.option(
    "--server",
    "server_ref",
    metavar="NAME|ID",
    help="With --scim: the identity server whose view to print (default: the user's owner, "
    "else the default server).",
)
@click.option(
    "--attributes",
    metavar="ATTR[,ATTR]",
    help="With --scim: only these attributes (SCIM's `attributes` parameter).",
)
@json_option
@handles_admin_errors
def users_show(
    login: str, as_scim: bool, server_ref: str | None, attributes: str | None, as_json: bool
) -> None:
    """Show one GLPI user: owner, how and when it came to own it, last change, protection."""
    if not as_scim and (server_ref is not None or attributes is not None):
        raise click.UsageError("--server and --attributes go with --scim")
    try:
        account = _service().show(login)
    except AccountNotFound as exc:
        fail(str(exc))
    if as_scim:
        print_json(_scim_document(account, server_ref, attributes))
        return
    if as_json:
        print_json(account.as_dict())
        return
    adopted = shown_time(account.owned_since) if account.origin == "adopted" else "-"
    table = Table(show_header=False, title=f"User {shown(account.login)}")
    for label, value in (
        ("id", str(account.id)),
        ("login", shown(account.login)),
        ("in trash", "yes" if account.is_deleted else "no"),
        ("active", "yes" if account.is_active else "no"),
        ("authtype", str(account.authtype)),
        ("owner", shown(_owner(account))),
        ("origin", account.origin or "-"),
        ("owned since", shown_time(account.owned_since)),
        ("adopted", adopted),
        ("last change by owner", shown_time(account.last_change)),
        ("protected", shown(account.protected or "no")),
    ):
        table.add_row(label, value)
    console().print(table)


def _scim_document(
    account: Account, server_ref: str | None, attributes: str | None
) -> dict[str, Any]:
    """The user as the identity server's ScimService answers GET /Users/{id}, with the URLs
    its IdP uses (the server's public URL, else the public_url setting)."""
    from glpi_scim.cli.urls import scim_url
    from glpi_scim.glpi.ids import user_id
    from glpi_scim.scim.errors import ScimError
    from glpi_scim.scim.store import USER
    from glpi_scim.servers.scim_factory import ScimServiceFactory

    context = get_context()
    database = context.database()
    settings = context.settings()
    server = _viewing_server(ServerRepository(database), account, server_ref)
    service = ScimServiceFactory(settings, database).service(server, scim_url(server, settings))
    params = {"attributes": attributes} if attributes else None
    try:
        response = service.get(USER, user_id(account.id), params)
    except ScimError as exc:
        fail(
            f"identity server {server.name!r} (id {server.id}) does not see GLPI user "
            f"{account.login!r}: {exc.detail} (answer {exc.status})"
        )
    return response.body or {}


def _viewing_server(
    servers: ServerRepository, account: Account, server_ref: str | None
) -> IdentityServer:
    if server_ref is not None:
        return servers.get(server_ref)
    if account.owner_id is not None:
        return servers.get(account.owner_id)
    default = servers.get_default()
    if default is None:
        fail(
            f"no identity server owns GLPI user {account.login!r} and none is the default: "
            "name one with --server NAME|ID"
        )
    return default


COMMANDS = [users_group]
