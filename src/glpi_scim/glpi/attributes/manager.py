"""The enterprise manager <-> glpi_users.users_id_supervisor, a reference to another user.

A manager is a user the server sees (outside its entity scope a user does not exist); it shows
with GLPI's formatted name of that user, read by joining glpi_users again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, FromClause, Row, select

from glpi_scim.db import tables
from glpi_scim.glpi import history, memberships
from glpi_scim.glpi import text as glpi_text
from glpi_scim.glpi.attributes.base import AttrKey, Declared, WriteContext
from glpi_scim.glpi.attributes.column import sub_value, text_value
from glpi_scim.glpi.attributes.targets import (
    Complex,
    Frame,
    IdTarget,
    SubqueryTarget,
    TextTarget,
    formatted_user_name,
)
from glpi_scim.glpi.scope import server_scope
from glpi_scim.glpi.validation import is_id_text
from glpi_scim.scim.errors import InvalidValue
from glpi_scim.scim.schemas import ENTERPRISE_USER_SCHEMA as ENTERPRISE
from glpi_scim.scim.values import get_ci


@dataclass(frozen=True)
class ManagerValue:
    id: int  # 0: none
    name: str | None  # GLPI's formatted name of the supervisor, when it exists


@dataclass(frozen=True)
class Manager(Declared):
    column: str = "users_id_supervisor"
    option: int = history.USER_SUPERVISOR
    name = "manager"
    keys = tuple((ENTERPRISE, "manager", sub) for sub in (None, "value", "displayName"))
    # The supervisor's row as the user's SELECT joins it (one alias: the same statement always).
    _boss: FromClause = field(
        default_factory=lambda: tables.users.alias("scim_boss_row"), repr=False, compare=False
    )

    def columns(self, users: FromClause) -> Sequence[ColumnElement[Any]]:
        boss = self._boss
        return [
            users.c[self.column],
            boss.c.id.label("boss_id"),
            boss.c.name.label("boss_login"),
            boss.c.realname.label("boss_realname"),
            boss.c.firstname.label("boss_firstname"),
        ]

    def joins(self, source: FromClause, users: FromClause) -> FromClause:
        return source.outerjoin(self._boss, self._boss.c.id == users.c[self.column])

    def correlated(self, users: FromClause) -> Sequence[ColumnElement[Any]]:
        boss = tables.users.alias("scim_boss_of")
        fields = [("boss_id", boss.c.id), ("boss_login", boss.c.name)]
        fields += [("boss_realname", boss.c.realname), ("boss_firstname", boss.c.firstname)]
        return [
            select(column).where(boss.c.id == users.c[self.column]).scalar_subquery().label(label)
            for label, column in fields
        ]

    def read(self, row: Row[Any]) -> ManagerValue:
        found = row._mapping
        name = None
        if found["boss_id"] is not None:
            name = glpi_text.decode(
                history.user_display_name(
                    found["boss_login"], found["boss_realname"], found["boss_firstname"]
                )
            )
        return ManagerValue(found[self.column] or 0, name)

    def render(self, value: Any, out: dict[str, Any], stored: Mapping[str, Any]) -> None:
        if value.id and value.name is not None:
            manager: dict[str, Any] = {"value": str(value.id)}
            if value.name:
                manager["displayName"] = value.name
            out.setdefault(ENTERPRISE, {})["manager"] = manager

    def split(self, resource: Mapping[str, Any]) -> int:
        manager = sub_value(resource, (ENTERPRISE, "manager", None))
        value = get_ci(manager, "value") if isinstance(manager, Mapping) else manager
        text = text_value(value, "manager.value")
        if text is None:
            return 0
        if not is_id_text(text):
            raise InvalidValue(f"manager.value {text!r} is not the id of a user of this GLPI")
        return int(text)

    def check(self, context: WriteContext, value: int) -> None:
        self._show(context, self._boss_row(context, value))

    @staticmethod
    def _show(context: WriteContext, boss: Any) -> None:
        """The manager's names as the user's SELECT reads them (the write's answer)."""
        context.after.update(
            boss_id=boss.id if boss else None,
            boss_login=boss.name if boss else None,
            boss_realname=boss.realname if boss else None,
            boss_firstname=boss.firstname if boss else None,
        )

    def _boss_row(self, context: WriteContext, value: int) -> Any:
        """The manager's row (its names, for the answer and the history); InvalidValue when
        the server sees no such user."""
        if not value:
            return None
        users = tables.users
        scope = server_scope(context.connection, context.server)
        in_scope = memberships.visible_users_condition(context.server.id, scope=scope)
        found = context.connection.execute(
            select(users.c.id, users.c.name, users.c.realname, users.c.firstname).where(
                users.c.id == value, in_scope
            )
        ).first()
        if found is None:
            raise InvalidValue(f"manager.value {str(value)!r} is not the id of a user of this GLPI")
        return found

    def insert(self, context: WriteContext, value: int) -> dict[str, Any]:
        return {self.column: value}

    def update(
        self, context: WriteContext, row: Row[Any], value: int, changes: dict[str, Any]
    ) -> None:
        old = row._mapping[self.column] or 0
        if value == old:
            return
        boss = self._boss_row(context, value)
        changes[self.column] = value
        self._show(context, boss)
        seen = context.seen
        if seen is not None and old and seen["boss_id"] == old:
            old_label = history.dropdown_value(seen["boss_login"], old)
        else:
            old_label = _label(context, old)
        new_label = history.dropdown_value(boss.name if boss else None, value)
        context.log.field(history.USER, row.id, self.option, old_label, new_label)

    def target(self, frame: Frame, key: AttrKey) -> Any:
        users, sqlite = frame.item, frame.sqlite
        boss = tables.users.alias("scim_boss")
        fk = users.c[self.column]
        value = IdTarget(sqlite, fk, fk.in_(select(boss.c.id)))
        sub = key[2]
        if sub is None:
            return Complex(value.present())
        if sub == "value":
            return value
        label = TextTarget(sqlite, formatted_user_name(boss), case_exact=False, encoded=True)
        scalar = select(label.sort_key()).where(boss.c.id == fk).scalar_subquery()
        return SubqueryTarget(fk, boss.c.id, label, scalar)


def _label(context: WriteContext, user_id: int) -> str:
    """How GLPI's history shows a user in a dropdown field: `login (id)`."""
    if not user_id:
        return history.dropdown_value(None, 0)
    users = tables.users
    login = context.connection.execute(select(users.c.name).where(users.c.id == user_id)).scalar()
    return history.dropdown_value(login, user_id)
