"""The Table objects of GLPI's tables match GLPI 10.0.19's real schema, column by column.

The MariaDB test database is loaded from GLPI's own schema dump, so reflecting it gives the
ground truth; a column added, renamed or retyped on either side fails here.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import String, UniqueConstraint, inspect
from sqlalchemy.dialects import mysql

from glpi_scim.db import tables
from glpi_scim.db.database import Database

pytestmark = pytest.mark.mysql
MYSQL = mysql.dialect()


def type_text(type_: Any) -> str:
    """The MySQL type as DDL, without integer display widths or collation clauses."""
    compiled = str(type_.compile(dialect=MYSQL))
    compiled = re.sub(r" (COLLATE|CHARACTER SET) \w+", "", compiled)
    return re.sub(r"^(TINYINT|SMALLINT|MEDIUMINT|INTEGER|BIGINT)\(\d+\)", r"\1", compiled)


def default_text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(getattr(value, "arg", value))
    return None if text.upper() == "NULL" else text.strip("'")


@pytest.fixture(scope="module")
def reflected(request: pytest.FixtureRequest) -> dict[str, Any]:
    database: Database = request.getfixturevalue("_mysql_session_database")
    with database.connect() as connection:
        inspector = inspect(connection)
        return {
            table.name: {
                "columns": inspector.get_columns(table.name),
                "unique": inspector.get_unique_constraints(table.name),
                "pk": inspector.get_pk_constraint(table.name),
            }
            for table in tables.GLPI_TABLES
        }


@pytest.mark.parametrize("table", tables.GLPI_TABLES, ids=lambda t: t.name)
def test_columns_match_glpi(table: Any, reflected: dict[str, Any]) -> None:
    real = {column["name"]: column for column in reflected[table.name]["columns"]}
    ours = {column.name: column for column in table.columns}
    assert sorted(ours) == sorted(real), "column names differ from GLPI's"
    mismatches = []
    for name, column in ours.items():
        glpi = real[name]
        if type_text(column.type) != type_text(glpi["type"]):
            mismatches.append(f"{name}: type {type_text(column.type)} != {type_text(glpi['type'])}")
        if column.nullable != glpi["nullable"]:
            mismatches.append(f"{name}: nullable {column.nullable} != {glpi['nullable']}")
        if default_text(column.server_default) != default_text(glpi["default"]):
            mismatches.append(
                f"{name}: default {default_text(column.server_default)!r} != "
                f"{default_text(glpi['default'])!r}"
            )
        if column.primary_key and bool(column.autoincrement is True) != bool(
            glpi.get("autoincrement")
        ):
            mismatches.append(f"{name}: auto-increment differs")
    assert mismatches == []


@pytest.mark.parametrize("table", tables.GLPI_TABLES, ids=lambda t: t.name)
def test_keys_match_glpi(table: Any, reflected: dict[str, Any]) -> None:
    real_unique = {tuple(u["column_names"]) for u in reflected[table.name]["unique"]}
    ours_unique = {
        tuple(column.name for column in constraint.columns)
        for constraint in table.constraints
        if isinstance(constraint, UniqueConstraint)
    }
    assert ours_unique == real_unique
    assert [c.name for c in table.primary_key.columns] == reflected[table.name]["pk"][
        "constrained_columns"
    ]


def test_comparison_sees_a_difference() -> None:
    # The normalisation must not hide real differences (unsigned, length, text size).
    assert type_text(tables.UINT) != type_text(tables.INT)
    assert type_text(String(255)) != type_text(String(100))
    assert type_text(tables.TEXT) != type_text(tables.LONGTEXT)
    assert type_text(mysql.INTEGER(display_width=10, unsigned=True)) == type_text(tables.UINT)
