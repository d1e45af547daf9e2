"""The services a command runs, over the database of the command line's settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from glpi_scim.cli.context import get_context

if TYPE_CHECKING:
    from glpi_scim.servers.service import ServerService


def server_service() -> ServerService:
    from glpi_scim.servers.service import ServerService

    return ServerService(get_context().database())
