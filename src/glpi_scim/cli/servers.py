"""`glpi-scim server ...`: declare, inspect, change and remove identity servers.

Thin over glpi_scim.servers.service. What other command groups share lives in modules of its
own: options.py (`--json`), errors.py (error mapping), services.py, urls.py, render.py and
server_render.py (how a server is printed).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click
from rich.markup import escape
from rich.table import Table

from glpi_scim.cli.choices import SecurityMethodChoice
from glpi_scim.cli.confirm import confirm_breaks, yes_option
from glpi_scim.cli.context import console, fail, get_context, print_json, warn
from glpi_scim.cli.errors import handles_admin_errors
from glpi_scim.cli.options import json_option, public_url_option
from glpi_scim.cli.render import shown_time, token_json
from glpi_scim.cli.server_audit import server_audit
from glpi_scim.cli.server_render import guard_json, print_server, removed_rows_label, server_json
from glpi_scim.cli.server_status import server_status
from glpi_scim.cli.services import server_service
from glpi_scim.cli.terminal import shown
from glpi_scim.cli.urls import server_urls, token_issuer, url_settings
from glpi_scim.config import Settings
from glpi_scim.identity.durations import describe_duration
from glpi_scim.identity.models import ADOPT_POLICIES, DELETE_POLICIES, IdentityServer

# SQLAlchemy (under the service, the guard, the security methods) is imported by the commands
# that use it: `server list` reads through the driver directly and starts without it.
if TYPE_CHECKING:
    from glpi_scim.servers.server_rows import GlpiRef
    from glpi_scim.servers.service import IssuedServerToken, ServerOutcome, ServerService

F = TypeVar("F", bound=Callable[..., Any])

# -- reading what the administrator typed ------------------------------------------------------


def _default_method() -> str:
    from glpi_scim.security.methods.registry import DEFAULT_METHOD

    return DEFAULT_METHOD


def read_secret_from_stdin(what: str) -> str:
    """`--password -`: the first line of standard input (nothing echoed, nothing in `ps`)."""
    line = sys.stdin.readline()
    value = line.rstrip("\r\n")
    if not value:
        fail(f"{what}: standard input gave an empty line")
    return value


def parse_option_assignment(text: str) -> tuple[str, Any]:
    """`KEY=VALUE`; VALUE is read as JSON when it is JSON (true, 3, "x", [..]) and as text else."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        fail(f"--option {text!r}: expected KEY=VALUE")
    try:
        value = json.loads(raw)
    except ValueError:
        value = raw
    return key.strip(), value


# -- the group --------------------------------------------------------------------------------


@click.group("server")
def server_group() -> None:
    """Identity servers: one per identity provider connection (URL, security, GLPI placement)."""


def _setting_options(func: F) -> F:
    """Options `add` and `edit` share."""
    options = [
        click.option(
            "--applied-user",
            metavar="LOGIN|ID",
            help="GLPI user shown in GLPI's history as the author of every change "
            "(login or id; must exist and not be in the trash).",
        ),
        click.option(
            "--security",
            type=SecurityMethodChoice(),
            help="How the IdP authenticates (add: bearer).",
        ),
        click.option(
            "--username", metavar="U", help="basic/digest: username (generated when left out)."
        ),
        click.option(
            "--password",
            metavar="P|-",
            help="basic/digest: password, at least 12 characters; '-' reads it from standard "
            "input; generated when left out. Stored only as a hash.",
        ),
        click.option(
            "--digest-algorithms",
            metavar="ALG[,ALG]",
            help="digest: algorithms allowed, comma-separated: SHA-256 (the default for a new "
            "Digest server), MD5 (only for clients that cannot do SHA-256; allowing it back "
            "needs --password).",
        ),
        click.option(
            "--allow-network",
            "allow_networks",
            multiple=True,
            metavar="CIDR",
            help="Accept requests only from this network (repeatable); others get 403.",
        ),
        click.option(
            "--entity",
            metavar="ID|NAME",
            help="GLPI entity of the users and groups this server creates (add: 0, the root).",
        ),
        click.option(
            "--profile",
            metavar="ID|NAME",
            help="GLPI profile given to new users (add: 0, GLPI's default profile).",
        ),
        click.option(
            "--delete-policy",
            type=click.Choice(DELETE_POLICIES, case_sensitive=False),
            help="What SCIM DELETE does to a GLPI user: trash (GLPI's trash; add's default), "
            "deactivate, or purge.",
        ),
        click.option(
            "--max-removals",
            metavar="N/PERIOD|0",
            help="Mass-change guard: past N deactivations and deletions within PERIOD (e.g. "
            "50/10m; m = minutes) further removals get 503 until `server resume`; 0 turns it "
            "off (add: 50/10m).",
        ),
        click.option(
            "--adopt",
            type=click.Choice(ADOPT_POLICIES, case_sensitive=False),
            help="Whether the server may take over existing GLPI users and groups it did not "
            "create: unprotected (add's default: those its applied user may change under "
            "GLPI's rules and that are not protected) or never.",
        ),
        click.option(
            "--protect",
            "protect",
            multiple=True,
            metavar="LOGIN",
            help="A GLPI login no identity server may write (repeatable).",
        ),
        click.option(
            "--option",
            "set_options",
            multiple=True,
            metavar="KEY=VALUE",
            help="IdP behaviour switch stored in the server's options (repeatable; VALUE is "
            "JSON when it parses as JSON, text otherwise).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@server_group.command("add")
@click.argument("name")
@_setting_options
@click.option("--default", "default", is_flag=True, help="Reach this server without its id.")
@click.option("--log-requests", is_flag=True, help="Keep every request in the request log.")
@click.option("--inactive", is_flag=True, help="Create it disabled (every request gets 403).")
@click.option("--recursive", is_flag=True, help="Give new users' profile recursively.")
@click.option(
    "--password-sync",
    is_flag=True,
    help="New users sign in with the password the IdP sends (GLPI authtype 1) instead of SSO.",
)
@public_url_option
@yes_option
@json_option
@handles_admin_errors
def server_add(
    name: str,
    applied_user: str | None,
    security: str | None,
    username: str | None,
    password: str | None,
    digest_algorithms: str | None,
    allow_networks: tuple[str, ...],
    entity: str | None,
    profile: str | None,
    delete_policy: str | None,
    max_removals: str | None,
    adopt: str | None,
    protect: tuple[str, ...],
    set_options: tuple[str, ...],
    default: bool,
    log_requests: bool,
    inactive: bool,
    recursive: bool,
    password_sync: bool,
    public_url: str | None,
    yes: bool,
    as_json: bool,
) -> None:
    """Declare an identity server and print what to paste into the IdP.

    Prints the SCIM base URL and, once, the credentials: a bearer token (bearer, the default),
    the username and password (basic, digest), or how to register an OAuth client (oauth2).
    """
    if applied_user is None:
        raise click.UsageError("Missing option '--applied-user' (a GLPI login or id).")
    settings = url_settings(public_url)
    from glpi_scim.servers.service import ServerInput

    given = ServerInput(
        name=name,
        applied_user=applied_user,
        active=not inactive,
        log_requests=log_requests,
        default=default or None,
        security=security or _default_method(),
        username=username,
        password=_password_value(password),
        digest_algorithms=_algorithm_list(digest_algorithms),
        add_networks=allow_networks,
        entity=entity,
        profile=profile,
        recursive=recursive,
        password_sync=password_sync,
        delete_policy=delete_policy,
        set_options=dict(parse_option_assignment(text) for text in set_options),
        max_removals=max_removals,
        public_url=public_url,
        adopt=adopt,
        protect=protect,
    )
    service = server_service()
    confirm_breaks(service.what_breaks(None, given), yes)
    outcome = service.add(given)
    issued = _first_token(service, outcome, settings)
    _report(service, outcome, issued, settings, as_json, verb="created")


@server_group.command("edit")
@click.argument("server_ref", metavar="NAME|ID")
@click.option("--name", help="New name.")
@_setting_options
@click.option(
    "--default/--no-default", "default", default=None, help="Make it, or stop it being, default."
)
@click.option(
    "--log-requests/--no-log-requests", "log_requests", default=None, help="Request log on/off."
)
@click.option("--active/--inactive", "active", default=None, help="Enable or disable it.")
@click.option(
    "--recursive/--no-recursive", "recursive", default=None, help="Recursive profile on/off."
)
@click.option(
    "--password-sync/--no-password-sync",
    "password_sync",
    default=None,
    help="New users sign in with the IdP's password (on) or through SSO (off).",
)
@click.option(
    "--disallow-network",
    "disallow_networks",
    multiple=True,
    metavar="CIDR",
    help="Remove a network from the allowed networks (repeatable).",
)
@click.option(
    "--clear-networks",
    is_flag=True,
    help="Empty the allowed networks first (alone: accept requests from anywhere).",
)
@click.option(
    "--unset-option", "unset_options", multiple=True, metavar="KEY", help="Remove an option."
)
@click.option(
    "--new-signing-key",
    is_flag=True,
    help="Replace the server's signing key: every bearer token issued so far stops working.",
)
@click.option(
    "--unprotect",
    "unprotect",
    multiple=True,
    metavar="LOGIN",
    help="Remove a login from this server's --protect list (repeatable).",
)
@public_url_option
@yes_option
@json_option
@handles_admin_errors
def server_edit(
    server_ref: str,
    name: str | None,
    applied_user: str | None,
    security: str | None,
    username: str | None,
    password: str | None,
    digest_algorithms: str | None,
    allow_networks: tuple[str, ...],
    entity: str | None,
    profile: str | None,
    delete_policy: str | None,
    max_removals: str | None,
    adopt: str | None,
    protect: tuple[str, ...],
    set_options: tuple[str, ...],
    default: bool | None,
    log_requests: bool | None,
    active: bool | None,
    recursive: bool | None,
    password_sync: bool | None,
    disallow_networks: tuple[str, ...],
    clear_networks: bool,
    unset_options: tuple[str, ...],
    new_signing_key: bool,
    unprotect: tuple[str, ...],
    public_url: str | None,
    yes: bool,
    as_json: bool,
) -> None:
    """Change settings of an identity server; what is not given stays as it is.

    Changing the security method, the username or the password prints the new credentials
    once. Switching to bearer issues a first token; leaving bearer revokes its tokens.
    """
    from glpi_scim.servers.service import ServerInput

    given = ServerInput(
        name=name,
        applied_user=applied_user,
        active=active,
        log_requests=log_requests,
        default=default,
        security=security,
        username=username,
        password=_password_value(password),
        digest_algorithms=_algorithm_list(digest_algorithms),
        clear_networks=clear_networks,
        add_networks=allow_networks,
        remove_networks=disallow_networks,
        entity=entity,
        profile=profile,
        recursive=recursive,
        password_sync=password_sync,
        delete_policy=delete_policy,
        set_options=dict(parse_option_assignment(text) for text in set_options),
        unset_options=unset_options,
        new_signing_key=new_signing_key,
        max_removals=max_removals,
        public_url=public_url,
        adopt=adopt,
        protect=protect,
        unprotect=unprotect,
    )
    if given == ServerInput():
        raise click.UsageError("Nothing to change: give at least one setting (see --help).")
    settings = url_settings(public_url)
    service = server_service()
    current = service.get(server_ref)
    confirm_breaks(service.what_breaks(current, given), yes)
    outcome = service.edit(current, given)
    issued = _first_token(service, outcome, settings)
    _report(service, outcome, issued, settings, as_json, verb="updated")


def _algorithm_list(text: str | None) -> list[str] | None:
    return None if text is None else [part for part in text.split(",") if part.strip()]


@server_group.command("list")
@json_option
@handles_admin_errors
def server_list(as_json: bool) -> None:
    """List the identity servers."""
    listed = None if as_json else _listed_directly()
    if listed is None:
        service = server_service()
        servers = service.list_all()
        if as_json:
            settings = get_context().settings()
            print_json([server_json(service.view(server), settings) for server in servers])
            return
        listed = [
            (server, service.glpi.describe_user(server.users_id_applied)) for server in servers
        ]
    out = console()
    if not listed:
        out.print(
            "No identity server yet: add one with `glpi-scim server add NAME --applied-user LOGIN`."
        )
        return
    table = Table(title="Identity servers")
    for column in ("ID", "Name", "State", "Default", "Security", "Log", "Applied user", "Networks"):
        table.add_column(column, justify="right" if column == "ID" else "left")
    for server, applied_user in listed:
        table.add_row(
            str(server.id),
            shown(server.name),
            "active" if server.is_active else "[red]inactive[/]",
            "yes" if server.is_default else "",
            "[red]none[/]" if server.auth_method == "none" else server.auth_method,
            "yes" if server.log_requests else "",
            shown(str(applied_user)),
            shown(", ".join(server.allowed_networks) or "anywhere"),
        )
    out.print(table)


def _listed_directly() -> list[tuple[IdentityServer, GlpiRef]] | None:
    """The servers read without SQLAlchemy (servers/listing.py); None when only its path can
    open the database, or cannot: that path then says why, as for every other command."""
    from glpi_scim.db.errors import DatabaseError
    from glpi_scim.servers.listing import list_servers_directly

    try:
        return list_servers_directly(get_context().settings())
    except DatabaseError:
        return None


@server_group.command("show")
@click.argument("server_ref", metavar="NAME|ID")
@public_url_option
@json_option
@handles_admin_errors
def server_show(server_ref: str, public_url: str | None, as_json: bool) -> None:
    """Show every setting of one identity server (never its secrets)."""
    settings = url_settings(public_url)
    service = server_service()
    view = service.view(service.get(server_ref))
    state = service.guard.state(view.server)
    if as_json:
        print_json({**server_json(view, settings), "guard": guard_json(state)})
        return
    print_server(view, settings, state)


@server_group.command("remove")
@click.argument("server_ref", metavar="NAME|ID")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@json_option
@handles_admin_errors
def server_remove(server_ref: str, yes: bool, as_json: bool) -> None:
    """Remove an identity server with its tokens, OAuth clients, request log and SCIM data.

    GLPI's users and groups it created stay in GLPI.
    """
    service = server_service()
    server = service.get(server_ref)
    if not yes:
        click.confirm(
            f"Remove identity server {server.name!r} (id {server.id})? The IdP will get 404; "
            "its tokens, OAuth clients, request log and externalIds are deleted "
            "(GLPI users and groups stay)",
            abort=True,
            err=True,
        )
    removed_server, counts = service.remove(server.id)
    if as_json:
        print_json(
            {
                "removed": {"id": removed_server.id, "name": removed_server.name},
                "rows_removed": counts,
            }
        )
        return
    from glpi_scim.servers.repository import OWNED_TABLES

    labels = {table.name: removed_rows_label(table.name) for table in OWNED_TABLES}
    details = ", ".join(f"{count} {labels[name]}" for name, count in counts.items() if count)
    console().print(
        f"Removed identity server {escape(repr(removed_server.name))} (id {removed_server.id})"
        + (f": {details}." if details else ".")
        + " GLPI users and groups are kept."
    )


@server_group.command("enable")
@click.argument("server_ref", metavar="NAME|ID")
@json_option
@handles_admin_errors
def server_enable(server_ref: str, as_json: bool) -> None:
    """Let an identity server answer requests again."""
    _set_active(server_ref, True, as_json)


@server_group.command("disable")
@click.argument("server_ref", metavar="NAME|ID")
@json_option
@handles_admin_errors
def server_disable(server_ref: str, as_json: bool) -> None:
    """Make an identity server answer 403 to every request (settings and data are kept)."""
    _set_active(server_ref, False, as_json)


@server_group.command("resume")
@click.argument("server_ref", metavar="NAME|ID")
@json_option
@handles_admin_errors
def server_resume(server_ref: str, as_json: bool) -> None:
    """Lift a tripped mass-change guard: the server accepts deactivations and deletions again.

    Check the identity provider's scope first: the removals it refused are not replayed, the
    provider sends them again on its next cycle.
    """
    service = server_service()
    server = service.get(server_ref)
    lifted = service.resume_guard(server)
    if as_json:
        print_json({"server": server.id, "lifted": lifted.tripped, "guard": guard_json(lifted)})
        return
    name = escape(repr(server.name))
    if not lifted.tripped:
        console().print(f"The mass-change guard of {name} (id {server.id}) was not tripped.")
        return
    last = ""
    if lifted.last_refused_what:
        last = f", last: {escape(lifted.last_refused_what)}"
    console().print(
        f"Mass-change guard of {name} (id {server.id}) lifted: it had tripped at "
        f"{shown_time(lifted.since)} after {lifted.count} removals within "
        f"{describe_duration(lifted.window)} and refused {lifted.refused} since{last}. "
        f"Removals are accepted again (at most {lifted.limit})."
    )


# -- output -----------------------------------------------------------------------------------


def _set_active(server_ref: str, active: bool, as_json: bool) -> None:
    service = server_service()
    outcome = service.set_active(server_ref, active)
    if as_json:
        print_json(server_json(service.view(outcome.server), get_context().settings()))
        return
    state = "active" if active else "[red]inactive[/] (every request gets 403)"
    console().print(
        f"Identity server {escape(repr(outcome.server.name))} (id {outcome.server.id}) is now "
        f"{state}."
    )


STDIN_MARKER = "-"


def _password_value(password: str | None) -> str | None:
    if password == STDIN_MARKER:
        return read_secret_from_stdin("--password -")
    return password


def _first_token(
    service: ServerService, outcome: ServerOutcome, settings: Settings
) -> IssuedServerToken | None:
    if not outcome.needs_first_token:
        return None
    return service.issue_token(
        outcome.server,
        issuer=token_issuer(outcome.server, settings),
        comment="first token, issued with the server",
    )


def _report(
    service: ServerService,
    outcome: ServerOutcome,
    issued: IssuedServerToken | None,
    settings: Settings,
    as_json: bool,
    *,
    verb: str,
) -> None:
    server = outcome.server
    for message in outcome.warnings:
        warn(escape(message))
    if as_json:
        credentials: dict[str, Any] | None = None
        if issued is not None:
            credentials = {"type": "bearer", **token_json(issued)}
        elif outcome.credentials is not None:
            credentials = {
                "type": server.auth_method,
                "username": outcome.credentials.username,
                "password": outcome.credentials.password,
                "password_generated": outcome.credentials.generated,
            }
        print_json(
            {
                "server": server_json(service.view(server), settings),
                "credentials": credentials,
                "notes": outcome.notes,
                "warnings": outcome.warnings,
            }
        )
        return
    out = console()
    urls = server_urls(server, settings)
    out.print(f"Identity server {escape(repr(server.name))} {verb} (id {server.id}).")
    out.print(f"  SCIM base URL for the IdP: [bold]{escape(str(urls['scim']))}[/]")
    if urls["default"]:
        out.print(f"  Default-server URL:        {escape(urls['default'])}")
    if issued is not None:
        out.print("Bearer token (shown once; paste it into the IdP's secret token field):")
        out.print(issued.token, markup=False, highlight=False)
        out.print(f"  token id {issued.record.id}, expires {shown_time(issued.record.expires_at)}")
    elif outcome.credentials is not None:
        kind = "generated " if outcome.credentials.generated else ""
        from glpi_scim.security.methods.registry import find_method

        label = method.label if (method := find_method(server.auth_method)) else server.auth_method
        out.print(f"{label} credentials ({kind}password shown once):")
        out.print(f"  username: {escape(outcome.credentials.username)}")
        out.print(f"  password: {escape(outcome.credentials.password)}")
    for note in outcome.notes:
        out.print(f"[yellow]Note:[/] {escape(note)}")


# Its own module (one concern): `server status`.
server_group.add_command(server_status)
server_group.add_command(server_audit)

COMMANDS = [server_group]
