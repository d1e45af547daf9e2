"""A User attribute held as a foreign key to a GLPI dropdown (title -> glpi_usertitles, ...).

The name is found or created as GLPI's Dropdown::importExternal does (dropdowns.py); reading
joins the dropdown's own table, and a filter compares its names through `fk IN (SELECT id ...)`.
Each declaration names its table: nothing is inferred from another attribute.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, FromClause, Row, Table, select

from glpi_scim.db.collation import collation_key
from glpi_scim.glpi import dropdowns, history
from glpi_scim.glpi import text as glpi_text
from glpi_scim.glpi.attributes.base import AttrKey, Declared, WriteContext
from glpi_scim.glpi.attributes.column import sub_value
from glpi_scim.glpi.attributes.targets import Frame, SubqueryTarget, Target, TextTarget
from glpi_scim.glpi.validation import check_length
from glpi_scim.scim.errors import InvalidValue


def stored_name(value: str | None) -> str | None:
    """A dropdown name as dropdowns.find_or_create stores it: trimmed, encoded (None: no
    name)."""
    name = (value or "").strip()
    return glpi_text.encode(name) if name else None


@dataclass(frozen=True)
class Dropdown(Declared):
    """`attribute` (a User string; of the extension `container` if given) <-> glpi_users.`column`
    -> `table`.name."""

    attribute: str
    column: str
    table: Table
    itemtype: str  # GLPI's itemtype of the dropdown rows (their "create" history)
    option: int  # the search option GLPI logs a change of `column` under
    container: str | None = None
    key: AttrKey = field(init=False)
    # The dropdown's table as the user's SELECT joins it (one alias, so the SELECT built from
    # the registry is the same statement every time).
    _alias: FromClause = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", (self.container, self.attribute, None))
        object.__setattr__(self, "_alias", self.table.alias(f"scim_{self.attribute.lower()}_row"))

    @property
    def name(self) -> str:
        return self.attribute

    @property
    def keys(self) -> tuple[AttrKey, ...]:
        return (self.key,)

    @property
    def preview_key(self) -> tuple[str | None, str]:
        """The attribute as a scim.store.Preview names it."""
        return (self.container.lower() if self.container else None, self.attribute.lower())

    @property
    def label(self) -> str:
        return f"dropdown_{self.attribute.lower()}"

    # -- reading

    def columns(self, users: FromClause) -> Sequence[ColumnElement[Any]]:
        return [self._alias.c.name.label(self.label)]

    def joins(self, source: FromClause, users: FromClause) -> FromClause:
        return source.outerjoin(self._alias, self._alias.c.id == users.c[self.column])

    def correlated(self, users: FromClause) -> Sequence[ColumnElement[Any]]:
        name = select(self.table.c.name).where(self.table.c.id == users.c[self.column])
        return [name.scalar_subquery().label(self.label)]

    def read(self, row: Row[Any]) -> str | None:
        value = row._mapping[self.label]
        return (glpi_text.decode(value) if isinstance(value, str) else value) or None

    def render(self, value: Any, out: dict[str, Any], stored: Mapping[str, Any]) -> None:
        if value:
            node = out if self.container is None else out.setdefault(self.container, {})
            node[self.attribute] = value

    # -- writing

    def split(self, resource: Mapping[str, Any]) -> str | None:
        value = sub_value(resource, self.key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise InvalidValue(f"{self.attribute} must be a string")
        text = str(value)
        if text == "":
            return None
        check_length(self.attribute, text.strip())
        # Dropdown names are trimmed, as GLPI's Dropdown::importExternal does.
        return text.strip() or None

    def insert(self, context: WriteContext, value: str | None) -> dict[str, Any]:
        found, name = self._find_or_create(context, value)
        context.after[self.label] = name
        return {self.column: found}

    def update(
        self, context: WriteContext, row: Row[Any], value: str | None, changes: dict[str, Any]
    ) -> None:
        connection = context.connection
        old_id = row._mapping[self.column] or 0
        if context.seen is not None:  # joined to the user's row that the write compares with
            old_name = context.seen[self.label] if old_id else None
        else:
            old_name = dropdowns.names(connection, self.table, {old_id}).get(old_id)
        wanted = stored_name(value)
        unchanged = old_name is not None and wanted is not None
        if old_id and unchanged and collation_key(old_name or "") == collation_key(wanted or ""):
            return
        if not old_id and wanted is None:
            return
        new_id, new_name = self._find_or_create(context, value)
        if new_id == old_id:
            return
        changes[self.column] = new_id
        context.after[self.label] = new_name
        context.log.field(
            history.USER,
            row.id,
            self.option,
            history.dropdown_value(old_name, old_id),
            history.dropdown_value(new_name, new_id),
        )

    def _find_or_create(self, context: WriteContext, value: str | None) -> tuple[int, str | None]:
        """dropdowns.find_or_create, given the rows of `value` the write read ahead
        (WriteContext.dropdown_rows), if it did."""
        name = stored_name(value)
        ahead = None if name is None else context.dropdown_rows.get((self.label, name))
        return dropdowns.find_or_create(
            context.connection,
            self.table,
            self.itemtype,
            value,
            context.log,
            context.now,
            found=ahead,
        )

    # -- filtering

    def target(self, frame: Frame, key: AttrKey) -> Target:
        users, sqlite = frame.item, frame.sqlite
        inner = self.table.alias(f"scim_{self.attribute.lower()}")
        fk = users.c[self.column]
        label = TextTarget(sqlite, inner.c.name, case_exact=False, encoded=True)
        value = select(label.sort_key()).where(inner.c.id == fk).scalar_subquery()
        return SubqueryTarget(fk, inner.c.id, label, value)
