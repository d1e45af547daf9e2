"""active <-> glpi_users.is_active, which cannot be NULL.

An unassigned `active` leaves the user active (GLPI's default) and a marker in the tool's row
keeps `active` out of the resource; only a value changes is_active, so an unassigned one never
re-enables an account GLPI deactivated, and a deactivation made in GLPI shows through.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, FromClause, Row, and_, case, func, not_, or_

from glpi_scim.glpi import history
from glpi_scim.glpi.attributes.base import AttrKey, Declared, WriteContext, no_joins
from glpi_scim.glpi.attributes.targets import BoolTarget, Frame, Predicate
from glpi_scim.scim.ast import Literal_
from glpi_scim.scim.errors import InvalidValue
from glpi_scim.scim.values import get_ci

# Key of the tool's resource row marking `active` as unassigned while glpi_users.is_active is 1.
# Not a valid SCIM attribute name (RFC 7643 §2.1), so it never meets one sent by a client.
ACTIVE_UNASSIGNED = "#activeUnassigned"
# The same while glpi_users.is_active is 0: `active` was removed from an inactive account, which
# stays inactive (unassigned never re-enables). A later change of is_active in GLPI shows.
ACTIVE_UNASSIGNED_INACTIVE = "#activeUnassignedInactive"
MARKERS = (ACTIVE_UNASSIGNED, ACTIVE_UNASSIGNED_INACTIVE)


class ActiveTarget(BoolTarget):
    """glpi_users.is_active, absent while the tool's row marks `active` unassigned (GLPI keeps 1
    then; a deactivation made in GLPI still shows, as Active.render does)."""

    def __init__(self, expr: ColumnElement[Any], attributes: ColumnElement[Any]):
        super().__init__(expr)
        marked = func.json_extract(attributes, f'$."{ACTIVE_UNASSIGNED}"').is_not(None)
        inactive = func.json_extract(attributes, f'$."{ACTIVE_UNASSIGNED_INACTIVE}"').is_not(None)
        self.unassigned = or_(and_(expr == 1, marked), and_(expr == 0, inactive))

    def present(self) -> Predicate:
        return and_(super().present(), not_(self.unassigned))

    def compare(self, op: str, value: Literal_) -> Predicate:
        return and_(super().compare(op, value), not_(self.unassigned))

    def sort_key(self) -> ColumnElement[Any]:
        return case((self.unassigned, None), else_=self.expr)


@dataclass(frozen=True)
class Active(Declared):
    column: str = "is_active"
    option: int = history.USER_ACTIVE
    name = "active"
    keys = ((None, "active", None),)

    def columns(self, users: FromClause) -> Sequence[ColumnElement[Any]]:
        return [users.c[self.column]]

    def joins(self, source: FromClause, users: FromClause) -> FromClause:
        return no_joins(source, users)

    def read(self, row: Row[Any]) -> bool:
        return bool(row._mapping[self.column])

    def render(self, value: Any, out: dict[str, Any], stored: Mapping[str, Any]) -> None:
        marker = ACTIVE_UNASSIGNED if value else ACTIVE_UNASSIGNED_INACTIVE
        if stored.get(marker) is not True:
            out["active"] = value

    def split(self, resource: Mapping[str, Any]) -> bool | None:
        active = get_ci(resource, "active")
        if active is not None and not isinstance(active, bool):
            raise InvalidValue("active must be true or false")
        return active

    def mark(self, value: Any, stored: dict[str, Any]) -> None:
        if value is None:
            stored[ACTIVE_UNASSIGNED] = True

    def insert(self, context: WriteContext, value: bool | None) -> dict[str, Any]:
        return {self.column: 1 if value is None else int(value)}

    def update(
        self, context: WriteContext, row: Row[Any], value: bool | None, changes: dict[str, Any]
    ) -> None:
        old = row._mapping[self.column]
        if value is None and not old and ACTIVE_UNASSIGNED in context.stored:
            del context.stored[ACTIVE_UNASSIGNED]
            context.stored[ACTIVE_UNASSIGNED_INACTIVE] = True
        if value is not None and bool(old) != value:
            changes[self.column] = int(value)
            context.log.field(history.USER, row.id, self.option, str(old), str(int(value)))

    def target(self, frame: Frame, key: AttrKey) -> ActiveTarget:
        return ActiveTarget(frame.item.c[self.column], frame.row.c.attributes)
