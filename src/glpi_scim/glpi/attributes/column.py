"""A single-valued User string held in one glpi_users text column (nickName -> nickname, ...).

GLPI encodes `&`, `<` and `>` in its texts: values are decoded on read, encoded on write, and a
filter compares the stored text (glpi/attributes/targets.py's TextTarget knows the encoding).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, FromClause, Row

from glpi_scim.glpi import history
from glpi_scim.glpi import text as glpi_text
from glpi_scim.glpi.attributes.base import AttrKey, Declared, WriteContext
from glpi_scim.glpi.attributes.targets import Frame, Target, TextTarget
from glpi_scim.glpi.validation import MAX_TEXT, check_length, check_login
from glpi_scim.scim.errors import InvalidValue
from glpi_scim.scim.values import get_ci


def text_value(value: Any, where: str) -> str | None:
    """A SCIM string (numbers taken as text) or None for unassigned/empty."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InvalidValue(f"{where} must be a string")
    text = str(value)
    return text if text != "" else None


def sub_value(resource: Mapping[str, Any], key: AttrKey) -> Any:
    container, attr, sub = key
    node: Any = resource if container is None else get_ci(resource, container)
    node = get_ci(node, attr)
    if sub is not None:
        node = get_ci(node, sub)
    return node


@dataclass(frozen=True)
class TextColumn(Declared):
    """The attribute `key` <-> glpi_users.`column`."""

    key: AttrKey
    column: str
    # The search option GLPI logs a change of this column under; None: GLPI does not log it.
    option: int | None
    max_length: int = MAX_TEXT

    @property
    def name(self) -> str:
        return self.column

    @property
    def keys(self) -> tuple[AttrKey, ...]:
        return (self.key,)

    @property
    def where(self) -> str:
        _, attr, sub = self.key
        return f"{attr}.{sub}" if sub else attr

    def columns(self, users: FromClause) -> Sequence[ColumnElement[Any]]:
        return [users.c[self.column]]

    def joins(self, source: FromClause, users: FromClause) -> FromClause:
        return source

    def read(self, row: Row[Any]) -> str | None:
        value = row._mapping[self.column]
        return glpi_text.decode(value) if isinstance(value, str) else value

    def render(self, value: Any, out: dict[str, Any], stored: Mapping[str, Any]) -> None:
        """Into the document, where `key` says (a container or complex parent is created)."""
        if not value:
            return
        container, attr, sub = self.key
        node = out if container is None else out.setdefault(container, {})
        if sub is None:
            node[attr] = value
        else:
            node.setdefault(attr, {})[sub] = value

    def split(self, resource: Mapping[str, Any]) -> str | None:
        text = text_value(sub_value(resource, self.key), self.where)
        if text is not None:
            check_length(self.where, text, self.max_length)
        return text

    def insert(self, context: WriteContext, value: str | None) -> dict[str, Any]:
        return {self.column: glpi_text.encode_optional(value)}

    def update(
        self, context: WriteContext, row: Row[Any], value: str | None, changes: dict[str, Any]
    ) -> None:
        old, new = row._mapping[self.column], glpi_text.encode_optional(value)
        if (old or None) == (new or None):
            return
        changes[self.column] = new
        if self.option is not None:
            context.log.field(history.USER, row.id, self.option, _log_text(old), _log_text(new))

    def target(self, frame: Frame, key: AttrKey) -> Target:
        return TextTarget(frame.sqlite, frame.item.c[self.column], case_exact=False, encoded=True)


@dataclass(frozen=True)
class Login(TextColumn):
    """userName <-> glpi_users.name: required, checked as GLPI checks a login. Its uniqueness
    among GLPI's users is the writer's (users.py), which locks the holders of the login."""

    def read(self, row: Row[Any]) -> str:
        return glpi_text.decode(row._mapping[self.column] or "")

    def render(self, value: Any, out: dict[str, Any], stored: Mapping[str, Any]) -> None:
        out["userName"] = value

    def split(self, resource: Mapping[str, Any]) -> str:
        login = text_value(sub_value(resource, self.key), self.where)
        if login is None:
            raise InvalidValue("userName is required")
        return check_login(login)


def _log_text(value: Any) -> str:
    return "" if value is None else str(value)
