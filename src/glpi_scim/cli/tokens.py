"""`glpi-scim token ...`: bearer tokens of an identity server (issue, list, revoke)."""

from __future__ import annotations

import click
from rich.markup import escape
from rich.table import Table

from glpi_scim.cli.confirm import confirm_breaks, yes_option
from glpi_scim.cli.context import console, fail, get_context, print_json
from glpi_scim.cli.errors import handles_admin_errors
from glpi_scim.cli.options import json_option
from glpi_scim.cli.render import shown_date, shown_time, token_json
from glpi_scim.cli.services import server_service
from glpi_scim.cli.terminal import shown
from glpi_scim.cli.urls import server_urls, token_issuer
from glpi_scim.identity.durations import describe_duration, parse_duration
from glpi_scim.identity.errors import TokenNotFound
from glpi_scim.servers.service import DEFAULT_TOKEN_LIFETIME


@click.group("token")
def token_group() -> None:
    """Bearer tokens of identity servers using bearer security."""


@token_group.command("issue")
@click.argument("server_ref", metavar="SERVER")
@click.option(
    "--expires",
    default=None,
    metavar="DURATION",
    help="Lifetime: a number and a unit, y, w, d, h or min (90d, 12h, 1y). Default: "
    f"{describe_duration(DEFAULT_TOKEN_LIFETIME)}, but never past 2038-01-19 (the database's "
    "TIMESTAMP limit).",
)
@click.option("--comment", metavar="TEXT", help="Why or for whom the token is (shown in lists).")
@json_option
@handles_admin_errors
def token_issue(server_ref: str, expires: str | None, comment: str | None, as_json: bool) -> None:
    """Issue a bearer token for SERVER (name or id) and print it once.

    Only its id (jti), expiry and comment are stored: a lost token cannot be shown again;
    issue another and revoke the lost one.
    """
    lifetime = None
    if expires is not None:
        try:
            lifetime = parse_duration(expires)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="'--expires'") from None
    settings = get_context().settings()
    service = server_service()
    server = service.get(server_ref)
    issued = service.issue_token(
        server, issuer=token_issuer(server, settings), lifetime=lifetime, comment=comment
    )
    if as_json:
        print_json({"server": {"id": server.id, "name": server.name}, **token_json(issued)})
        return
    out = console()
    out.print(
        f"Bearer token for identity server {escape(repr(server.name))} (shown once; paste it "
        "into the IdP's secret token field):"
    )
    out.print(issued.token, markup=False, highlight=False)
    out.print(f"  token id {issued.record.id}, expires {shown_time(issued.record.expires_at)}")
    out.print(f"  SCIM base URL for the IdP: {escape(server_urls(server, settings)['scim'] or '')}")


@token_group.command("list")
@click.argument("server_ref", metavar="SERVER")
@json_option
@handles_admin_errors
def token_list(server_ref: str, as_json: bool) -> None:
    """List the tokens issued for SERVER: id, status, dates, comment (never the token).

    --json adds each token's jti, the id that request logs and revocation also accept.
    """
    service = server_service()
    server = service.get(server_ref)
    tokens = service.tokens.list_for(server.id)
    if as_json:
        print_json([token.as_json() for token in tokens])
        return
    out = console()
    if not tokens:
        out.print(
            f"Identity server {escape(repr(server.name))} has no token: issue one with "
            f"`glpi-scim token issue {server.id}`."
        )
        return
    table = Table(title=f"Tokens of identity server {escape(server.name)}")
    for column in ("ID", "Status", "Created", "Expires", "Last used", "Comment"):
        table.add_column(column, justify="right" if column == "ID" else "left")
    colours = {"active": "green", "expired": "yellow", "revoked": "red"}
    for token in tokens:
        status = token.status()
        table.add_row(
            str(token.id),
            f"[{colours[status]}]{status}[/]",
            shown_date(token.created_at),
            shown_date(token.expires_at),
            shown_date(token.last_used_at),
            shown(token.comment or ""),
        )
    out.print(table)


@token_group.command("revoke")
@click.argument("server_ref", metavar="SERVER")
@click.argument("token_ref", metavar="TOKEN-ID")
@yes_option
@json_option
@handles_admin_errors
def token_revoke(server_ref: str, token_ref: str, yes: bool, as_json: bool) -> None:
    """Revoke token TOKEN-ID (its id from `token list`, or its jti) of SERVER at once."""
    service = server_service()
    server = service.get(server_ref)
    before = service.tokens.find(server.id, token_ref)
    if before is None:
        fail(str(TokenNotFound(server.name, token_ref)))
    if before.status() == "active":
        confirm_breaks(
            [
                f"token {before.id} of identity server {server.name!r} (id {server.id}) stops "
                "working: an IdP using it gets 401"
            ],
            yes,
        )
    token = service.revoke_token(server, before.id)
    if as_json:
        print_json({**token.as_json(), "already_revoked": before.revoked})
        return
    if before.revoked:
        console().print(f"Token {token.id} was already revoked ({shown_time(token.revoked_at)}).")
    else:
        console().print(
            f"Token {token.id} of identity server {escape(repr(server.name))} revoked: requests "
            "using it now get 401."
        )


COMMANDS = [token_group]
