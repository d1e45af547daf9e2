"""`glpi-scim server ...`: declare, inspect, change and remove identity servers.

Thin over glpi_scim.servers.service; the helpers at the bottom (error mapping, JSON views,
URLs) are shared with the `token` and `logs` commands.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

import click
from rich.markup import escape
from rich.table import Table

from glpi_scim.cli.confirm import confirm_breaks, yes_option
from glpi_scim.cli.context import (
    EXIT_UNUSABLE,
    CliError,
    console,
    fail,
    get_context,
    print_json,
    warn,
)
from glpi_scim.cli.terminal import shown
from glpi_scim.config import Settings
from glpi_scim.server.urls import scim_base_url
from glpi_scim.servers.durations import describe_duration
from glpi_scim.servers.errors import ServerError
from glpi_scim.servers.models import (
    ADOPT_POLICIES,
    AUTH_METHODS,
    DELETE_POLICIES,
    PUBLIC_URL_OPTION,
    IdentityServer,
)

# SQLAlchemy (under the service, the guard and the Digest nonces) is imported by the commands
# that use it: `server list` reads through the driver directly and starts without it.
if TYPE_CHECKING:
    from glpi_scim.servers.guard import GuardState
    from glpi_scim.servers.server_rows import GlpiRef
    from glpi_scim.servers.service import (
        IssuedServerToken,
        ServerOutcome,
        ServerService,
        ServerView,
    )

F = TypeVar("F", bound=Callable[..., Any])

# -- shared helpers ---------------------------------------------------------------------------


@contextmanager
def admin_errors() -> Iterator[None]:
    """Known failures as one readable line: exit 1 for bad input, 3 for an unusable database."""
    try:
        yield
    except ServerError as exc:
        raise CliError(str(exc)) from None
    except Exception as exc:
        reason = _database_failure(exc)
        if reason is None or get_context().debug:
            raise
        hint = ""
        if "no such table" in reason or "doesn't exist" in reason:
            hint = "; create the tool's tables with `glpi-scim db init`"
        database = get_context().database().url_display
        raise CliError(f"database error on {database}: {reason}{hint}", EXIT_UNUSABLE) from None


def _database_failure(exc: Exception) -> str | None:
    """What the driver said, for a failure of the database (through SQLAlchemy or the direct
    read path); None for any other exception."""
    from glpi_scim.glpi.dbapi import DirectReadError

    if isinstance(exc, DirectReadError):
        return str(exc.driver_error)
    if "sqlalchemy" not in sys.modules:  # then no SQLAlchemy error can have been raised
        return None
    from sqlalchemy.exc import DBAPIError, SQLAlchemyError

    if not isinstance(exc, SQLAlchemyError):
        return None
    return str(exc.orig) if isinstance(exc, DBAPIError) and exc.orig else type(exc).__name__


def handles_admin_errors(func: F) -> F:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with admin_errors():
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def json_option(func: F) -> F:
    return click.option(
        "--json", "as_json", is_flag=True, help="Print the result as JSON (for scripts)."
    )(func)


def public_url_option(func: F) -> F:
    return click.option(
        "--public-url",
        default=None,
        metavar="URL",
        help="External base URL the IdP reaches (https://glpi.example.com) for the printed "
        "URLs; add and edit store it with the server. Default: the server's, else the "
        "public_url setting, else http://host:port.",
    )(func)


def server_service() -> ServerService:
    from glpi_scim.servers.service import ServerService

    return ServerService(get_context().database())


def url_settings(public_url: str | None) -> Settings:
    if public_url is not None:
        from glpi_scim.servers.service import validate_public_url

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


def server_urls(server: IdentityServer, settings: Settings) -> dict[str, str | None]:
    """The SCIM base URL to paste into the IdP; the id-less URL when the server is default."""
    base = public_base_url(server, settings)
    return {
        "scim": scim_base_url(base, settings.url_prefix, server.id),
        "default": scim_base_url(base, settings.url_prefix, None) if server.is_default else None,
    }


def token_issuer(server: IdentityServer, settings: Settings) -> str:
    return scim_base_url(public_base_url(server, settings), settings.url_prefix, server.id)


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def shown_time(moment: datetime | None) -> str:
    return "-" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def shown_date(moment: datetime | None) -> str:
    return "-" if moment is None else moment.strftime("%Y-%m-%d")


def server_json(view: ServerView, settings: Settings) -> dict[str, Any]:
    """Everything an administrator may see about a server: never its secrets or signing key."""
    from glpi_scim.security.digest import offered

    server = view.server
    return {
        "id": server.id,
        "name": server.name,
        "active": server.is_active,
        "default": server.is_default,
        "log_requests": server.log_requests,
        "security": server.auth_method,
        "username": server.auth_username,
        "digest_algorithms": list(offered(server)) if server.auth_method == "digest" else None,
        "allowed_networks": list(server.allowed_networks),
        "applied_user": view.applied_user.as_json(),
        "entity": view.entity.as_json(),
        "profile": view.profile.as_json(),
        "recursive": server.is_recursive,
        "password_sync": server.password_sync,
        "delete_policy": server.delete_policy,
        "public_url": server.public_url,
        "options": _shown_options(server),
        "created": iso(server.date_creation),
        "modified": iso(server.date_mod),
        "urls": server_urls(server, settings),
    }


def token_json(issued: IssuedServerToken) -> dict[str, Any]:
    return {**issued.record.as_json(), "token": issued.token}


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
            type=click.Choice(AUTH_METHODS, case_sensitive=False),
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
        security=security or "bearer",
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
    from glpi_scim.glpi.database_errors import DatabaseError
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

    labels = {table.name: _label(table.name) for table in OWNED_TABLES}
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
    lifted = service.guard.resume(server)
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
        out.print(f"{server.auth_method.capitalize()} credentials ({kind}password shown once):")
        out.print(f"  username: {escape(outcome.credentials.username)}")
        out.print(f"  password: {escape(outcome.credentials.password)}")
    for note in outcome.notes:
        out.print(f"[yellow]Note:[/] {escape(note)}")


def guard_json(state: GuardState) -> dict[str, Any]:
    return {
        "max_removals": state.threshold,
        "window_seconds": int(state.window.total_seconds()),
        "tripped": state.tripped,
        "since": iso(state.since),
        "removals": state.count,
        "refused": state.refused,
        "last_refused": iso(state.last_refused),
        "last_refused_what": state.last_refused_what,
        "resumed": iso(state.resumed),
    }


def guard_lines(state: GuardState, server: IdentityServer) -> list[tuple[str, str]]:
    """`server show` rows: the limit, then what the guard is doing."""
    if not state.limit.enabled:
        return [("guard", "[red]off[/] (no limit on deactivations and deletions)")]
    window = describe_duration(state.window)
    lines = [("guard", f"at most {state.limit} deactivations and deletions")]
    if state.tripped:
        refused = f"{state.refused} refused"
        if state.last_refused is not None:
            last = escape(state.last_refused_what or "")
            refused += f", last {shown_time(state.last_refused)}: {last}"
        lines += [
            (
                "guard state",
                f"[red]TRIPPED[/] since {shown_time(state.since)}: {state.count} removals "
                f"within {window}; removals get 503",
            ),
            ("guard refused", refused),
            ("guard lift", f"glpi-scim server resume {escape(server.name)}"),
        ]
    else:
        lines.append(("guard state", f"armed: {state.count} removals in the last {window}"))
    return lines


def print_server(view: ServerView, settings: Settings, guard: GuardState | None = None) -> None:
    from glpi_scim.security.digest import offered

    server = view.server
    urls = server_urls(server, settings)
    table = Table(show_header=False, title=f"Identity server {shown(server.name)}")
    table.add_column("setting", style="bold")
    table.add_column("value")
    rows: list[tuple[str, str]] = [
        ("id", str(server.id)),
        ("name", shown(server.name)),
        ("state", "active" if server.is_active else "[red]inactive[/]"),
        ("default server", "yes" if server.is_default else "no"),
        ("SCIM base URL", shown(str(urls["scim"]))),
        ("public URL", shown(server.public_url or "- (the public_url setting)")),
        ("security", "[red]none[/]" if server.auth_method == "none" else server.auth_method),
    ]
    if server.auth_username:
        rows.append(("username", shown(server.auth_username)))
    if server.auth_method == "digest":
        rows.append(("digest algorithms", ", ".join(offered(server))))
    rows += [
        ("allowed networks", shown(", ".join(server.allowed_networks) or "anywhere")),
        ("log requests", "yes" if server.log_requests else "no"),
        ("applied user", shown(str(view.applied_user))),
        ("entity", shown(str(view.entity))),
        ("profile", shown(str(view.profile))),
        ("recursive", "yes" if server.is_recursive else "no"),
        ("password sync", "yes" if server.password_sync else "no (SSO users, authtype 4)"),
        ("delete policy", server.delete_policy),
        (
            "options",
            shown(json.dumps(_shown_options(server), sort_keys=True))
            if _shown_options(server)
            else "-",
        ),
        *(guard_lines(guard, server) if guard is not None else []),
        ("created", shown_time(server.date_creation)),
        ("modified", shown_time(server.date_mod)),
    ]
    if urls["default"]:
        rows.insert(5, ("default-server URL", shown(urls["default"])))
    for setting, value in rows:
        table.add_row(setting, value)
    console().print(table)


def _shown_options(server: IdentityServer) -> dict[str, Any]:
    """The IdP behaviour switches; the public URL stored among them is shown on its own."""
    return {key: value for key, value in server.options.items() if key != PUBLIC_URL_OPTION}


def _label(table_name: str) -> str:
    return {
        "glpi_plugin_glpiscim_tokens": "tokens",
        "glpi_plugin_glpiscim_oauthclients": "OAuth clients",
        "glpi_plugin_glpiscim_oauthcodes": "OAuth codes",
        "glpi_plugin_glpiscim_oauthtokens": "OAuth tokens",
        "glpi_plugin_glpiscim_requestlogs": "request log entries",
        "glpi_plugin_glpiscim_digestnonces": "Digest nonces",
        "glpi_plugin_glpiscim_authfailures": "authentication-failure counters",
        "glpi_plugin_glpiscim_resources": "SCIM resource records",
        "glpi_plugin_glpiscim_guards": "mass-change guard",
        "glpi_plugin_glpiscim_removals": "mass-change guard window entries",
        "glpi_plugin_glpiscim_owners": "ownership records (those users and groups become unowned)",
        "glpi_plugin_glpiscim_serverstats": "request-count periods",
    }.get(table_name, table_name)


def _add_status_command() -> None:
    # Its own module (one concern); it imports the helpers above.
    from glpi_scim.cli.server_status import server_status

    server_group.add_command(server_status)


_add_status_command()

COMMANDS = [server_group]
