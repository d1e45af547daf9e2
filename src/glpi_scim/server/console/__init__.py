"""The web console's falcon resources, kept thin: they read the request, call the console
package (sessions, forms, views) and the services the CLI calls, and render a template."""

from __future__ import annotations

from typing import TYPE_CHECKING

import falcon

from glpi_scim.server.console.base import Console
from glpi_scim.server.console.history import DoctorPage, HistoryEntryPage, HistoryPage, OwnedPage
from glpi_scim.server.console.servers import (
    ClientsAction,
    GuardAction,
    RemoveServerAction,
    ServerFormPage,
    ServerListPage,
    ServerPage,
    TokensAction,
)
from glpi_scim.server.console.signin import HomePage, SignInPage, SignOutAction, StaticFile

if TYPE_CHECKING:
    from glpi_scim.server.context import AppContext


def add_console_routes(app: falcon.App, context: AppContext) -> None:  # type: ignore[type-arg]
    console = Console(context)
    root = console.path
    app.add_route(root, HomePage(console))
    app.add_route(f"{root}/signin", SignInPage(console))
    app.add_route(f"{root}/signout", SignOutAction(console))
    app.add_route(f"{root}/static/{{name}}", StaticFile(console))
    app.add_route(f"{root}/servers", ServerListPage(console))
    app.add_route(f"{root}/servers/new", ServerFormPage(console))
    app.add_route(f"{root}/servers/{{server_id:int}}", ServerPage(console))
    app.add_route(f"{root}/servers/{{server_id:int}}/edit", ServerFormPage(console))
    app.add_route(f"{root}/servers/{{server_id:int}}/remove", RemoveServerAction(console))
    app.add_route(f"{root}/servers/{{server_id:int}}/tokens", TokensAction(console))
    app.add_route(f"{root}/servers/{{server_id:int}}/clients", ClientsAction(console))
    app.add_route(f"{root}/servers/{{server_id:int}}/guard", GuardAction(console))
    app.add_route(f"{root}/servers/{{server_id:int}}/history", HistoryPage(console))
    app.add_route(
        f"{root}/servers/{{server_id:int}}/history/{{entry_id:int}}", HistoryEntryPage(console)
    )
    app.add_route(f"{root}/servers/{{server_id:int}}/owned", OwnedPage(console))
    app.add_route(f"{root}/servers/{{server_id:int}}/doctor", DoctorPage(console))
