"""How GLPI's database compares text, reproduced where the database cannot do it.

GLPI's tables use `utf8mb4_unicode_ci`: comparisons ignore case and accents, and `=` ignores
trailing spaces (PAD SPACE) while `LIKE` does not. On MariaDB the tool lets the collation
decide; on SQLite, whose built-in `lower()` and `NOCASE` only fold ASCII, it registers these
functions on each connection and compares their results instead:

- `glpi_key(text)`: the key `=` compares (folded, trailing spaces dropped);
- `glpi_fold(text)`: the folded text `LIKE` and ordering compare.

Calling Python for every row is slow, so the SQL built here only does it for text holding a
character outside printable ASCII: for the rest SQLite's own `lower()` and `LIKE` (which fold
ASCII) give the same answer at C speed.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from sqlalchemy import Boolean, ColumnElement, case, false, func, type_coerce

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


# GLOB pattern: some character outside printable ASCII (space to tilde).
_EXOTIC = "*[^ -~]*"


def _exotic(expr: ColumnElement[Any]) -> ColumnElement[bool]:
    return expr.op("GLOB")(_EXOTIC)


def sqlite_equal(expr: ColumnElement[Any], value: str) -> ColumnElement[bool]:
    """SQLite: `expr` equals `value` for GLPI's collation."""
    key = collation_key(value)
    plain: ColumnElement[bool] = (
        func.lower(func.rtrim(expr, " ")) == key if key.isascii() else false()
    )
    test = case((_exotic(expr), func.glpi_key(expr) == key), else_=plain)
    return type_coerce(test, Boolean)


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
