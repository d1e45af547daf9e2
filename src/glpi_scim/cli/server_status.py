"""`glpi-scim server status [NAME] [--json]`: each identity server's health at a glance.

Thin over glpi_scim.servers.status; registered on the `server` group by cli/servers.py (this
module does not import it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click
from rich.markup import escape

from glpi_scim.cli.context import console, get_context, print_json
from glpi_scim.cli.errors import handles_admin_errors
from glpi_scim.cli.options import json_option
from glpi_scim.cli.services import server_service

# Imported when the command runs: `server list` imports this module and no SQLAlchemy.
if TYPE_CHECKING:
    from glpi_scim.servers.status import ServerStatus


@click.command("status")
@click.argument("server_ref", metavar="[NAME|ID]", required=False)
@json_option
@handles_admin_errors
def server_status(server_ref: str | None, as_json: bool) -> None:
    """Health of identity servers: last request, success and error, recent counts, tokens.

    Counts cover every request, whether or not the server keeps its request log; each
    running process writes them every few seconds (stats_flush_seconds). Without NAME, every
    server.
    """
    from glpi_scim.servers.status import StatusService

    service = server_service()
    servers = [service.get(server_ref)] if server_ref is not None else service.list_all()
    status = StatusService(get_context().database())
    reports = [status.status(server) for server in servers]
    if as_json:
        shown = [report.as_json() for report in reports]
        print_json(shown[0] if server_ref is not None else shown)
        return
    out = console()
    if not reports:
        out.print(
            "No identity server yet: add one with `glpi-scim server add NAME --applied-user LOGIN`."
        )
        return
    for number, report in enumerate(reports):
        if number:
            out.print()
        for line in _lines(report):
            out.print(line)


def _lines(report: ServerStatus) -> list[str]:
    """One line per figure, never wrapped (soft_wrap), so that grep finds each."""
    server = report.server
    state = "active" if server.is_active else "[red]inactive[/]"
    lines = [f"[bold]Identity server {escape(server.name)} (id {server.id}), {state}[/]"]
    width = max(len(item.label) for section in report.sections for item in section.items)
    for section in report.sections:
        lines.append(f"  [underline]{escape(section.title)}[/]")
        for item in section.items:
            text = escape(item.text)
            shown = f"[red]{text}[/]" if item.alert else text
            lines.append(f"    {escape(item.label).ljust(width)}  {shown}")
    return lines
