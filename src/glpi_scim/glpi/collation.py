"""How GLPI's database compares text, reproduced where the database cannot do it.

GLPI's tables use `utf8mb4_unicode_ci`: comparisons ignore case and accents, and `=` ignores
trailing spaces (PAD SPACE) while `LIKE` does not. On MariaDB the tool lets the collation
decide; on SQLite, whose built-in `lower()` and `NOCASE` only fold ASCII, it registers these
functions on each connection and compares their results instead:

- `glpi_key(text)`: the key `=` compares (folded, trailing spaces dropped);
- `glpi_fold(text)`: the folded text `LIKE` and ordering compare.
"""

from __future__ import annotations

import unicodedata
from typing import Any

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
