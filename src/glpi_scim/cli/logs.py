"""`glpi-scim logs ...`: the request log of identity servers (tail, show, purge)."""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from typing import Any

import click
from rich.console import Console, RenderableType
from rich.highlighter import JSONHighlighter
from rich.markup import escape
from rich.panel import Panel
from rich.text import Text

from glpi_scim.cli.context import console, get_context, print_json
from glpi_scim.cli.errors import handles_admin_errors
from glpi_scim.cli.options import json_option
from glpi_scim.cli.render import shown_time
from glpi_scim.cli.services import server_service
from glpi_scim.cli.terminal import json_escaped, printable
from glpi_scim.db.clock import utcnow
from glpi_scim.identity.durations import parse_duration
from glpi_scim.servers.requestlog import RequestLog, StatusRange, StoredRequest, parse_status_filter

FOLLOW_BATCH = 200


def _request_log() -> RequestLog:
    return RequestLog(get_context().database())


def _status_ranges(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> tuple[StatusRange, ...]:
    if value is None:
        return ()
    try:
        return parse_status_filter(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx, param) from None


@click.group("logs")
def logs_group() -> None:
    """The request log of identity servers that have --log-requests (secrets redacted)."""


def _since(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return utcnow() - parse_duration(value)
    except (ValueError, OverflowError):
        pass
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(
            f"{value!r}: expected a duration (30min, 2h, 7d) or a date and time "
            "(2026-12-01 or 2026-12-01T08:00:00Z, UTC unless an offset is given)",
            ctx,
            param,
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


@logs_group.command("tail")
@click.argument("server_ref", metavar="[SERVER]", required=False)
@click.option("-f", "--follow", is_flag=True, help="Keep printing new requests as they arrive.")
@click.option(
    "--status",
    "statuses",
    metavar="STATUS",
    callback=_status_ranges,
    help="Only these statuses: 404, 4xx, or several separated by commas (4xx,500).",
)
@click.option(
    "--since",
    metavar="WHEN",
    callback=_since,
    help="Only requests since then: a duration back from now (30min, 2h, 7d) or a UTC date "
    "and time (2026-12-01T08:00:00).",
)
@click.option(
    "--path",
    "path_part",
    metavar="TEXT",
    help="Only requests whose path contains TEXT (/Groups, /Users/12); paths are stored "
    "percent-encoded.",
)
@click.option("--method", metavar="METHOD", help="Only requests with this method (GET, PATCH...).")
@click.option(
    "--user",
    "login",
    metavar="LOGIN",
    help="Only requests that touched this GLPI user: on its /Users/ID URL, or the POST that "
    "created it or sent its login as userName.",
)
@click.option(
    "-n",
    "--lines",
    "count",
    type=click.IntRange(0, 10_000),
    default=20,
    show_default=True,
    help="How many of the latest requests to print first.",
)
@click.option(
    "--interval",
    type=click.FloatRange(0.1, 60),
    default=1.0,
    show_default=True,
    help="--follow: seconds between two looks at the database.",
)
@json_option
@handles_admin_errors
def logs_tail(
    server_ref: str | None,
    follow: bool,
    statuses: tuple[StatusRange, ...],
    count: int,
    interval: float,
    as_json: bool,
    since: datetime | None,
    path_part: str | None,
    method: str | None,
    login: str | None,
) -> None:
    """Print the latest requests (of SERVER, name or id, or of all servers).

    A failed request's line ends with the error detail it got. With --follow, new requests
    are printed as they are recorded until Ctrl-C; with --json each one is then a JSON object
    on its own line.
    """
    service = server_service()
    server_id = service.get(server_ref).id if server_ref else None
    names = {server.id: server.name for server in service.list_all()}
    log = _request_log()
    ranges = statuses
    user = None
    if login is not None:
        user = log.find_user(login)
        if user is None:
            raise click.BadParameter(f"no GLPI user has the login {login!r}", param_hint="'--user'")
    filters: dict[str, Any] = {
        "server_id": server_id,
        "statuses": ranges,
        "since": since,
        "path": path_part,
        "method": method,
        "user": user,
    }
    filtered = any(value for key, value in filters.items() if key != "server_id")
    # Taken before the first read: nothing recorded meanwhile is missed when following.
    last_id = log.last_id()
    entries = log.recent(**filters, limit=count) if count else []
    out = console()
    if as_json and not follow:
        print_json([entry.as_json(bodies=False) for entry in entries])
        return
    for entry in entries:
        _print_line(out, entry, names, as_json)
    if not follow:
        if not entries and not as_json:
            out.print("No request recorded" + (" with these filters." if filtered else "."))
        return
    last_id = max([last_id, *(entry.id for entry in entries)])
    try:
        click.echo("Following new requests (Ctrl-C to stop)...", err=True)
        while True:
            time.sleep(interval)
            fresh = log.recent(**filters, limit=FOLLOW_BATCH, after_id=last_id)
            for entry in fresh:
                if entry.server_id not in names:
                    names = {server.id: server.name for server in service.list_all()}
                _print_line(out, entry, names, as_json)
                last_id = entry.id
    except KeyboardInterrupt:
        return


@logs_group.command("show")
@click.argument("entry_id", metavar="ID", type=click.IntRange(min=1))
@json_option
@handles_admin_errors
def logs_show(entry_id: int, as_json: bool) -> None:
    """Show one recorded request: headers, request body and response body (pretty JSON)."""
    entry = _request_log().get(entry_id)
    if as_json:
        print_json(entry.as_json())
        return
    service = server_service()
    server = service.repository.find(entry.server_id)
    server_label = f"{server.name} ({server.id})" if server else f"{entry.server_id} (removed)"
    target = _target(entry)
    summary = Text()
    for label, value in (
        ("time", shown_time(entry.time)),
        ("server", server_label),
        ("client", entry.client_ip or "-"),
        ("request id", entry.request_id or "-"),
        ("request", f"{entry.method} {target}"),
        ("status", str(entry.status)),
        ("duration", f"{entry.duration_ms} ms"),
    ):
        summary.append(f"{label:>11}: ", style="bold")
        style = _status_style(entry.status) if label == "status" else ""
        summary.append(printable(value) + "\n", style=style)
    if entry.error_detail:
        summary.append(f"{'error':>11}: ", style="bold")
        summary.append(printable(entry.error_detail) + "\n", style="red")
    if entry.note:
        summary.append(f"{'note':>11}: ", style="bold")
        summary.append(printable(entry.note) + "\n", style="yellow")
    if entry.truncated:
        summary.append("Bodies longer than the log keeps were cut (marked at their end).\n")
    out = console()
    if not entry.request_headers and entry.request_body is None and entry.note:
        summary.append("Refused before authentication: only this summary was stored.\n")
    out.print(Panel(summary, title=f"Request {entry.id}", expand=False))
    out.print(Panel(_pretty(json.dumps(entry.request_headers)), title="Request headers"))
    out.print(Panel(_pretty(entry.request_body), title="Request body"))
    out.print(Panel(_pretty(entry.response_body), title="Response body"))


@logs_group.command("purge")
@click.argument("server_ref", metavar="[SERVER]", required=False)
@click.option(
    "--older-than",
    metavar="DURATION",
    help="Only entries older than this (30d, 12h, 1y); default: every entry.",
)
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@json_option
@handles_admin_errors
def logs_purge(server_ref: str | None, older_than: str | None, yes: bool, as_json: bool) -> None:
    """Delete recorded requests (of SERVER, name or id, or of every server)."""
    cutoff = None
    if older_than is not None:
        try:
            cutoff = utcnow() - parse_duration(older_than)
        except (ValueError, OverflowError) as exc:
            raise click.BadParameter(str(exc), param_hint="'--older-than'") from None
    server = server_service().get(server_ref) if server_ref else None
    scope = f"of identity server {server.name!r}" if server else "of every identity server"
    age = f" older than {older_than}" if older_than else ""
    if not yes:
        click.confirm(f"Delete the recorded requests {scope}{age}?", abort=True, err=True)
    deleted = _request_log().purge(older_than=cutoff, server_id=server.id if server else None)
    if as_json:
        print_json(
            {
                "deleted": deleted,
                "server": None if server is None else {"id": server.id, "name": server.name},
                "older_than": None if cutoff is None else cutoff.isoformat(),
            }
        )
        return
    console().print(f"Deleted {deleted} recorded request(s) {escape(scope)}{escape(age)}.")


def _status_style(status: int) -> str:
    if status >= 500:
        return "bold red"
    if status >= 400:
        return "yellow"
    return "green"


def _target(entry: StoredRequest) -> str:
    return printable(entry.path + (f"?{entry.query}" if entry.query else ""))


def _print_line(out: Console, entry: StoredRequest, names: dict[int, str], as_json: bool) -> None:
    if as_json:
        print_json_line(entry.as_json(bodies=False))
        return
    server = names.get(entry.server_id, f"#{entry.server_id}")
    line = Text()
    line.append(f"{entry.id:>6} ", style="dim")
    line.append(f"{shown_time(entry.time)} ")
    line.append(f"[{printable(server)}] ", style="cyan")
    line.append(f"{printable(entry.method)} {_target(entry)} ")
    line.append(str(entry.status), style=_status_style(entry.status))
    line.append(f" {entry.duration_ms}ms {printable(entry.client_ip) or '-'}", style="dim")
    if entry.error_detail:
        line.append(f"  {printable(entry.error_detail)}", style="red")
    if entry.note:
        line.append(f"  {printable(entry.note)}", style="yellow")
    out.print(line, soft_wrap=True)


def print_json_line(data: dict[str, Any]) -> None:
    click.echo(json.dumps(data, separators=(",", ":"), default=str))


def _pretty(body: str | None) -> RenderableType:
    if body is None or body == "":
        return Text("(empty)", style="dim")
    try:
        document = json.loads(body)
    except ValueError:
        return Text(printable(body))
    # Laid out here rather than by rich's JSON, which would print DEL, C1 controls and
    # bidirectional overrides inside strings raw.
    text = Text(json_escaped(json.dumps(document, indent=2, ensure_ascii=False)))
    JSONHighlighter().highlight(text)
    return text


COMMANDS = [logs_group]
