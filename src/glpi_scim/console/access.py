"""Who may use the console: a GLPI account signed in with its GLPI password (the same check as
the OAuth consent page) holding GLPI's `config` right: READ to look, UPDATE to change."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from glpi_scim.db import tables
from glpi_scim.db.database import Database
from glpi_scim.glpi.policy import READ, UPDATE, config_right


@dataclass(frozen=True)
class Access:
    may_read: bool
    may_change: bool


def console_access(database: Database, users_id: int) -> Access:
    """Read on every request: a right taken away in GLPI takes effect on the next page."""
    users = tables.users
    usable = select(users.c.id).where(
        users.c.id == users_id, users.c.is_active == 1, users.c.is_deleted == 0
    )
    with database.read() as connection:
        if connection.execute(usable).first() is None:
            return Access(may_read=False, may_change=False)
        bits = config_right(connection, users_id)
    return Access(may_read=bool(bits & (READ | UPDATE)), may_change=bool(bits & UPDATE))
