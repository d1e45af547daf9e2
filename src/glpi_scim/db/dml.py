"""INSERT, UPDATE and upsert statements built once per table, their values bound at execution.

`table.insert().values(row)` builds a new statement on every call, coerces each value into a
bound parameter and hashes them all into a cache key: a fifth of a user's create in the
profiles. A statement without values, executed with the row as its parameters, is built once
(SQLAlchemy compiles it once per set of columns given).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, CursorResult, Table, bindparam, update
from sqlalchemy.dialects.mysql import insert as mysql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.sql.dml import Insert, Update

# The row's id in `update_by_id`'s WHERE: a name no table of GLPI's or the tool's has.
WHERE_ID = "dml_where_id"


@functools.cache
def insert(table: Table) -> Insert:
    """`INSERT INTO table`, its columns those of the parameters it is executed with."""
    return table.insert()


@functools.cache
def update_by_id(table: Table) -> Update:
    """`UPDATE table SET ... WHERE id = :dml_where_id`, SET from the other parameters."""
    return update(table).where(table.c.id == bindparam(WHERE_ID))


def update_row(
    connection: Connection, table: Table, row_id: int, values: Mapping[str, Any]
) -> CursorResult[Any]:
    """Set `values` (plain values, at least one) on the row of `table` with id `row_id`."""
    return connection.execute(update_by_id(table), {**values, WHERE_ID: row_id})


@functools.cache
def upsert(table: Table, sqlite: bool, keys: tuple[str, ...], updated: tuple[str, ...]) -> Any:
    """An INSERT that, where a row with the same unique `keys` exists, sets its `updated`
    columns to the values given instead."""
    return upsert_merging(
        table, sqlite, keys, lambda new: [(column, new[column]) for column in updated]
    )


def upsert_merging(
    table: Table,
    sqlite: bool,
    keys: tuple[str, ...],
    merged: Callable[[Any], Sequence[tuple[str, ColumnElement[Any]]]],
) -> Any:
    """An INSERT that, where a row with the same unique `keys` exists, sets `merged(new)` on
    it instead: (column, expression) pairs over the row's columns and `new`, the values
    given (SQLite: ON CONFLICT on `keys`, `new` its `excluded`; MariaDB: ON DUPLICATE KEY, on
    whichever unique key the row meets, `new` its VALUES(), the pairs set left to right, each
    seeing the ones before it)."""
    if sqlite:
        lite = sqlite_insert(table)
        return lite.on_conflict_do_update(
            index_elements=[table.c[key] for key in keys], set_=dict(merged(lite.excluded))
        )
    maria = mysql_insert(table)
    return maria.on_duplicate_key_update(list(merged(maria.inserted)))
