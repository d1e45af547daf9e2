"""The doctor's final clean-up through the database: its probe user and group are purged."""

from __future__ import annotations

from glpi_scim.db.database import Database
from glpi_scim.doctor.checks import Purge
from glpi_scim.glpi.cleanup import purge_probe
from glpi_scim.identity.models import IdentityServer


def database_purge(database: Database, server: IdentityServer) -> Purge:
    """A `purge` for Doctor that purges the probe in `database`, and says what it did."""

    def purge(name: str, user_id: str | None, group_id: str | None) -> str:
        done = purge_probe(database, server, name, user_id=user_id, group_id=group_id)
        what = [f"user {name} (id {i})" for i in done.users]
        what += [f"group {name} (id g{i})" for i in done.groups]
        if not what:
            return f"clean-up: nothing of {name} was left to purge"
        return f"clean-up: {' and '.join(what)} purged from GLPI; only history rows remain"

    return purge
