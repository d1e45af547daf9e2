"""Several reads of a write as one statement: parts of a UNION ALL with the same columns.

A write needs a few unrelated facts before it changes anything (who holds a login, the applied
user's rights, which members a group already has); each was a statement of its own, a round
trip to the database. Here each fact is a part with the same columns (kind, five numbers,
three texts), and the parts go out as one UNION ALL (creation.py for a user's create,
groups.py's member edit).

Locked parts come first: MariaDB runs the parts in order, so their locks are held before the
plain parts read. MariaDB wants each locked part in parentheses, which SQLite refuses around a
part of a compound SELECT (SQLite takes no row locks: its write lock covers the transaction).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from sqlalchemy import literal, null, select, union_all
from sqlalchemy.sql import Select

from glpi_scim.glpi.policy import AuthorizationRow
from glpi_scim.glpi.policy import authorization_rows as policy_rows

NUMBERS, TEXTS = 5, 3
LABELS = ("kind", "n1", "n2", "n3", "n4", "n5", "t1", "t2", "t3")


def columns(kind: int, numbers: Sequence[Any], texts: Sequence[Any] = ()) -> list[Any]:
    """A part's columns: its kind, then its numbers and texts, padded with NULLs."""
    padded = [
        literal(kind),
        *numbers,
        *[null()] * (NUMBERS - len(numbers)),
        *texts,
        *[null()] * (TEXTS - len(texts)),
    ]
    return [value.label(label) for value, label in zip(padded, LABELS, strict=True)]


def statement(locked: Sequence[Select[Any]], plain: Sequence[Select[Any]], sqlite: bool) -> Any:
    """The UNION ALL of the parts, locked ones first (with their FOR UPDATE)."""
    if sqlite or not locked:
        return union_all(*locked, *plain)
    return union_all(*(part.self_group() for part in locked), *plain)


class Row(NamedTuple):
    """A row of such a statement, its numbers as ints (None where a part has none)."""

    kind: int
    n1: Any
    n2: Any
    n3: Any
    n4: Any
    n5: Any
    t1: str | None
    t2: str | None
    t3: str | None

    @classmethod
    def of(cls, row: Any) -> Row:
        # MariaDB gives a UNION's column the widest type of its parts: a DECIMAL for a literal
        # beside an id column.
        n = [None if value is None else int(value) for value in row[1 : 1 + NUMBERS]]
        return cls(int(row[0]), n[0], n[1], n[2], n[3], n[4], row[6], row[7], row[8])


def authorizations_part(kind: int, right: str, actor: Any) -> Select[Any]:
    """The user `actor`'s authorizations with their profile's `right` (policy's
    AuthorizationRow as n1-n4, t1-t3, n5)."""
    found = policy_rows(lambda user: user == actor, right).subquery(f"scim_rights_{kind}")
    numbers = [found.c.users_id, found.c.profiles_id, found.c.entities_id, found.c.is_recursive]
    texts = [found.c.name, found.c.interface, found.c.right_name]
    return select(*columns(kind, [*numbers, found.c.rights], texts))


def authorization_rows(rows: Sequence[Row], kind: int) -> list[AuthorizationRow]:
    """The rows of an authorizations_part."""
    return [
        AuthorizationRow(row.n1, row.n2, row.n3, row.n4, row.t1, row.t2, row.t3, row.n5)
        for row in rows
        if row.kind == kind
    ]
