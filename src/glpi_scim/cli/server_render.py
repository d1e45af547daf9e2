"""How `server show`, `server list --json` and `server add/edit --json` print a server."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from rich.markup import escape
from rich.table import Table

from glpi_scim.cli.context import console
from glpi_scim.cli.render import iso, shown_time
from glpi_scim.cli.terminal import shown
from glpi_scim.cli.urls import server_urls
from glpi_scim.config import Settings
from glpi_scim.identity.durations import describe_duration
from glpi_scim.identity.models import PUBLIC_URL_OPTION, IdentityServer

# The service, the guard and the Digest helpers stand on SQLAlchemy: imported where printed,
# so that `server list` (which imports this module) starts without it.
if TYPE_CHECKING:
    from glpi_scim.glpi.guard import GuardState
    from glpi_scim.servers.service import ServerView


def server_json(view: ServerView, settings: Settings) -> dict[str, Any]:
    """Everything an administrator may see about a server: never its secrets or signing key."""
    from glpi_scim.security.methods.digest import offered

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
        "options": shown_options(server),
        "created": iso(server.date_creation),
        "modified": iso(server.date_mod),
        "urls": server_urls(server, settings),
    }


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
    from glpi_scim.security.methods.digest import offered

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
            shown(json.dumps(shown_options(server), sort_keys=True))
            if shown_options(server)
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


def shown_options(server: IdentityServer) -> dict[str, Any]:
    """The IdP behaviour switches; the public URL stored among them is shown on its own."""
    return {
        key: value for key, value in server.options.as_json().items() if key != PUBLIC_URL_OPTION
    }


def removed_rows_label(table_name: str) -> str:
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
