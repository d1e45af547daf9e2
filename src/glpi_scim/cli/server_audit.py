"""`glpi-scim server audit NAME [--limit N] [--json]`: who changed an identity server, when, how.

Thin over glpi_scim.servers.audit; registered on the `server` group by cli/servers.py.
"""

from __future__ import annotations

import click
from rich.table import Table

from glpi_scim.cli.context import console, print_json
from glpi_scim.cli.errors import handles_admin_errors
from glpi_scim.cli.options import json_option
from glpi_scim.cli.render import shown_time
from glpi_scim.cli.services import server_service
from glpi_scim.cli.terminal import shown


@click.command("audit")
@click.argument("server_ref", metavar="NAME|ID")
@click.option(
    "--limit", type=click.IntRange(1, 10000), default=50, show_default=True, help="Most entries."
)
@json_option
@handles_admin_errors
def server_audit(server_ref: str, limit: int, as_json: bool) -> None:
    """Changes made to an identity server, newest first: who (OS user or GLPI login), when,
    from where (cli, or console and the client address) and what."""
    service = server_service()
    server = service.get(server_ref)
    entries = service.audit.for_server(server.id, limit=limit)
    if as_json:
        print_json([entry.as_json() for entry in entries])
        return
    if not entries:
        console().print(f"No recorded change of identity server {shown(server.name)}.")
        return
    table = Table(title=f"Changes of identity server {shown(server.name)}")
    for column in ("Time", "Who", "From", "Action", "Detail"):
        table.add_column(column)
    for entry in entries:
        origin = entry.origin + (f" {entry.address}" if entry.address else "")
        table.add_row(
            shown_time(entry.time),
            shown(entry.actor),
            shown(origin),
            shown(entry.action),
            shown(entry.detail or ""),
        )
    console().print(table)
