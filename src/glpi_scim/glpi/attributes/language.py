"""preferredLanguage and locale <-> glpi_users.language (GLPI's code, en_GB), through the code
table of glpi/languages.py.

Both are kept verbatim as sent: a GET returns the value the identity provider sent while GLPI
holds the language it names (or GLPI has none for it), GLPI's language as a tag otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, FromClause, Row, case, func

from glpi_scim.glpi import history, languages
from glpi_scim.glpi.attributes.base import AttrKey, Declared, WriteContext, no_joins
from glpi_scim.glpi.attributes.column import text_value
from glpi_scim.glpi.attributes.targets import CI, Frame, Target, TextTarget, json_path
from glpi_scim.scim.values import get_ci

_SENT = ("preferredLanguage", "locale")


@dataclass(frozen=True)
class Language(Declared):
    column: str = "language"
    option: int = history.USER_LANGUAGE
    name = "language"
    renders_sent = _SENT
    keys = tuple((None, attr, None) for attr in _SENT)

    def columns(self, users: FromClause) -> Sequence[ColumnElement[Any]]:
        return [users.c[self.column]]

    def joins(self, source: FromClause, users: FromClause) -> FromClause:
        return no_joins(source, users)

    def read(self, row: Row[Any]) -> str | None:
        return (row._mapping[self.column] or "").strip() or None

    def render(self, value: Any, out: dict[str, Any], stored: Mapping[str, Any]) -> None:
        any_sent = False
        for attr in _SENT:
            sent = stored.get(attr)
            if not isinstance(sent, str):
                continue
            any_sent = True
            sent_code = languages.to_glpi(sent)
            if sent_code is None or sent_code == value:
                # As sent: GLPI has no language for it, or holds the one it names.
                out[attr] = sent
            elif value:
                out[attr] = languages.to_scim(value)
        if not any_sent and value:
            out["preferredLanguage"] = languages.to_scim(value)

    def split(self, resource: Mapping[str, Any]) -> str | None:
        """GLPI's language: preferredLanguage's, else locale's (a value GLPI has no language for
        is skipped; it is kept verbatim)."""
        for attr in _SENT:
            value = text_value(get_ci(resource, attr), attr)
            code = languages.to_glpi(value) if value is not None else None
            if code is not None:
                return code
        return None

    def insert(self, context: WriteContext, value: str | None) -> dict[str, Any]:
        return {self.column: value}

    def update(
        self, context: WriteContext, row: Row[Any], value: str | None, changes: dict[str, Any]
    ) -> None:
        old = (row._mapping[self.column] or "").strip() or None
        if old == (value or None):
            return
        changes[self.column] = value
        context.log.field(history.USER, row.id, self.option, old or "", value or "")

    def target(self, frame: Frame, key: AttrKey) -> Target:
        """The language as the identity provider sent it, else GLPI's code as a tag (en-US)."""
        name = key[1]
        doc = frame.row.c.attributes
        sent: ColumnElement[Any] = (
            func.json_extract(doc, json_path(name))
            if frame.sqlite
            else func.json_unquote(func.json_extract(doc, json_path(name))).collate(CI)
        )
        if name == "locale":
            expr: ColumnElement[Any] = sent
        else:
            locale = func.json_extract(doc, json_path("locale"))
            glpi = case(
                (locale.is_(None), func.replace(frame.item.c[self.column], "_", "-")),
                else_=None,
            )
            expr = func.coalesce(sent, glpi)
        return TextTarget(frame.sqlite, expr, case_exact=False)
