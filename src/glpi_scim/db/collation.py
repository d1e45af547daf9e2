"""How GLPI's database compares text, reproduced where the database cannot do it.

GLPI's tables use `utf8mb4_unicode_ci`: comparisons ignore case and accents, and `=` ignores
trailing spaces (PAD SPACE) while `LIKE` does not. On MariaDB the tool lets the collation
decide; on SQLite, whose built-in `lower()` and `NOCASE` only fold ASCII, it registers these
functions on each connection and compares their results instead:

- `glpi_key(text)`: the key `=` compares (folded, trailing spaces dropped);
- `glpi_fold(text)`: the folded text `LIKE` and ordering compare.

Calling Python for every row is slow, so the SQL built here only does it for text holding a
character outside printable ASCII: for the rest SQLite's own `lower()` and `LIKE` (which fold
ASCII) give the same answer at C speed. The columns looked up by equality on large tables (logins,
e-mail addresses) instead have an index on `glpi_key(column)` (`KEY_INDEXES`, SQLite only), and
`=` on them compares that exact expression so that SQLite reads the index instead of every row.
Such an index makes the function part of the file's schema: every connection that writes those
tables must have the functions registered (database.py does it on connect).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Boolean, Column, ColumnElement, and_, case, false, func, true, type_coerce

KEY_FUNCTION = "glpi_key"
FOLD_FUNCTION = "glpi_fold"


def fold(text: str) -> str:
    """Case- and accent-insensitive form of `text` (compatibility decomposition, marks removed)."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.casefold()


def collation_key(text: str) -> str:
    """Two texts are equal for GLPI's collation when their keys are equal."""
    return fold(text).rstrip(" ")


def _sql_fold(value: Any) -> Any:
    return fold(value) if isinstance(value, str) else value


def _sql_key(value: Any) -> Any:
    return collation_key(value) if isinstance(value, str) else value


def register_sqlite_functions(dbapi_connection: Any) -> None:
    """Make glpi_key() and glpi_fold() available on a sqlite3 connection."""
    dbapi_connection.create_function(KEY_FUNCTION, 1, _sql_key, deterministic=True)
    dbapi_connection.create_function(FOLD_FUNCTION, 1, _sql_fold, deterministic=True)


@dataclass(frozen=True)
class KeyIndex:
    """A SQLite index on `glpi_key(column)` of one of GLPI's tables."""

    name: str
    table: str
    column: str

    @property
    def ddl(self) -> str:
        return (
            f"CREATE INDEX IF NOT EXISTS {self.name} "
            f"ON {self.table} ({KEY_FUNCTION}({self.column}))"
        )


KEY_INDEXES = (
    KeyIndex("glpi_users_name_key", "glpi_users", "name"),
    KeyIndex("glpi_useremails_email_key", "glpi_useremails", "email"),
)
_KEYED = {(index.table, index.column) for index in KEY_INDEXES}


def has_key_index(expr: ColumnElement[Any]) -> bool:
    """Whether `expr` is a column (of its table or of an alias of it) with a key index."""
    if not isinstance(expr, Column):
        return False
    return any(
        isinstance(base, Column)
        and base.table is not None
        and (getattr(base.table, "name", None), base.name) in _KEYED
        for base in expr.base_columns
    )


# GLOB pattern: some character outside printable ASCII (space to tilde).
_EXOTIC = "*[^ -~]*"


def _exotic(expr: ColumnElement[Any]) -> ColumnElement[bool]:
    return expr.op("GLOB")(_EXOTIC)


def _plain_equal(expr: ColumnElement[Any], key: str) -> ColumnElement[bool]:
    """`expr` has `key` as its key, for text of printable ASCII only (whose key is its
    lower-cased text without trailing spaces)."""
    test: ColumnElement[bool] = (
        func.lower(func.rtrim(expr, " ")) == key if key.isascii() else false()
    )
    return test


def _key_equal(expr: ColumnElement[Any], value: str) -> ColumnElement[bool]:
    """SQLite: `glpi_key(expr) = key`, the expression of a key index, so that it is used.

    The test in front of it is implied by it and only matters for a file still without the
    index: SQLite then tests it first on each row, in C, and calls Python only for the rows it
    lets through (non-ASCII text, and ASCII text already equal).
    """
    key = collation_key(value)
    quick = type_coerce(case((_exotic(expr), true()), else_=_plain_equal(expr, key)), Boolean)
    return and_(quick, func.glpi_key(expr) == key)


def sqlite_equal(expr: ColumnElement[Any], value: str) -> ColumnElement[bool]:
    """SQLite: `expr` equals `value` for GLPI's collation (through the key index if it has one)."""
    if has_key_index(expr):
        return _key_equal(expr, value)
    key = collation_key(value)
    test = case((_exotic(expr), func.glpi_key(expr) == key), else_=_plain_equal(expr, key))
    return type_coerce(test, Boolean)


def sqlite_equal_key(expr: ColumnElement[Any], key: Any) -> ColumnElement[bool]:
    """sqlite_equal for a value whose collation_key is the bound parameter `key`: the same
    statement for every value, so that it is built once (sqlite_equal tailors the SQL to its
    value). For printable ASCII text the key is the lower-cased text without trailing spaces,
    which a non-ASCII key never equals."""
    plain = func.lower(func.rtrim(expr, " ")) == key
    if has_key_index(expr):
        quick = type_coerce(case((_exotic(expr), true()), else_=plain), Boolean)
        return and_(quick, func.glpi_key(expr) == key)
    return type_coerce(case((_exotic(expr), func.glpi_key(expr) == key), else_=plain), Boolean)


def sqlite_like(expr: ColumnElement[Any], folded_pattern: str, escape: str) -> ColumnElement[bool]:
    """SQLite: `expr LIKE pattern`, case- and accent-insensitively (pattern already folded)."""
    test = case(
        (_exotic(expr), func.glpi_fold(expr).like(folded_pattern, escape=escape)),
        else_=expr.like(folded_pattern, escape=escape),
    )
    return type_coerce(test, Boolean)


def sqlite_folded(expr: ColumnElement[Any]) -> ColumnElement[Any]:
    """SQLite: the folded text of `expr`, for ordering."""
    return case((_exotic(expr), func.glpi_fold(expr)), else_=func.lower(expr))
