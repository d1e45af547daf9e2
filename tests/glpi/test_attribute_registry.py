"""The attribute registry: each declaration carries its own table, and one more dropdown is
one declaration (here a department dropdown on a table of its own, declared in a few lines and
run against a real SQLite file: read, render, split, write with history, filter)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, select, update

from glpi_scim import glpi as glpi_package
from glpi_scim.db import tables
from glpi_scim.db.database import Database
from glpi_scim.glpi import history
from glpi_scim.glpi.attributes.base import WriteContext
from glpi_scim.glpi.attributes.dropdown import Dropdown
from glpi_scim.glpi.attributes.registry import BY_KEY, DROPDOWNS
from glpi_scim.glpi.attributes.registry import USER as USER_ATTRIBUTES
from glpi_scim.glpi.attributes.targets import Frame
from glpi_scim.glpi.store import GlpiStore
from glpi_scim.identity.models import IdentityServer
from glpi_scim.scim.errors import InvalidValue
from glpi_scim.scim.filter import parse_filter
from glpi_scim.scim.store import USER, ListQuery

from .support import APPLIED, ENTERPRISE, Rows, glpi_id, user

NOW = datetime(2026, 1, 2, 3, 4, 5)

# A dropdown GLPI does not have, on a table of its own: what a new declaration needs to say.
_EXTRA = MetaData()
DEPARTMENTS = Table(
    "glpi_test_departments",
    _EXTRA,
    Column("id", Integer, primary_key=True),
    Column("name", String(255)),
    Column("date_mod", String(30)),
    Column("date_creation", String(30)),
)
DEPARTMENT = Dropdown(
    "department", "locations_id", DEPARTMENTS, "TestDepartment", 3, container=ENTERPRISE
)


def test_every_dropdown_names_its_own_table() -> None:
    assert {d.attribute: d.table for d in DROPDOWNS} == {
        "title": tables.usertitles,
        "userType": tables.usercategories,
    }
    assert BY_KEY[(None, "title", None)].table is tables.usertitles  # type: ignore[union-attr]


@pytest.mark.parametrize("database", ["sqlite", "mysql"], indirect=True)
def test_title_and_user_type_filter_on_their_own_tables(store: GlpiStore) -> None:
    boss = store.create("User", user(userName="boss", title="Chief"))
    chief = store.create("User", user(userName="typed", userType="Chief"))

    def found(text: str) -> list[str]:
        page = store.list("User", ListQuery(filter=parse_filter(text, "User")))
        return [r["id"] for r in page.resources]

    assert found('title eq "chief"') == [boss["id"]]
    assert found('userType eq "chief"') == [chief["id"]]
    assert found("userType pr") == [chief["id"]]


@pytest.fixture
def departments(sqlite_database: Database) -> Database:
    _EXTRA.create_all(sqlite_database.engine)
    return sqlite_database


def _user_id(database: Database) -> int:
    store = GlpiStore(database, IdentityServer(id=1, name="idp", users_id_applied=APPLIED))
    return glpi_id(store.create("User", user(userName="dora"))["id"])


def test_a_new_dropdown_is_one_declaration(departments: Database) -> None:
    user_id = _user_id(departments)
    users = tables.users.alias("scim_u")
    log = history.History("tester", NOW)
    with departments.begin() as connection:
        server = IdentityServer(id=1, name="idp", users_id_applied=APPLIED)
        context = WriteContext(connection, log, NOW, user_id, server, True)
        # split: what the resource asks for, trimmed; bad input is a SCIM error.
        wanted = DEPARTMENT.split({ENTERPRISE: {"department": "  Sales "}})
        assert wanted == "Sales"
        with pytest.raises(InvalidValue):
            DEPARTMENT.split({ENTERPRISE: {"department": {"not": "text"}}})
        # write: found or created by name, with its history rows.
        row = connection.execute(select(tables.users).where(tables.users.c.id == user_id)).one()
        changes: dict[str, int] = {}
        DEPARTMENT.update(context, row, wanted, changes)
        connection.execute(update(tables.users).where(tables.users.c.id == user_id).values(changes))
        log.flush(connection)
        # read and render: the SELECT the declaration adds.
        source = DEPARTMENT.joins(users, users)
        query = select(users.c.id, *DEPARTMENT.columns(users)).select_from(source)
        read = connection.execute(query.where(users.c.id == user_id)).one()
        document: dict[str, Any] = {}
        DEPARTMENT.render(DEPARTMENT.read(read), document, {})
        assert document == {ENTERPRISE: {"department": "Sales"}}
        # filter: its target compares the dropdown's names, as GLPI's collation does.
        frame = Frame(USER, users, tables.scim_resources, "glpi_plugin_scim_resources", True, 1)
        target = DEPARTMENT.target(frame, DEPARTMENT.key)
        matching = select(users.c.id).where(target.compare("eq", "SALES"))
        assert list(connection.execute(matching).scalars()) == [user_id]
        absent = select(users.c.id).where(target.present(), users.c.id != user_id)
        assert list(connection.execute(absent).scalars()) == []
    rows = Rows(departments)
    assert rows.scalar("SELECT name FROM glpi_test_departments") == "Sales"
    # GLPI's field change on the user, under the declaration's search option.
    assert rows.logs("User", user_id)[-1] == (0, "", 3, "&nbsp; (0)", "Sales (1)")
    assert rows.all("SELECT itemtype FROM glpi_logs WHERE itemtype = 'TestDepartment'")


def test_every_single_valued_user_path_is_declared_once() -> None:
    declared = {
        (None, "userName", None),
        (None, "active", None),
        (None, "preferredLanguage", None),
        (None, "locale", None),
        (ENTERPRISE, "manager", None),
        (ENTERPRISE, "manager", "value"),
        (ENTERPRISE, "manager", "displayName"),
    }
    assert declared <= set(BY_KEY)
    assert len({id(d) for d in USER_ATTRIBUTES}) == len(USER_ATTRIBUTES)
    assert len({d.name for d in USER_ATTRIBUTES}) == len(USER_ATTRIBUTES)


@pytest.mark.parametrize("module", ["mapping.py", "sqlfilter.py"])
def test_no_declared_attribute_is_written_out_elsewhere(module: str) -> None:
    # The registry owns these: the loops over it must not name them again.
    source = (Path(glpi_package.__file__).parent / module).read_text()
    for word in ("is_active", "users_id_supervisor", '"preferredLanguage"', '"locale"'):
        assert word not in source, (module, word)
