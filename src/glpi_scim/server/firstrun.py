"""First start on the embedded database: one default identity server with bearer security.

So that `glpi-scim serve` alone gives a working endpoint (URL + token printed once). Only for
the embedded SQLite file with no identity server at all; against GLPI's MySQL/MariaDB the
administrator creates servers explicitly with `glpi-scim server add`.
"""

from __future__ import annotations

from dataclasses import dataclass

from glpi_scim.identity.models import IdentityServer
from glpi_scim.server.context import AppContext
from glpi_scim.server.urls import scim_base_url
from glpi_scim.servers.service import ServerInput, ServerService

FIRST_SERVER_NAME = "default"
# GLPI's Super-Admin: GLPI's rules let it create and change every user but itself (protected,
# docs/security.md). GLPI's system user holds no profile, so GLPI would refuse its writes.
FIRST_APPLIED_USER = "glpi"


@dataclass(frozen=True)
class FirstRunServer:
    server: IdentityServer
    token: str


def create_first_server(context: AppContext, base_url: str) -> FirstRunServer:
    """Create the server; `base_url` is where the service listens (the token's issuer)."""
    service = ServerService(context.database)
    outcome = service.add(
        ServerInput(
            name=FIRST_SERVER_NAME,
            applied_user=FIRST_APPLIED_USER,
            default=True,
            security="bearer",
        )
    )
    issued = service.issue_token(
        outcome.server,
        issuer=scim_base_url(base_url, context.settings.url_prefix, outcome.server.id),
        comment="created by the first `glpi-scim serve`",
    )
    return FirstRunServer(outcome.server, issued.token)
