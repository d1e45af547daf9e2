"""A GET of a user, and a list or filter page, read in a fixed number of statements.

A user with e-mails, phones, a title, a manager, groups and stored attributes: the user row
with its joins is one statement, its e-mails and memberships one more (on MariaDB a GET reads
both in one); a page of many such users costs the same two (its total included), however many
users it holds.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from glpi_scim.db.database import Database
from glpi_scim.glpi.store import GlpiStore
from glpi_scim.scim.ast import AttrPath
from glpi_scim.scim.errors import NotFound
from glpi_scim.scim.filter import parse_filter
from glpi_scim.scim.store import ListQuery, MemberChange

from .support import ENTERPRISE, group, user


@contextmanager
def statements(database: Database) -> Iterator[list[str]]:
    """The SELECTs sent while the block runs (transaction control left out)."""
    sent: list[str] = []

    def capture(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "(SELECT", "WITH")):
            sent.append(statement)

    event.listen(database.engine, "before_cursor_execute", capture)
    try:
        yield sent
    finally:
        event.remove(database.engine, "before_cursor_execute", capture)


def full_user(k: int, manager: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "userName": f"person{k}",
        "name": {"givenName": f"Given{k}", "familyName": "Family"},
        "title": "Engineer",
        "emails": [
            {"value": f"p{k}@example.org", "type": "work", "primary": True},
            {"value": f"p{k}@home.example", "type": "home"},
        ],
        "phoneNumbers": [
            {"value": "+33 1 00", "type": "work"},
            {"value": "+33 6", "type": "mobile"},
        ],
        "addresses": [{"type": "work", "locality": "Lyon"}],
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
    }
    if manager is not None:
        body[ENTERPRISE] = {"manager": {"value": manager}, "department": "R&D"}
    return body


MINE = parse_filter('userName sw "person"', "User")  # GLPI's own users left out


def populate(store: GlpiStore, size: int) -> list[str]:
    boss = store.create("User", user(**full_user(0)))
    ids = [store.create("User", user(**full_user(k, boss["id"])))["id"] for k in range(1, size)]
    team = store.create("Group", group(displayName="Team"))
    store.change_members(team["id"], MemberChange(add=tuple({"value": i} for i in ids)))
    return [boss["id"], *ids]


def test_get_reads_its_user_and_parts_together(store: GlpiStore, database: Database) -> None:
    """MariaDB reads the user's row and its parts in one statement; SQLite, with no round
    trip to save, in two."""
    ids = populate(store, 3)
    with statements(database) as sent:
        found = store.get("User", ids[1])
    assert len(sent) == (2 if database.is_sqlite else 1), sent
    assert [e["value"] for e in found["emails"]] == ["p1@example.org", "p1@home.example"]
    assert [p["type"] for p in found["phoneNumbers"]] == ["work", "mobile"]
    assert [g["display"] for g in found["groups"]] == ["Team"]
    assert found["title"] == "Engineer"
    assert found[ENTERPRISE]["manager"]["value"] == ids[0]
    assert found["addresses"] == [{"type": "work", "locality": "Lyon"}]


def test_a_page_costs_the_same_statements_whatever_its_size(
    store: GlpiStore, database: Database
) -> None:
    populate(store, 12)

    counts = []
    for size in (1, 5, 12):
        with statements(database) as sent:
            page = store.list("User", ListQuery(filter=MINE, count=size))
        assert page.total == 12 and len(page.resources) == size
        assert all(r["emails"] and r["groups"] for r in page.resources[1:])
        assert [r["userName"] for r in page.resources] == [f"person{k}" for k in range(size)]
        counts.append(len(sent))
    assert counts == [2, 2, 2]
    with statements(database) as sent:
        page = store.list(
            "User", ListQuery(filter=parse_filter('title eq "engineer"', "User"), count=100)
        )
    assert page.total == 12 and len(sent) == 2


def test_paging_past_the_end_still_tells_the_total(store: GlpiStore) -> None:
    populate(store, 4)
    beyond = store.list("User", ListQuery(filter=MINE, start_index=10, count=2))
    assert beyond.total == 4 and beyond.resources == []
    only_total = store.list("User", ListQuery(filter=MINE, count=0))
    assert only_total.total == 4 and only_total.resources == []
    nothing = store.list("User", ListQuery(filter=parse_filter('userName eq "nobody"', "User")))
    assert nothing.total == 0 and nothing.resources == []


def test_sorted_pages_put_together_are_the_sorted_list(store: GlpiStore) -> None:
    populate(store, 7)
    sort = AttrPath("userName")
    whole = store.list("User", ListQuery(filter=MINE, sort_by=sort, descending=True, count=100))
    pages = [
        store.list(
            "User", ListQuery(filter=MINE, sort_by=sort, descending=True, start_index=i, count=3)
        )
        for i in (1, 4, 7)
    ]
    assert [r["userName"] for p in pages for r in p.resources] == [
        r["userName"] for r in whole.resources
    ]
    assert [r["userName"] for r in whole.resources] == sorted(
        (r["userName"] for r in whole.resources), reverse=True
    )
    assert all(p.total == 7 for p in pages)


def test_a_group_reads_its_row_and_version_in_one_statement_and_its_members_in_one(
    store: GlpiStore, database: Database
) -> None:
    ids = populate(store, 3)
    team = store.list("Group", ListQuery(filter=parse_filter('displayName eq "Team"', "Group")))
    team_id = team.resources[0]["id"]
    with statements(database) as sent:
        found = store.get("Group", team_id)
    assert len(sent) == 2, sent
    assert [m["value"] for m in found["members"]] == ids[1:]  # the manager is no member
    with statements(database) as sent:
        bare = store.get("Group", team_id, skip=frozenset({"members"}))
    assert len(sent) == 1, sent
    assert "members" not in bare and bare["meta"]["version"] == found["meta"]["version"]
    store.change_members(team_id, MemberChange(remove=(ids[1],)))
    assert store.get("Group", team_id)["meta"]["version"] != found["meta"]["version"]


def test_a_get_of_a_user_the_server_does_not_see_is_not_found(
    store: GlpiStore, database: Database
) -> None:
    """The parts of a user outside the server's view come back with nothing to show them: a
    trashed user with e-mails and groups is not found, and a GET never answers another id."""
    ids = populate(store, 3)
    store.delete("User", ids[1])
    with pytest.raises(NotFound):
        store.get("User", ids[1])
    with pytest.raises(NotFound):
        store.get("User", "999999")
    assert store.get("User", ids[2])["id"] == ids[2]
