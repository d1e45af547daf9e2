"""Filters, sorting and paging run in SQL, checked against the SCIM core's in-memory semantics.

The same data is read back through the store; every filter then runs twice: as SQL (the store)
and in memory (glpi_scim.scim.filter.matches) over the resources the store returns. They must
select the same resources. Values are ASCII without trailing spaces, and ordering literals are
letters only: there GLPI's collation and the in-memory comparison agree by construction.
dateTime comparisons are the exception: GLPI keeps the second, and a comparison keeps a
resource when some instant of its second satisfies it (`in_doubt`).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from glpi_scim.db.database import Database
from glpi_scim.glpi.store import GlpiStore
from glpi_scim.scim.ast import Compare
from glpi_scim.scim.errors import InvalidFilter, InvalidValue
from glpi_scim.scim.filter import matches, parse_filter, to_string
from glpi_scim.scim.memory import sort_resources
from glpi_scim.scim.query import sort_path_for
from glpi_scim.scim.schemas import GROUP_TYPE, USER_TYPE, split_attr_path
from glpi_scim.scim.store import ListQuery, MemberChange
from glpi_scim.scim.values import parse_datetime

from .support import ENTERPRISE, Clock, group, user

PEOPLE: list[dict[str, Any]] = [
    {
        "userName": "alice",
        "externalId": "EXT-a",
        "name": {"givenName": "Alice", "familyName": "Smith", "formatted": "Alice Smith"},
        "displayName": "Alice S",
        "nickName": "Ali",
        "title": "Engineer",
        "userType": "Employee",
        "preferredLanguage": "fr-FR",
        "timezone": "Europe/Paris",
        "emails": [
            {"value": "alice@example.com", "type": "work", "primary": True},
            {"value": "ahome@mail.test", "type": "home", "display": "Home"},
        ],
        "phoneNumbers": [
            {"value": "555 0101", "type": "work"},
            {"value": "555 0102", "type": "mobile"},
            {"value": "555 0199", "type": "fax"},
        ],
        "addresses": [{"type": "work", "locality": "Paris", "country": "FR", "primary": True}],
        "roles": [{"value": "admin"}],
        ENTERPRISE: {"employeeNumber": "E100", "department": "Research", "manager": {"value": "2"}},
    },
    {
        "userName": "bob",
        "externalId": "ext-B",
        "name": {"givenName": "Bob", "familyName": "Jones"},
        "title": "engineer",
        "userType": "Contractor",
        "locale": "en-US",
        "active": False,
        "emails": [{"value": "bob@corp.test", "type": "work"}],
        "phoneNumbers": [{"value": "555 0201", "type": "other"}],
        "addresses": [
            {"type": "home", "locality": "Berlin", "country": "DE"},
            {"type": "work", "locality": "Paris", "country": "FR"},
        ],
        ENTERPRISE: {"employeeNumber": "E200", "department": "Sales"},
    },
    {
        "userName": "carol",
        "name": {"familyName": "Brown"},
        "displayName": "Carol B",
        "nickName": "Caz",
        "title": "Manager",
        "emails": [{"value": "carol@example.com", "primary": True, "type": "other"}],
        "ims": [{"value": "carolim", "type": "xmpp"}],
        ENTERPRISE: {"costCenter": "Sales"},
    },
    {
        "userName": "dave",
        "timezone": "America/Denver",
        "phoneNumbers": [{"value": "9", "type": "home"}],
    },
]


@pytest.fixture
def people(store: GlpiStore, clock: Clock) -> dict[str, str]:
    ids: dict[str, str] = {}
    for person in PEOPLE:
        clock.tick(60)
        ids[person["userName"]] = store.create("User", user(**person))["id"]
    alice, bob, carol = ids["alice"], ids["bob"], ids["carol"]
    store.update(  # alice's manager becomes carol, so manager.displayName is carol's name
        "User",
        alice,
        lambda current: {
            **current,
            ENTERPRISE: {**current[ENTERPRISE], "manager": {"value": carol}},
        },
    )
    clock.tick(60)
    team = store.create(
        "Group",
        group(displayName="Team", externalId="G-1", members=[{"value": alice}, {"value": bob}]),
    )
    clock.tick(60)
    store.create("Group", group(displayName="Ops", members=[{"value": carol}]))
    clock.tick(60)
    store.create("Group", group(displayName="Empty"))
    ids["team"] = team["id"]
    return ids


def everything(store: GlpiStore, kind: str) -> list[dict[str, Any]]:
    page = store.list(kind, ListQuery(count=1000))
    assert page.total == len(page.resources)
    return page.resources


def selected(store: GlpiStore, kind: str, text: str) -> list[str]:
    page = store.list(kind, ListQuery(filter=parse_filter(text, kind), count=1000))
    assert page.total == len(page.resources)
    return sorted(r["id"] for r in page.resources)


def expected(resources: list[dict[str, Any]], kind: str, text: str) -> list[str]:
    tree = parse_filter(text, kind)
    dated = isinstance(tree, Compare) and tree.path.attr == "meta" and isinstance(tree.value, str)
    if dated and tree.path.sub_attr in ("created", "lastModified"):
        sub, op, operand = tree.path.sub_attr, tree.op, tree.value
        return sorted(r["id"] for r in resources if in_doubt(r["meta"].get(sub), op, operand))
    return sorted(r["id"] for r in resources if matches(tree, r, kind))


def in_doubt(stored: str | None, op: str, operand: str) -> bool:
    """GLPI keeps a dateTime to the second: whether some instant of that second satisfies the
    comparison (the filter keeps a resource when in doubt). Without a value only `ne` holds."""
    if stored is None:
        return op == "ne"
    start, moment = parse_datetime(stored), parse_datetime(operand)
    assert start is not None and moment is not None and start.microsecond == 0
    end = start + timedelta(seconds=1)
    within = start <= moment < end
    return {
        "eq": within,
        "ne": not within,
        "gt": moment < end,
        "ge": moment < end,
        "lt": start < moment,
        "le": start <= moment,
    }[op]


def literal(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


USER_STRINGS = [
    "userName", "name.givenName", "name.familyName", "name.formatted", "displayName", "nickName",
    "title", "userType", "preferredLanguage", "locale", "timezone", "externalId", "id",
    "emails.value", "emails.type", "emails.display", "emails", "phoneNumbers.value",
    "phoneNumbers.type", "phoneNumbers", "addresses.country", "addresses.locality",
    "addresses.type", "ims.value", "ims.type", "roles.value", "groups.value", "groups.display",
    "groups.type", "meta.resourceType",
    f"{ENTERPRISE}:employeeNumber", f"{ENTERPRISE}:department", f"{ENTERPRISE}:costCenter",
    f"{ENTERPRISE}:manager.value", f"{ENTERPRISE}:manager.displayName",
]  # fmt: skip


def values_of(resources: list[dict[str, Any]], path: str) -> set[str]:
    """Every string value `path` has in the data, to build literals from."""
    attr = split_attr_path(path)
    assert attr is not None
    found: set[str] = set()
    for resource in resources:
        holder = resource.get(attr.schema) if attr.schema else resource
        value = (holder or {}).get(attr.attr)
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, dict):
                item = item.get(attr.sub_attr or "value")
            elif attr.sub_attr is not None:
                item = None
            if isinstance(item, str):
                found.add(item)
    return found


def literals(values: set[str]) -> Iterator[str]:
    for value in sorted(values)[:2]:
        yield value
        yield value.upper()
        if len(value) > 2:
            yield value[1:-1]
    yield "zz-none"
    yield ""


def leaf_filters(resources: list[dict[str, Any]]) -> Iterator[str]:
    for path in USER_STRINGS:
        yield f"{path} pr"
        yield f"not ({path} pr)"
        yield f"{path} eq null"
        yield f"{path} ne null"
        for value in literals(values_of(resources, path)):
            for op in ("eq", "ne", "co", "sw", "ew"):
                yield f"{path} {op} {literal(value)}"
        for word in ("b", "engineer", "Smith"):
            for op in ("gt", "ge", "lt", "le"):
                yield f"{path} {op} {literal(word)}"
    for flag in ("active", "emails.primary", "addresses.primary"):
        for value in ("true", "false"):
            yield f"{flag} eq {value}"
            yield f"{flag} ne {value}"
    for path in ("meta.created", "meta.lastModified"):
        for moment in (
            "2025-03-04T10:21:30Z",
            "2025-03-04T10:22:30.000Z",
            "2025-03-04T11:22:30+01:00",
            "2025-03-04T10:22:30.103Z",
            "2025-03-04T10:23:29.999Z",
            "2025-03-04T11:23:30.5+01:00",
        ):
            for op in ("eq", "ne", "gt", "ge", "lt", "le"):
                yield f"{path} {op} {literal(moment)}"


def test_every_operator_on_every_user_attribute(store: GlpiStore, people: dict[str, str]) -> None:
    resources = everything(store, "User")
    checked = 0
    for text in leaf_filters(resources):
        assert selected(store, "User", text) == expected(resources, "User", text), text
        checked += 1
    assert checked > 800


COMPOUND = [
    'emails[type eq "work" and value co "example"]',
    'emails[type eq "work"].value eq "bob@corp.test"',
    "emails[primary eq true]",
    "not (emails[primary eq true])",
    'emails[not (type eq "work")]',
    "emails[display pr]",
    'emails[type ne "home"]',
    'phoneNumbers[type eq "mobile"]',
    'phoneNumbers[type eq "fax" or type eq "home"]',
    'phoneNumbers[type eq "work" and value sw "555"]',
    'addresses[country eq "FR" and primary eq true]',
    'addresses[country eq "fr" and locality eq "paris"]',
    'addresses[type eq "home" and country eq "FR"]',
    'groups[display eq "team"]',
    'userName sw "a" or userName sw "b"',
    'userName sw "a" and title eq "ENGINEER"',
    'not (userName eq "alice") and active eq true',
    '(title eq "engineer" or nickName pr) and not (emails.type eq "other")',
    "name pr",
    "not (name pr)",
    f"{ENTERPRISE}:manager pr",
    "meta pr",
    'title ne "Engineer" and userType pr',
    'emails.value ne "alice@example.com"',
    'phoneNumbers.value ne "555 0101"',
]


def test_compound_and_value_path_filters(store: GlpiStore, people: dict[str, str]) -> None:
    resources = everything(store, "User")
    for text in COMPOUND:
        assert selected(store, "User", text) == expected(resources, "User", text), text


GROUP_FILTERS = [
    'displayName eq "TEAM"', 'displayName co "e"', 'displayName sw "O"', 'displayName gt "m"',
    'members pr', 'not (members pr)', 'members.value eq "{alice}"', 'members[value eq "{carol}"]',
    'members.display co "smith"', 'members.type eq "user"', 'externalId eq "G-1"',
    'externalId eq "g-1"', 'id eq "{team}"', 'meta.created gt "2025-03-04T10:25:00Z"',
    'members.value ne "{alice}"',
]  # fmt: skip


def test_group_filters(store: GlpiStore, people: dict[str, str]) -> None:
    resources = everything(store, "Group")
    for template in GROUP_FILTERS:
        text = template.format(**people)
        assert selected(store, "Group", text) == expected(resources, "Group", text), text


def _leaf_strategy() -> st.SearchStrategy[str]:
    paths = st.sampled_from(["userName", "title", "emails.value", "addresses.country", "nickName"])
    ops = st.sampled_from(["eq", "ne", "co", "sw", "ew", "gt", "lt"])
    words = st.sampled_from(["a", "alice", "Paris", "FR", "Engineer", "example", "o", "zz"])
    return st.builds(lambda p, o, w: f"{p} {o} {literal(w)}", paths, ops, words)


def _filter_strategy() -> st.SearchStrategy[str]:
    return st.recursive(
        _leaf_strategy(),
        lambda inner: st.one_of(
            st.builds(lambda a, b: f"({a}) and ({b})", inner, inner),
            st.builds(lambda a, b: f"({a}) or ({b})", inner, inner),
            st.builds(lambda a: f"not ({a})", inner),
        ),
        max_leaves=6,
    )


def test_random_boolean_combinations(store: GlpiStore, people: dict[str, str]) -> None:
    resources = everything(store, "User")

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(_filter_strategy())
    def check(text: str) -> None:
        assert selected(store, "User", text) == expected(resources, "User", text), text

    check()


SORTABLE_USER = [
    "userName", "name.familyName", "name.givenName", "displayName", "nickName", "title",
    "userType", "timezone", "externalId", "active", "meta.created", "meta.lastModified",
    "emails", "emails.value", "addresses.locality", f"{ENTERPRISE}:employeeNumber",
    f"{ENTERPRISE}:department", f"{ENTERPRISE}:manager.value",
]  # fmt: skip


@pytest.mark.parametrize("descending", [False, True], ids=["ascending", "descending"])
def test_sort_on_each_sortable_attribute(
    store: GlpiStore, people: dict[str, str], descending: bool
) -> None:
    resources = everything(store, "User")
    for text in SORTABLE_USER:
        attr = split_attr_path(text)
        assert attr is not None
        path = sort_path_for(attr, USER_TYPE)
        assert path is not None
        page = store.list("User", ListQuery(sort_by=path, descending=descending, count=1000))
        wanted = sort_resources(resources, USER_TYPE, path, descending)
        assert [r["id"] for r in page.resources] == [r["id"] for r in wanted], text
    groups = everything(store, "Group")
    path = sort_path_for(split_attr_path("displayName"), GROUP_TYPE)  # type: ignore[arg-type]
    assert path is not None
    page = store.list("Group", ListQuery(sort_by=path, descending=descending))
    wanted = sort_resources(groups, GROUP_TYPE, path, descending)
    assert [r["id"] for r in page.resources] == [r["id"] for r in wanted]


def test_paging_edges(store: GlpiStore, people: dict[str, str]) -> None:
    every = [r["id"] for r in everything(store, "User")]
    assert len(every) == 9
    page = store.list("User", ListQuery(count=0))
    assert (page.total, page.resources) == (9, [])
    page = store.list("User", ListQuery(start_index=20, count=5))
    assert (page.total, page.resources) == (9, [])
    page = store.list("User", ListQuery(start_index=9, count=5))
    assert [r["id"] for r in page.resources] == every[8:]
    pages = [
        [r["id"] for r in store.list("User", ListQuery(start_index=s, count=4)).resources]
        for s in (1, 5, 9)
    ]
    assert list(itertools.chain(*pages)) == every
    filtered = store.list(
        "User", ListQuery(filter=parse_filter('userName ne "glpi"', "User"), start_index=2, count=2)
    )
    assert filtered.total == 8 and len(filtered.resources) == 2


def test_list_honours_skip(store: GlpiStore, people: dict[str, str]) -> None:
    users = store.list("User", ListQuery(skip=frozenset({"groups"}), count=100)).resources
    assert all("groups" not in r for r in users)
    full = {r["id"]: r["meta"]["version"] for r in everything(store, "User")}
    assert {r["id"]: r["meta"]["version"] for r in users} == full
    groups = store.list("Group", ListQuery(skip=frozenset({"members"}))).resources
    assert groups and all("members" not in r for r in groups)


@pytest.mark.parametrize(
    "text", ['members.$ref eq "x"', f"{ENTERPRISE}:manager.$ref pr", 'meta.version eq "x"']
)
def test_unfilterable_attributes_are_refused(store: GlpiStore, text: str) -> None:
    kind = "Group" if text.startswith("members") else "User"
    from glpi_scim.scim.ast import AttrPath, Compare, Present

    path, _, rest = text.partition(" ")
    attr = split_attr_path(path)
    assert attr is not None
    tree = Present(attr) if rest == "pr" else Compare(attr, "eq", "x")
    with pytest.raises(InvalidFilter):
        store.list(kind, ListQuery(filter=tree))
    with pytest.raises(InvalidFilter):
        store.list("User", ListQuery(filter=Compare(AttrPath("nosuch"), "eq", "x")))


def test_unsortable_attributes_are_refused(store: GlpiStore) -> None:
    from glpi_scim.scim.ast import AttrPath

    with pytest.raises(InvalidValue):
        store.list("User", ListQuery(sort_by=AttrPath("groups", "value")))
    with pytest.raises(InvalidValue):
        store.list("User", ListQuery(sort_by=AttrPath("name")))


def test_like_wildcards_are_literal(store: GlpiStore) -> None:
    store.create("User", user(userName="per_cent", nickName="100%_sure"))
    store.create("User", user(userName="percent", nickName="1000 sure"))
    assert selected(store, "User", 'nickName co "%_"') == selected(
        store, "User", 'userName eq "per_cent"'
    )
    assert selected(store, "User", 'userName co "_"') == selected(
        store, "User", 'userName eq "per_cent"'
    )
    assert len(selected(store, "User", 'nickName sw "100"')) == 2


def test_encoded_text_filters_on_the_decoded_value(store: GlpiStore) -> None:
    rd = store.create("User", user(userName="rd", name={"familyName": "R&D <lab>"}, title="A&B"))[
        "id"
    ]
    store.create("User", user(userName="other", name={"familyName": "R 38 D"}))
    assert selected(store, "User", 'name.familyName eq "r&d <lab>"') == [rd]
    assert selected(store, "User", 'name.familyName co "&"') == [rd]
    assert selected(store, "User", 'name.familyName co "38"') != [rd]
    assert rd not in selected(store, "User", 'name.familyName co "#38"')
    assert selected(store, "User", 'name.familyName ew "<lab>"') == [rd]
    assert selected(store, "User", 'title eq "a&b"') == [rd]


def test_collation_semantics_for_logins(store: GlpiStore) -> None:
    jose = store.create("User", user(userName="José"))["id"]
    # GLPI's collation: accents, case and (for eq) trailing spaces do not matter.
    assert selected(store, "User", 'userName eq "JOSE"') == [jose]
    assert selected(store, "User", 'userName eq "jose  "') == [jose]
    assert selected(store, "User", 'userName sw "jos"') == [jose]


def test_membership_filters_follow_changes(store: GlpiStore, people: dict[str, str]) -> None:
    team, dave = people["team"], people["dave"]
    query = f'groups.value eq "{team}"'
    assert dave not in selected(store, "User", query)
    store.change_members(team, MemberChange(add=[{"value": dave}]))
    assert dave in selected(store, "User", query)


def test_page_costs_a_fixed_number_of_queries(
    store: GlpiStore, people: dict[str, str], database: Database
) -> None:
    from sqlalchemy import event

    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(database.engine, "before_cursor_execute", count)
    try:
        store.list("User", ListQuery(count=3))
        few = len(statements)
        statements.clear()
        store.list("User", ListQuery(count=100))
        many = len(statements)
    finally:
        event.remove(database.engine, "before_cursor_execute", count)
    assert few == many <= 6


def test_filter_round_trips_through_printer() -> None:
    # The filters above are printed back by the core's printer without loss (sanity of the
    # test data itself).
    for text in COMPOUND:
        tree = parse_filter(text, "User")
        assert parse_filter(to_string(tree), "User") == tree
