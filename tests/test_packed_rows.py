"""A wide SELECT's row packed as one JSON array reads back as the row itself (db/packed.py)."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import bindparam, literal, select

from glpi_scim.db import packed, tables
from glpi_scim.db.database import Database

USERS = tables.users
AWKWARD = 'Zoë "the \\ quote" O\'Brien \U0001f600\n\ttab'


def test_a_packed_row_holds_the_rows_values_with_their_types(database: Database) -> None:
    when = datetime(2026, 12, 7, 23, 59, 58)
    with database.begin() as connection:
        connection.execute(
            USERS.insert(),
            {"id": 4242, "name": AWKWARD, "realname": None, "date_mod": when, "is_active": 1},
        )
        statement = select(
            USERS.c.id,
            USERS.c.name,
            USERS.c.realname,
            USERS.c.date_mod,
            USERS.c.date_creation,
            USERS.c.is_active,
            literal(4294967295).label("large"),
        ).where(USERS.c.id == bindparam("user_id"))
        (plain,) = connection.execute(statement, {"user_id": 4242}).all()
        (row,) = packed.execute(connection, statement, {"user_id": 4242})
    assert dict(row._mapping) == dict(plain._mapping)
    assert (row.name, row.date_mod, row.realname) == (AWKWARD, when, None)
    assert isinstance(row.date_mod, datetime)
    if database.is_sqlite:
        return
    assert type(row).__name__ == "MappedRow"  # one JSON column on MariaDB
    assert packed.pack(statement) is packed.pack(statement)  # packed once per statement


def test_a_packed_date_with_a_fraction_reads_back() -> None:
    statement = select(USERS.c.id, USERS.c.date_mod)
    row = packed.pack(statement).row('[7, "2026-12-07 10:11:12.000000"]')
    assert row.date_mod == datetime(2026, 12, 7, 10, 11, 12)  # MySQL's JSON form


def test_a_select_with_one_label_twice_is_not_packed() -> None:
    with pytest.raises(ValueError, match="distinct labels"):
        packed.pack(select(USERS.c.id, tables.groups.c.id))
