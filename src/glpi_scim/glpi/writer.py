"""What every writer of GLPI rows shares within one transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from glpi_scim.glpi import history
from glpi_scim.servers.models import IdentityServer


class Writer:
    """The transaction's connection, the identity server writing, its clock and its history."""

    def __init__(
        self,
        connection: Connection,
        server: IdentityServer,
        now: datetime,
        log: history.History,
        sqlite: bool,
    ) -> None:
        self.connection = connection
        self.server = server
        self.now = now
        self.log = log
        self.sqlite = sqlite
