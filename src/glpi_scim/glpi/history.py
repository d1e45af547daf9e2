"""Rows of glpi_logs (an item's "Historical" tab) written the way GLPI 10's Log class writes them.

Every change the tool makes is recorded under the identity server's applied user, formatted as
GLPI's User::getNameForLog does. Rows are collected during a transaction and inserted at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from glpi_scim.db import tables
from glpi_scim.db.ttlcache import TtlCache

# Log::HISTORY_* (linked_action)
FIELD_UPDATE = 0
TRASH = 13
RESTORE = 14
ADD_RELATION = 15
DELETE_RELATION = 16
ADD_SUBITEM = 17
UPDATE_SUBITEM = 18
DELETE_SUBITEM = 19
SIMPLE_MESSAGE = 12  # a free message in the history tab
CREATE = 20

# Search option ids of the fields GLPI logs (User::rawSearchOptions, CommonTreeDropdown's).
USER_LOGIN = 1
USER_FIRSTNAME = 9
USER_REALNAME = 34
USER_PHONE = 6
USER_PHONE2 = 10
USER_MOBILE = 11
USER_ACTIVE = 8
USER_LANGUAGE = 17
USER_REGISTRATION_NUMBER = 22
USER_TITLE = 81
USER_CATEGORY = 82
USER_SUPERVISOR = 99
GROUP_COMPLETENAME = 1
GROUP_NAME = 14

# Log::history cuts both values to 180 characters.
MAX_VALUE = 180
# What GLPI's Dropdown::getDropdownName shows for "no item" (id 0) or a missing one.
EMPTY_DROPDOWN = "&nbsp;"
# Create, trash and restore pass the integer 0 as itemtype_link, which GLPI stores as '0'.
NO_LINK = "0"

USER = "User"
GROUP = "Group"
USER_EMAIL = "UserEmail"
PROFILE = "Profile"
ENTITY = "Entity"


def user_display_name(login: str | None, realname: str | None, firstname: str | None) -> str:
    """GLPI's formatUserName (real name before first name, GLPI's default), without the id."""
    if realname:
        return f"{realname} {firstname}" if firstname else realname
    return login or ""


def with_id(name: str, items_id: int) -> str:
    """GLPI's getNameID(['forceid' => true]): `name (id)`."""
    return f"{name} ({items_id})"


def user_log_name(
    items_id: int, login: str | None, realname: str | None, firstname: str | None
) -> str:
    """User::getNameForLog: `Realname Firstname (id)`, else `login (id)`."""
    return with_id(user_display_name(login, realname, firstname), items_id)


def dropdown_value(name: str | None, items_id: int) -> str:
    """How Log::constructHistory shows a dropdown field: `name (id)`, `&nbsp; (0)` for none."""
    return with_id(name or EMPTY_DROPDOWN, items_id)


def actor_name(connection: Connection, users_id: int) -> str:
    """The user_name GLPI writes for changes made by `users_id` (the server's applied user)."""
    if users_id <= 0:
        return ""
    users = tables.users
    row = connection.execute(
        select(users.c.name, users.c.realname, users.c.firstname).where(users.c.id == users_id)
    ).first()
    if row is None:
        return "Unknown user"
    return user_log_name(users_id, row.name, row.realname, row.firstname)


class ActorNames:
    """The applied users' history names, each read at most every `seconds` (the
    `auth_cache_seconds` of the identity servers themselves; 0 reads it for every write).

    Every write logs its applied user's name; reading it is one statement a write. An applied
    user is protected from SCIM writes (policy.py), so only a change in GLPI itself renames
    it, and that shows in history rows within `seconds`."""

    def __init__(self, seconds: float) -> None:
        self._cache: TtlCache[int, str] = TtlCache(seconds)

    def name(self, connection: Connection, users_id: int) -> str:
        hit, cached = self._cache.get(users_id)
        if hit and cached is not None:
            return cached
        started = self._cache.clock()
        found = actor_name(connection, users_id)
        self._cache.put(users_id, found, read_at=started)
        return found


def _cut(value: str) -> str:
    return value[:MAX_VALUE]


@dataclass
class History:
    """glpi_logs rows of one transaction, inserted by `flush`."""

    actor: str
    now: datetime
    rows: list[dict[str, Any]] = field(default_factory=list)

    def add(
        self,
        itemtype: str,
        items_id: int,
        linked_action: int,
        *,
        itemtype_link: str = "",
        option: int = 0,
        old: str = "",
        new: str = "",
    ) -> None:
        self.rows.append(
            {
                "itemtype": itemtype,
                "items_id": items_id,
                "itemtype_link": itemtype_link,
                "linked_action": linked_action,
                "user_name": self.actor,
                "date_mod": self.now,
                "id_search_option": option,
                "old_value": _cut(old),
                "new_value": _cut(new),
            }
        )

    def created(self, itemtype: str, items_id: int) -> None:
        self.add(itemtype, items_id, CREATE, itemtype_link=NO_LINK)

    def trashed(self, itemtype: str, items_id: int) -> None:
        self.add(itemtype, items_id, TRASH, itemtype_link=NO_LINK)

    def restored(self, itemtype: str, items_id: int) -> None:
        self.add(itemtype, items_id, RESTORE, itemtype_link=NO_LINK)

    def field(self, itemtype: str, items_id: int, option: int, old: str, new: str) -> None:
        self.add(itemtype, items_id, FIELD_UPDATE, option=option, old=old, new=new)

    def flush(self, connection: Connection, *, ids_of: tuple[str, int] | None = None) -> list[int]:
        """Insert the rows kept; with `ids_of` (itemtype, items_id) and a database that
        returns what it inserts (INSERT ... RETURNING: MariaDB 10.5, SQLite 3.35), the ids of
        that item's new rows."""
        rows, self.rows = self.rows, []
        if not rows:
            return []
        logs = tables.logs
        if ids_of is None or not connection.dialect.insert_returning:
            connection.execute(logs.insert(), rows)
            return []
        returning = logs.insert().returning(logs.c.id, logs.c.itemtype, logs.c.items_id)
        itemtype, items_id = ids_of
        return [
            int(row.id)
            for row in connection.execute(returning, rows)
            if row.itemtype == itemtype and row.items_id == items_id
        ]
