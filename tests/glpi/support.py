"""Helpers for the GLPI store tests: a controllable clock, row readers, resource builders."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import text

from glpi_scim.db.database import Database
from glpi_scim.scim.resources import validate_resource
from glpi_scim.scim.store import Resource

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
# The applied user of the test server: GLPI's fresh-install "glpi" account (id 2).
APPLIED = 2


class Clock:
    """A controllable clock: GLPI stores seconds, so tests step it to tell writes apart."""

    def __init__(self) -> None:
        self.moment = datetime(2025, 3, 4, 10, 20, 30, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.moment

    def tick(self, seconds: int = 1) -> datetime:
        self.moment += timedelta(seconds=seconds)
        return self.moment


_SQLITE_DATETIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?$")


def _typed(value: Any) -> Any:
    """SQLite hands raw SQL timestamps back as text: compare them as datetimes."""
    if isinstance(value, str) and _SQLITE_DATETIME.match(value):
        return datetime.fromisoformat(value)
    return value


def glpi_id(scim_id: int | str) -> int:
    """GLPI's id behind a SCIM id: a group's SCIM id is its GLPI id behind "g" ("g12")."""
    return int(str(scim_id).removeprefix("g"))


class Rows:
    """Reads GLPI's tables back the way a test wants to compare them."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def all(self, sql: str, **params: Any) -> list[dict[str, Any]]:
        with self.database.engine.connect() as connection:
            result = connection.execute(text(sql), params)
            return [{k: _typed(v) for k, v in row._mapping.items()} for row in result]

    def one(self, sql: str, **params: Any) -> dict[str, Any]:
        found = self.all(sql, **params)
        assert len(found) == 1, found
        return found[0]

    def scalar(self, sql: str, **params: Any) -> Any:
        with self.database.engine.connect() as connection:
            return connection.execute(text(sql), params).scalar()

    def user(self, user_id: int | str) -> dict[str, Any]:
        return self.one("SELECT * FROM glpi_users WHERE id = :id", id=int(user_id))

    def logs(self, itemtype: str, items_id: int | str) -> list[tuple[Any, ...]]:
        """(linked_action, itemtype_link, id_search_option, old_value, new_value) in order."""
        return [
            (r["linked_action"], r["itemtype_link"], r["id_search_option"], r["old_value"],
             r["new_value"])
            for r in self.all(
                "SELECT * FROM glpi_logs WHERE itemtype = :t AND items_id = :i ORDER BY id",
                t=itemtype,
                i=glpi_id(items_id),
            )
        ]  # fmt: skip

    def count(self, table: str) -> int:
        return int(self.scalar(f"SELECT COUNT(*) FROM {table}"))

    def snapshot(self) -> dict[str, int]:
        """Row counts of every table the store writes: a failed request must not change them."""
        return {
            name: self.count(name)
            for name in (
                "glpi_users",
                "glpi_useremails",
                "glpi_groups",
                "glpi_groups_users",
                "glpi_profiles_users",
                "glpi_usertitles",
                "glpi_usercategories",
                "glpi_logs",
                "glpi_plugin_glpiscim_resources",
            )
        }


def user(**fields: Any) -> Resource:
    """A validated User resource, as the SCIM service hands it to a store."""
    body = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], **fields}
    return validate_resource(body, "User")


def group(**fields: Any) -> Resource:
    body = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], **fields}
    return validate_resource(body, "Group")


def replace_with(**changes: Any) -> Callable[[Resource], Resource]:
    """A mutation setting top-level attributes (None removes one), like a PATCH replace."""

    def mutate(current: Resource) -> Resource:
        new = {k: v for k, v in current.items() if k not in ("meta", "groups")}
        for key, value in changes.items():
            if value is None:
                new.pop(key, None)
            else:
                new[key] = value
        return validate_resource(new, "User" if "userName" in new else "Group")

    return mutate
