"""What every writer of GLPI rows shares within one transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete

from glpi_scim.db import tables
from glpi_scim.glpi import history
from glpi_scim.identity.models import IdentityServer


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

    def drop_history(self, itemtype: str, items_id: int) -> None:
        """A purged item's own history rows go with it (GLPI's purge), the pending ones too."""
        logs = tables.logs
        self.connection.execute(
            delete(logs).where(logs.c.itemtype == itemtype, logs.c.items_id == items_id)
        )
        self.log.rows = [
            row
            for row in self.log.rows
            if not (row["itemtype"] == itemtype and row["items_id"] == items_id)
        ]
