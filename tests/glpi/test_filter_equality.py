"""`attr eq "text"` on a single-valued text attribute, the lookup identity providers send before
each create, runs a page statement built once per attribute with the value bound
(sqlfilter.Equality). It must select exactly what the general compilation of the same filter
selects, for values GLPI's collation and encoding make tricky."""

from __future__ import annotations

from typing import Any

import pytest

from glpi_scim.glpi import groups, users
from glpi_scim.glpi.sqlfilter import SqlFilter
from glpi_scim.glpi.store import GlpiStore
from glpi_scim.scim.filter import parse_filter
from glpi_scim.scim.store import ListQuery

from .support import ENTERPRISE, group, user

LOGINS = ["José", "straße", "o'brien", "a_b-c", "日本", "Ünïcødé", "trail", "x@corp.test"]
TEXTS = ["R&D <lab>", "a%b_c", "Team & Co", "équipe", "line", "José", "EXT-1", "trail "]
PROBES = [
    *LOGINS,
    *TEXTS, "JOSE", "jose  ", "josé", "r&d <lab>", "R&amp;D &lt;lab&gt;", "STRASSE", "strasse",
    "O'BRIEN", "a%b_C", "a_b_c", "A_B-C", "X@CORP.TEST", "ünïcødé", "UNICODE", "trail ",
    " trail", "", " ", "nobody",
    "EXT-1", "ext-1", "Team & Co", "TEAM & CO", "équipe", "EQUIPE ",
]  # fmt: skip
USER_PATHS = [
    "userName", "USERNAME", "externalId", "nickName", "name.familyName", "displayName",
    f"{ENTERPRISE}:employeeNumber", f"{ENTERPRISE}:department",
    "urn:ietf:params:scim:schemas:core:2.0:User:userName",
]  # fmt: skip
GROUP_PATHS = ["displayName", "externalId"]


def literal(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def selected(store: GlpiStore, kind: str, text: str, **query: Any) -> list[str]:
    page = store.list(kind, ListQuery(filter=parse_filter(text, kind), count=1000, **query))
    assert page.total == len(page.resources)
    return sorted(r["id"] for r in page.resources)


@pytest.fixture
def people(store: GlpiStore) -> None:
    for k, login in enumerate(LOGINS):
        store.create(
            "User",
            user(
                userName=login,
                externalId="EXT-1" if k == 0 else f"ext-{k}",
                nickName=TEXTS[k],
                name={"familyName": TEXTS[-1 - k].upper()},
                displayName=f"{login} ",
                **{ENTERPRISE: {"employeeNumber": TEXTS[k], "department": "Team & Co"}},
            ),
        )
    for k, name in enumerate(["Team & Co", "équipe", "EXT-1"]):
        store.create("Group", group(displayName=name, externalId=["ext-1", "EXT-1", "Ext-1"][k]))


@pytest.mark.usefixtures("people")
@pytest.mark.parametrize(("kind", "paths"), [("User", USER_PATHS), ("Group", GROUP_PATHS)])
def test_an_equality_selects_what_the_general_filter_selects(
    store: GlpiStore, kind: str, paths: list[str]
) -> None:
    compiler = SqlFilter((users if kind == "User" else groups).frame(1, store.sqlite))
    found_some = 0
    for path in paths:
        for value in PROBES:
            text = f"{path} eq {literal(value)}"
            assert compiler.equality(parse_filter(text, kind)) is not None, text
            # The same test twice is no Equality: the general compilation answers it.
            general = f"({text}) and ({text})"
            assert compiler.equality(parse_filter(general, kind)) is None
            chosen = selected(store, kind, text)
            assert chosen == selected(store, kind, general), text
            found_some += bool(chosen)
    assert found_some > len(paths) * 2  # the probes do find resources, not only none


@pytest.mark.usefixtures("people")
def test_an_equality_pages_and_counts_as_any_filter(store: GlpiStore) -> None:
    text = 'userName eq "jose"'
    one = selected(store, "User", text)
    assert len(one) == 1
    page = store.list("User", ListQuery(filter=parse_filter(text, "User"), count=0))
    assert (page.total, page.resources) == (1, [])
    beyond = store.list("User", ListQuery(filter=parse_filter(text, "User"), start_index=2))
    assert (beyond.total, beyond.resources) == (1, [])
    department = f'{ENTERPRISE}:department eq "team & co"'
    first = store.list("User", ListQuery(filter=parse_filter(department, "User"), count=3))
    rest = store.list(
        "User", ListQuery(filter=parse_filter(department, "User"), start_index=4, count=100)
    )
    assert first.total == rest.total == len(LOGINS)
    ids = [r["id"] for r in first.resources + rest.resources]
    assert ids == sorted(ids, key=int) and len(set(ids)) == len(LOGINS)


@pytest.mark.usefixtures("people")
def test_an_equality_statement_is_built_once_per_attribute(store: GlpiStore) -> None:
    users._equality_page.cache_clear()
    for value in PROBES:
        selected(store, "User", f"userName eq {literal(value)}")
        selected(store, "User", f"USERNAME eq {literal(value)}")
    info = users._equality_page.cache_info()
    assert info.misses == 1 and info.hits == 2 * len(PROBES) - 1
