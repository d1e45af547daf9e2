"""Filter targets: what one SCIM attribute value is in SQL, with two-valued predicates.

An attribute declaration (glpi/attributes/) names its target; sqlfilter.py compiles a filter's
`attr op value` to the target's `present()`, `compare(op, value)` and `sort_key()`. Every
predicate is two-valued (never SQL NULL), so `not` and `ne` are plain negations.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Protocol

from sqlalchemy import (
    ColumnElement,
    FromClause,
    String,
    and_,
    case,
    cast,
    false,
    func,
    literal,
    select,
    true,
)
from sqlalchemy.sql.elements import BindParameter

from glpi_scim.db.collation import (
    collation_key,
    fold,
    sqlite_equal,
    sqlite_equal_key,
    sqlite_folded,
    sqlite_like,
)
from glpi_scim.glpi import ids as resource_ids
from glpi_scim.glpi import text as glpi_text
from glpi_scim.scim.ast import Literal_
from glpi_scim.scim.errors import InvalidFilter
from glpi_scim.scim.store import USER
from glpi_scim.scim.values import fold as scim_fold
from glpi_scim.scim.values import parse_datetime

Predicate = ColumnElement[bool]
CI = "utf8mb4_unicode_ci"
BIN = "utf8mb4_bin"
LIKE_ESCAPE = "!"
# Characters of the entities GLPI encodes `&`, `<` and `>` with: a pattern holding none of them
# cannot match inside an entity, so it can run on the stored (encoded) text directly.
_ENTITY_CHARS = frozenset("&#;<>023468")
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_$:.-]+$")


def json_path(*keys: str) -> str:
    parts = ["$"]
    for key in keys:
        if not _SAFE_NAME.match(key):
            raise InvalidFilter(f"'{key}' cannot be used in a filter")
        parts.append(f".{key}" if key.isidentifier() else f'."{key}"')
    return "".join(parts)


def like_pattern(value: str, op: str) -> str:
    escaped = (
        value.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
        .replace("%", LIKE_ESCAPE + "%")
        .replace("_", LIKE_ESCAPE + "_")
    )
    if op == "co":
        return f"%{escaped}%"
    if op == "sw":
        return f"{escaped}%"
    return f"%{escaped}"


def decoded(expr: ColumnElement[Any]) -> ColumnElement[Any]:
    """SQL for glpi_scim.glpi.text.decode of an encoded column."""
    step = func.replace(expr, "&#62;", ">")
    step = func.replace(step, "&#60;", "<")
    return func.replace(step, "&#38;", "&")


def formatted_user_name(users: FromClause) -> ColumnElement[Any]:
    """GLPI's formatUserName in SQL: `Realname Firstname`, else the login (encoded text)."""
    real, first, login = users.c.realname, users.c.firstname, users.c.name
    has_real = and_(real.is_not(None), real != "")
    has_first = and_(first.is_not(None), first != "")
    return case(
        (has_real, case((has_first, real.concat(" ").concat(first)), else_=real)),
        else_=login,
    )


@dataclass(frozen=True)
class Frame:
    """The query a filter is compiled for.

    `item` is glpi_users or glpi_groups (aliased); `row` the tool's resource row of the same item
    for this server, LEFT JOINed (its columns are NULL when the server never wrote the item).
    `row_name` is the SQL name of `row`, needed inside MariaDB's JSON_TABLE.
    """

    resource_type: str
    item: FromClause
    row: FromClause
    row_name: str
    sqlite: bool
    server_id: int
    # Names for JSON table aliases, numbered in compile order so that the same filter shape
    # compiles to the same SQL (and hits SQLAlchemy's statement cache).
    aliases: Iterator[int] = field(default_factory=lambda: itertools.count(1), compare=False)


class Complex:
    """A single-valued complex attribute (`name`, `manager`, `meta`): only `pr` applies."""

    def __init__(self, present: Predicate):
        self._present = present

    def present(self) -> Predicate:
        return self._present


# ---------------------------------------------------------------------------------------------
# Targets: one attribute value per row (or per element), with two-valued predicates
# ---------------------------------------------------------------------------------------------


class Target(Protocol):
    def present(self) -> Predicate: ...

    def compare(self, op: str, value: Literal_) -> Predicate:
        """`op` is never `ne` and `value` never None (the caller derives those)."""
        ...

    def sort_key(self) -> ColumnElement[Any]: ...


class TextTarget:
    """A text value: a GLPI column (maybe encoded), a tool column, or a JSON string."""

    def __init__(
        self,
        sqlite: bool,
        expr: ColumnElement[Any],
        *,
        case_exact: bool,
        encoded: bool = False,
        native_binary: bool = False,
    ) -> None:
        self.sqlite = sqlite
        self.expr = expr
        self.case_exact = case_exact
        self.encoded = encoded
        # MariaDB: JSON_UNQUOTE returns utf8mb4_bin text; GLPI's columns are utf8mb4_unicode_ci.
        self.native_binary = native_binary

    def present(self) -> Predicate:
        return and_(self.expr.is_not(None), self.expr != "")

    def _ci(self, expr: ColumnElement[Any]) -> ColumnElement[Any]:
        return expr.collate(CI) if self.native_binary else expr

    def _exact(self, expr: ColumnElement[Any]) -> ColumnElement[Any]:
        return expr if self.native_binary else expr.collate(BIN)

    def compare(self, op: str, value: Literal_) -> Predicate:
        if not isinstance(value, str):
            return false()
        expr, operand = self.expr, value
        if self.encoded:
            if op == "eq" or (op in ("co", "sw", "ew") and not _ENTITY_CHARS & set(value)):
                operand = glpi_text.encode(value)
            else:
                expr = decoded(expr)
        return and_(self.present(), self._compare(expr, op, operand))

    def _compare(self, expr: ColumnElement[Any], op: str, value: str) -> Predicate:
        if self.sqlite:
            return self._compare_sqlite(expr, op, value)
        if op in ("co", "sw", "ew"):
            side = self._exact(expr) if self.case_exact else self._ci(expr)
            return side.like(like_pattern(value, op), escape=LIKE_ESCAPE)
        if op == "eq":
            return self._equal(expr, value)
        side = self._exact(expr) if self.case_exact else self._ci(expr)
        return _order(side, op, value)

    def _equal(self, expr: ColumnElement[Any], operand: Any) -> Predicate:
        """MariaDB: `expr` equals `operand` (a text, or a bound parameter holding one)."""
        test: Predicate
        if not self.case_exact:
            test = self._ci(expr) == operand
        elif self.native_binary:
            test = expr == operand
        else:
            # The collation's `=` can use the index; the binary one then decides.
            test = and_(expr == operand, self._exact(expr) == operand)
        return test

    def bound_operand(self, value: str) -> Any:
        """What `equals` binds for `compare("eq", value)`: the text as GLPI stores it, and on
        SQLite, where the comparison is not exact, its collation key."""
        operand = glpi_text.encode(value) if self.encoded else value
        return collation_key(operand) if self.sqlite and not self.case_exact else operand

    def equals(self, operand: BindParameter[Any]) -> Predicate:
        """compare("eq", value) for the value bound as `operand` (bound_operand(value)): one
        statement for every value, so that it is built once."""
        if not self.sqlite:
            test = self._equal(self.expr, operand)
        elif self.case_exact:
            test = self.expr == operand
        else:
            test = sqlite_equal_key(self.expr, operand)
        return and_(self.present(), test)

    def _compare_sqlite(self, expr: ColumnElement[Any], op: str, value: str) -> Predicate:
        if self.case_exact:
            if op == "eq":
                return expr == value
            if op == "co":
                return func.instr(expr, value) > 0
            if op == "sw":
                return func.substr(expr, 1, len(value)) == value
            if op == "ew":
                return func.substr(expr, -len(value)) == value if value else true()
            return _order(expr, op, value)
        if op == "eq":
            return sqlite_equal(expr, value)
        if op in ("co", "sw", "ew"):
            return sqlite_like(expr, like_pattern(fold(value), op), LIKE_ESCAPE)
        return _order(sqlite_folded(expr), op, fold(value))

    def sort_key(self) -> ColumnElement[Any]:
        expr = func.nullif(self.expr, "")
        if self.sqlite:
            return expr if self.case_exact else sqlite_folded(expr)
        return self._exact(expr) if self.case_exact else self._ci(expr)


def _order(expr: ColumnElement[Any], op: str, value: Any) -> Predicate:
    comparisons: dict[str, Callable[[], Predicate]] = {
        "gt": lambda: expr > value,
        "ge": lambda: expr >= value,
        "lt": lambda: expr < value,
        "le": lambda: expr <= value,
        "eq": lambda: expr == value,
    }
    build = comparisons.get(op)
    return build() if build is not None else false()  # co/sw/ew on a value that is not text


class BoolTarget:
    def __init__(self, expr: ColumnElement[Any], true_value: Any = 1, false_value: Any = 0):
        self.expr = expr
        self.true_value = true_value
        self.false_value = false_value

    def present(self) -> Predicate:
        return self.expr.in_([self.true_value, self.false_value])

    def compare(self, op: str, value: Literal_) -> Predicate:
        if op != "eq" or not isinstance(value, bool):
            return false()
        wanted = self.true_value if value else self.false_value
        test: Predicate = self.expr == wanted
        return test

    def sort_key(self) -> ColumnElement[Any]:
        return self.expr


class IdTarget:
    """A GLPI id shown as a string (`id`, `members.value`, `manager.value`); 0 means none.

    `resource_type` says how the id is written (see ids.py): a group's id has a prefix.
    """

    def __init__(
        self,
        sqlite: bool,
        expr: ColumnElement[Any],
        extra: Predicate | None = None,
        resource_type: str = USER,
    ):
        self.sqlite = sqlite
        self.expr = expr
        self.extra = extra
        self.resource_type = resource_type

    def present(self) -> Predicate:
        test = self.expr > 0
        return and_(test, self.extra) if self.extra is not None else test

    def _text(self) -> ColumnElement[Any]:
        number = cast(self.expr, String)
        head = resource_ids.prefix(self.resource_type)
        return literal(head, String) + number if head else number

    def compare(self, op: str, value: Literal_) -> Predicate:
        if not isinstance(value, str):
            return false()
        if op == "eq":
            item_id = resource_ids.parse(self.resource_type, value)
            if item_id is None:
                return false()
            return and_(self.present(), self.expr == item_id)
        as_text = TextTarget(self.sqlite, self._text(), case_exact=True)
        return and_(self.present(), as_text.compare(op, value))

    def sort_key(self) -> ColumnElement[Any]:
        return case((self.present(), self._text()), else_=None)


class DateTarget:
    def __init__(self, expr: ColumnElement[Any]):
        self.expr = expr

    def present(self) -> Predicate:
        return self.expr.is_not(None)

    def compare(self, op: str, value: Literal_) -> Predicate:
        moment = parse_datetime(value) if isinstance(value, str) else None
        if moment is None or op in ("co", "sw", "ew"):
            return false()
        naive = moment.astimezone(timezone.utc).replace(tzinfo=None)
        return and_(self.present(), _at_stored_precision(self.expr, op, naive))

    def sort_key(self) -> ColumnElement[Any]:
        return self.expr


def _at_stored_precision(expr: ColumnElement[Any], op: str, moment: datetime) -> Predicate:
    """`expr op moment` for a column GLPI keeps to the second.

    A stored second S stands for any instant of [S, S+1s): keep every row whose instant may
    satisfy the comparison, so that a delta query (`meta.lastModified ge` the time of the
    last pull, with milliseconds) never misses a change made later in that same second.
    """
    second = moment.replace(microsecond=0)
    if op in ("gt", "ge"):
        return expr >= second
    if op == "lt" and moment == second:
        return expr < second  # [S, S+1s) holds nothing before S itself
    if op in ("lt", "le"):
        return expr <= second
    if op == "eq":
        return expr == second
    return false()  # co/sw/ew on a dateTime


class ConstTarget:
    """A value every row has (meta.resourceType, groups.type, members.type)."""

    def __init__(self, value: str, case_exact: bool):
        self.value = value
        self.case_exact = case_exact

    def present(self) -> Predicate:
        return true()

    def compare(self, op: str, value: Literal_) -> Predicate:
        if not isinstance(value, str):
            return false()
        mine, theirs = scim_fold(self.value, self.case_exact), scim_fold(value, self.case_exact)
        checks = {
            "eq": mine == theirs,
            "co": theirs in mine,
            "sw": mine.startswith(theirs),
            "ew": mine.endswith(theirs),
            "gt": mine > theirs,
            "ge": mine >= theirs,
            "lt": mine < theirs,
            "le": mine <= theirs,
        }
        return true() if checks.get(op, False) else false()

    def sort_key(self) -> ColumnElement[Any]:
        return literal(self.value)


class SubqueryTarget:
    """A value of another row reached by a foreign key: `fk IN (SELECT id ... WHERE test)`."""

    def __init__(
        self, fk: ColumnElement[Any], key: ColumnElement[Any], inner: Target, value: Any = None
    ):
        self.fk = fk
        self.key = key
        self.inner = inner
        self.value = value  # scalar for sorting

    def _where(self, test: Predicate) -> Predicate:
        return self.fk.in_(select(self.key).where(test))

    def present(self) -> Predicate:
        return self._where(self.inner.present())

    def compare(self, op: str, value: Literal_) -> Predicate:
        return self._where(self.inner.compare(op, value))

    def sort_key(self) -> ColumnElement[Any]:
        return self.value if self.value is not None else self.inner.sort_key()
