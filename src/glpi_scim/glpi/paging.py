"""One page of a list or filter (users and groups alike): its rows and the total, in one statement.

The page's ids are chosen in a derived table (narrow rows to sort and skip, so the database
sorts ids, not whole rows, and stops at the page's end) that is joined back to the item's full
SELECT; the total is a scalar subquery of the same statement, so a page costs one round trip.
The derived table carries its sort key out, and the outer query orders by it again: a join does
not keep the order of a derived table.

Only an empty answer needs a second statement: at startIndex 1 the total is then 0, beyond it
the total is counted on its own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, FromClause, Row, case, func, select
from sqlalchemy.sql import Select

from glpi_scim.db import packed
from glpi_scim.glpi.sqlfilter import EQUALITY_VALUE, Equality
from glpi_scim.scim.ast import AttrPath

Predicate = ColumnElement[bool]

PAGE = "scim_page"


@dataclass(frozen=True)
class PageRequest:
    """What the client asked for (startIndex is 1-based; count 0 asks only for the total)."""

    start_index: int
    count: int
    sort_key: ColumnElement[Any] | None = None
    descending: bool = False

    @property
    def offset(self) -> int:
        return max(self.start_index, 1) - 1


def order_by(
    key: ColumnElement[Any], descending: bool, tiebreak: ColumnElement[Any]
) -> list[ColumnElement[Any]]:
    """ORDER BY terms: resources without a value come last either way, ties by id."""
    missing = case((key.is_(None), 1), else_=0)
    direction = key.desc() if descending else key.asc()
    return [missing.asc(), direction, tiebreak.asc()]


@dataclass(frozen=True)
class PageStatement:
    """The statements of one page: its rows with the total, and the total alone (for an empty
    page past the first). Built once per shape where the values are bound (`run_page`'s
    parameters), as the lookups by an exact value are (users.py, groups.py)."""

    rows: Select[Any]
    total: Select[Any]


def page_statement(
    *,
    source: FromClause,
    item_id: ColumnElement[int],
    condition: Predicate | None,
    rows: Select[Any],
    request: PageRequest,
) -> PageStatement:
    """`source` is the FROM the filter and sort key are written against (the item and the tool's
    row for it), `item_id` its id column; `rows` the full SELECT of an item, which must contain
    the same `item_id` column to be joined on."""
    total_query = select(func.count()).select_from(source)
    if condition is not None:
        total_query = total_query.where(condition)
    if request.count <= 0:
        return PageStatement(total_query, total_query)
    key = request.sort_key
    chosen = select(item_id.label("page_id")).select_from(source)
    if key is not None:
        chosen = chosen.add_columns(key.label("page_key"))
    if condition is not None:
        chosen = chosen.where(condition)
    if key is not None:
        chosen = chosen.order_by(*order_by(key, request.descending, item_id))
    else:
        chosen = chosen.order_by(item_id)
    page = chosen.offset(request.offset).limit(request.count).subquery(PAGE)
    if key is not None:
        terms = order_by(page.c.page_key, request.descending, page.c.page_id)
    else:
        terms = [page.c.page_id.asc()]
    statement = (
        # correlate(None): the count has its own FROM, though the outer query joins the same item.
        rows.add_columns(total_query.correlate(None).scalar_subquery().label("page_total"))
        .join(page, page.c.page_id == item_id)
        .order_by(*terms)
    )
    return PageStatement(statement, total_query)


def read_page(
    connection: Connection,
    *,
    source: FromClause,
    item_id: ColumnElement[int],
    condition: Predicate | None,
    rows: Select[Any],
    request: PageRequest,
) -> tuple[int, list[Row[Any]]]:
    """(total, the page's rows in order); the arguments are page_statement's."""
    built = page_statement(
        source=source, item_id=item_id, condition=condition, rows=rows, request=request
    )
    return run_page(connection, built, request)


def run_page(
    connection: Connection,
    statement: PageStatement,
    request: PageRequest,
    parameters: Mapping[str, Any] | None = None,
    *,
    packed_rows: bool = False,
) -> tuple[int, list[Row[Any]]]:
    """(total, the page's rows in order) of a page_statement built for `request`;
    `packed_rows` for a statement built once (db/packed.py packs each statement once)."""
    if request.count <= 0:
        return _total(connection, statement.total, parameters), []
    found: Sequence[Any]
    if packed_rows:
        found = packed.execute(connection, statement.rows, parameters)
    else:
        found = connection.execute(statement.rows, parameters).all()
    if found:
        return int(found[0].page_total), list(found)
    if request.offset == 0:
        return 0, []
    return _total(connection, statement.total, parameters), []


def equality_page(
    connection: Connection,
    equality: Equality,
    built: Callable[[AttrPath, int, int], PageStatement],
    start_index: int,
    count: int,
) -> tuple[int, list[Row[Any]]]:
    """(total, rows) of a filter by equality (sqlfilter.Equality): its statement
    `built(path, offset, count)`, cached by the caller, with the value bound."""
    request = PageRequest(start_index, count)
    statement = built(equality.path, request.offset, count)
    parameters = {EQUALITY_VALUE: equality.value}
    return run_page(connection, statement, request, parameters, packed_rows=True)


def _total(connection: Connection, query: Select[Any], parameters: Mapping[str, Any] | None) -> int:
    return int(connection.execute(query, parameters).scalar() or 0)
