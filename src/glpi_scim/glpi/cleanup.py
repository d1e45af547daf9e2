"""Purging the probe user and group `glpi-scim doctor` creates, straight in the database.

A SCIM DELETE follows the server's delete policy (trash, deactivate) and counts against its
mass-change guard; the doctor's own probe must leave neither a trashed account nor a dent in
the identity provider's budget. This purges them as GLPI's purge does — authorizations,
e-mails, memberships, tool rows — but keeps the history rows, so GLPI still shows that the
doctor ran. Only a user or group holding the probe's name is touched.

On SQLite a row's id is reused when the row held the highest one, so the next user created
would inherit the probe user's own history: there those rows go too, as in any purge, and
the rows naming the probe on the profile, the entity and the group remain.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import Connection, delete, select

from glpi_scim.db import tables
from glpi_scim.db.database import Database
from glpi_scim.db.transaction import Transactions
from glpi_scim.glpi import history, ids
from glpi_scim.glpi import text as glpi_text
from glpi_scim.glpi.groups import GroupWriter
from glpi_scim.glpi.users import UserWriter
from glpi_scim.identity.models import IdentityServer
from glpi_scim.scim.store import GROUP, USER


@dataclass
class Purged:
    users: list[int] = field(default_factory=list)
    groups: list[int] = field(default_factory=list)


def purge_probe(
    database: Database,
    server: IdentityServer,
    name: str,
    *,
    user_id: str | None,
    group_id: str | None,
    now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
) -> Purged:
    """Purge the user `user_id` and the group `group_id` (SCIM ids) named `name`, if they
    are still there, whatever the server's delete policy did to them."""
    user = ids.parse(USER, user_id) if user_id else None
    group = ids.parse(GROUP, group_id) if group_id else None
    encoded = glpi_text.encode(name)

    def work(connection: Connection) -> Purged:
        moment = now().astimezone(timezone.utc).replace(tzinfo=None, microsecond=0)
        log = history.History(history.actor_name(connection, server.users_id_applied), moment)
        sqlite = database.is_sqlite
        purged = Purged()
        if group is not None:
            groups = GroupWriter(connection, server, moment, log, sqlite)
            row = connection.execute(
                select(tables.groups).where(tables.groups.c.id == group).with_for_update()
            ).first()
            if row is not None and row.name == encoded:
                groups.purge(row, keep_history=True)
                purged.groups.append(group)
        if user is not None:
            users = UserWriter(connection, server, moment, log, sqlite)
            row = connection.execute(
                select(tables.users).where(tables.users.c.id == user).with_for_update()
            ).first()
            if row is not None and row.name == encoded:
                users.purge(row, keep_history=not sqlite)
                purged.users.append(user)
        # The probe's own removals do not count against the identity provider's limit.
        removals = tables.removals
        for itemtype, item in ((USER, user), (GROUP, group)):
            if item is not None:
                connection.execute(
                    delete(removals).where(
                        removals.c.servers_id == server.id,
                        removals.c.itemtype == itemtype,
                        removals.c.items_id == item,
                    )
                )
        log.flush(connection)
        return purged

    return Transactions(database).run(work)
