"""A wide SELECT's row as one JSON array (MariaDB, MySQL): one column to describe, not thirty.

For every result, PyMySQL reads and parses one description packet per column before the first
row: for a user's SELECT (29 columns) that was a fifth of a MariaDB GET's CPU, more than
reading the row's values. `JSON_ARRAY(col, ...)` sends the same values as one text column,
which the C JSON decoder turns back into Python values; only the date columns need converting
(JSON has no date type: "YYYY-MM-DD HH:MM:SS", with a fraction on MySQL). SQLite has no
packets: its statements stay as they are.

The rows come back as `MappedRow`s, read as SQLAlchemy rows are: by attribute and through
`_mapping`, with the SELECT's labels.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, DateTime, func
from sqlalchemy.sql import Select

PACKED = "packed_row"


class MappedRow:
    """A row rebuilt from a mapping of its labels to its values."""

    __slots__ = ("_mapping",)

    def __init__(self, values: Mapping[str, Any]) -> None:
        self._mapping = values

    def __getattr__(self, name: str) -> Any:
        try:
            return self._mapping[name]
        except KeyError:
            raise AttributeError(name) from None


@dataclass(frozen=True)
class PackedSelect:
    """`statement` selecting one JSON array of the original SELECT's columns, in order."""

    statement: Select[Any]
    labels: tuple[str, ...]
    dates: tuple[int, ...]  # positions of the date and time columns

    def row(self, text: str) -> MappedRow:
        values = json.loads(text)
        for position in self.dates:
            value = values[position]
            if value is not None:
                values[position] = datetime.fromisoformat(value)
        return MappedRow(dict(zip(self.labels, values, strict=True)))

    def rows(self, result: Iterable[Any]) -> list[MappedRow]:
        return [self.row(packed) for (packed,) in result]


@functools.lru_cache(maxsize=256)  # per statement object: the statements packed are built once
def pack(statement: Select[Any]) -> PackedSelect:
    """`statement` with its columns packed into one JSON array."""
    columns = list(statement.selected_columns)
    labels = tuple(str(column.key) for column in columns)
    if len(set(labels)) != len(labels):
        raise ValueError(f"a packed SELECT needs distinct labels, not {labels}")
    dates = tuple(i for i, column in enumerate(columns) if isinstance(column.type, DateTime))
    packed = statement.with_only_columns(func.json_array(*columns).label(PACKED))
    return PackedSelect(packed, labels, dates)


def execute(
    connection: Connection, statement: Select[Any], parameters: Mapping[str, Any] | None = None
) -> list[Any]:
    """The rows of `statement`: packed on MariaDB and MySQL (MappedRows), as they are on
    SQLite (SQLAlchemy rows); both read by attribute and `_mapping`."""
    if connection.dialect.name == "sqlite":
        return list(connection.execute(statement, parameters))
    packed = pack(statement)
    return packed.rows(connection.execute(packed.statement, parameters))
