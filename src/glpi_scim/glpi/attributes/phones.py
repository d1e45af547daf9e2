"""phoneNumbers: the first number of each mapped type has a glpi_users column (work -> phone,
mobile -> mobile, other -> phone2); the list as sent is kept verbatim, so numbers of other types
and the display/primary of mapped ones come back. A filter reaches them as elements
(sqlfilter.py's phone union), not through a key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, FromClause, Row

from glpi_scim.glpi.attributes.base import AttrKey, Declared, WriteContext, no_joins
from glpi_scim.glpi.attributes.column import TextColumn, text_value
from glpi_scim.glpi.attributes.targets import Frame
from glpi_scim.glpi.validation import check_length
from glpi_scim.scim.values import get_ci


@dataclass(frozen=True)
class Phones(Declared):
    by_type: Mapping[str, TextColumn]
    name = "phoneNumbers"
    renders_sent = ("phoneNumbers",)
    keys = ()

    def joins(self, source: FromClause, users: FromClause) -> FromClause:
        return no_joins(source, users)

    def columns(self, users: FromClause) -> Sequence[ColumnElement[Any]]:
        return [users.c[column.column] for column in self.by_type.values()]

    def read(self, row: Row[Any]) -> dict[str, str | None]:
        return {kind: column.read(row) for kind, column in self.by_type.items()}

    def render(self, value: Any, out: dict[str, Any], stored: Mapping[str, Any]) -> None:
        sent = [e for e in stored.get("phoneNumbers", []) if isinstance(e, Mapping)]
        phones: list[dict[str, Any]] = []
        for kind in self.by_type:
            number = value.get(kind)
            if not number:
                continue
            entry: dict[str, Any] = {"value": number, "type": kind}
            for original in sent:
                if (
                    str(original.get("type") or "").lower() == kind
                    and original.get("value") == number
                ):
                    for key in ("display", "primary"):
                        if original.get(key) is not None:
                            entry[key] = original[key]
                    break
            phones.append(entry)
        phones.extend(dict(e) for e in sent if str(e.get("type") or "").lower() not in self.by_type)
        if phones:
            out["phoneNumbers"] = phones

    def split(self, resource: Mapping[str, Any]) -> dict[str, str]:
        values = get_ci(resource, "phoneNumbers")
        found: dict[str, str] = {}
        for entry in values if isinstance(values, list) else []:
            if not isinstance(entry, Mapping):
                continue
            kind = str(entry.get("type") or "").lower()
            number = text_value(entry.get("value"), "phoneNumbers.value")
            if kind in self.by_type and number is not None and kind not in found:
                check_length(f'phoneNumbers[type eq "{kind}"].value', number)
                found[kind] = number
        return found

    def insert(self, context: WriteContext, value: Mapping[str, str]) -> dict[str, Any]:
        row: dict[str, Any] = {}
        for kind, column in self.by_type.items():
            row.update(column.insert(context, value.get(kind)))
        return row

    def update(
        self,
        context: WriteContext,
        row: Row[Any],
        value: Mapping[str, str],
        changes: dict[str, Any],
    ) -> None:
        for kind, column in self.by_type.items():
            column.update(context, row, value.get(kind), changes)

    def target(self, frame: Frame, key: AttrKey) -> Any:
        return None
