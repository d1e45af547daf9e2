"""hypothesis-generated filters, PATCH documents and resources sent over HTTP to a live server:
every answer is either a valid SCIM resource or list (checked with scim2-models, an
independent implementation) or a SCIM Error of an expected kind; never a 5xx or a traceback;
and the database keeps its invariants after every request.

Example counts are bounded for CI; GLPI_SCIM_FUZZ_EXAMPLES scales them for a longer run."""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scim2_models import Context, EnterpriseUser, Group, ListResponse, User

from glpi_scim.db.database import Database

from .conftest import Served
from .support import ENTERPRISE, PATCH_SCHEMA, USER_SCHEMA, consistency_problems, group, user

SCALE = int(os.environ.get("GLPI_SCIM_FUZZ_EXAMPLES", "20")) / 20
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
FullUser = User[EnterpriseUser]  # type: ignore[misc]


def examples(n: int) -> Any:
    return settings(
        max_examples=max(1, int(n * SCALE)),
        deadline=None,
        derandomize="GLPI_SCIM_FUZZ_EXAMPLES" not in os.environ,
        suppress_health_check=list(HealthCheck),
    )


@pytest.fixture
def cases(record_property: Callable[[str, object], None]) -> Iterator[Counter[int]]:
    """Statuses of the generated requests; the total is reported in the terminal summary."""
    statuses: Counter[int] = Counter()
    yield statuses
    record_property("fuzz_cases", sum(statuses.values()))
    record_property("fuzz_statuses", dict(statuses))


@pytest.fixture
def target(database: Database, serve: Callable[..., Served]) -> Served:
    served = serve(database, max_results=25)
    client = served.client
    ids = [
        client.post(
            "/Users",
            user(f"seed{i}", emails=[{"value": f"seed{i}@example.com", "primary": True}]),
        ).json()["id"]
        for i in range(3)
    ]
    client.post("/Groups", group("Seeded", members=[{"value": i} for i in ids]))
    return served


def check_answer(
    response: requests.Response,
    statuses: Counter[int],
    ok: dict[int, Any],
    scim_types: set[str | None],
    database: Database,
) -> Any:
    """The status is one of `ok` (body validated with its model) or a SCIM error with one of
    `scim_types`; the database keeps its invariants."""
    statuses[response.status_code] += 1
    assert response.status_code < 500, response.text
    assert "Traceback" not in response.text
    if response.status_code in ok:
        model = ok[response.status_code]
        body = response.json() if response.content else None
        if model is not None:
            model.model_validate(oracle_view(body), scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
        result = body
    else:
        body = response.json()
        assert body["schemas"] == [ERROR_SCHEMA], body
        assert body["status"] == str(response.status_code), body
        assert body.get("scimType") in scim_types, body
        assert body["detail"], body
        result = None
    assert consistency_problems(database) == {}
    return result


def oracle_view(body: Any) -> Any:
    """`body` with e-mail addresses replaced by a plain one: the server keeps GLPI's lenient
    address rule (RFC 7643 only says SHOULD follow RFC 5321), scim2-models a strict one."""
    if isinstance(body, dict):
        return {
            key: (
                [{**e, "value": "checked@example.com"} if isinstance(e, dict) else e for e in value]
                if key == "emails" and isinstance(value, list)
                else oracle_view(value)
            )
            for key, value in body.items()
        }
    if isinstance(body, list):
        return [oracle_view(item) for item in body]
    return body


# --------------------------------------------------------------------------------------------
# Filters
# --------------------------------------------------------------------------------------------

OPERATORS = ["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le", "EQ", "Co"]
texts = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)
string_literals = st.one_of(
    texts, st.sampled_from(["seed1", "SEED1", "seed", "@example.com", "1", "99999999999999999999"])
).map(json.dumps)
date_literals = st.sampled_from(['"2011-05-13T04:42:34Z"', '"2030-01-01T00:00:00+02:00"'])
any_literals = st.one_of(
    string_literals,
    date_literals,
    st.sampled_from(["true", "null", "0", "-5", "3.25", "1e400", '"2024-02-30T00:00:00Z"']),
    st.integers(-(2**70), 2**70).map(str),
)


@dataclass(frozen=True)
class Vocabulary:
    """Attribute names of one resource type, by the literal they compare with."""

    strings: tuple[str, ...]
    booleans: tuple[str, ...]
    dates: tuple[str, ...]
    multi: tuple[str, ...]  # multi-valued complex attributes (value filters)
    wrong: tuple[str, ...]  # unknown or misplaced names

    @property
    def every(self) -> tuple[str, ...]:
        return self.strings + self.booleans + self.dates + self.multi + self.wrong


USER_VOCABULARY = Vocabulary(
    strings=(
        "userName", "USERNAME", "name.givenName", "name.familyName", "displayName", "nickName",
        "title", "userType", "emails.value", "emails.type", "phoneNumbers.value", "externalId",
        "id", "groups.value", "groups.display", "locale", "timezone", "preferredLanguage",
        "meta.resourceType", f"{ENTERPRISE}:employeeNumber", f"{ENTERPRISE}:manager.value",
        f"{USER_SCHEMA}:userName", "addresses.locality",
    ),
    booleans=("active", "emails.primary"),
    dates=("meta.created", "meta.lastModified"),
    multi=("emails", "phoneNumbers", "groups", "addresses"),
    wrong=("shoeSize", "members.value", "password", "name", "emails.bogus"),
)  # fmt: skip
GROUP_VOCABULARY = Vocabulary(
    strings=("displayName", "members.value", "members.display", "externalId", "id"),
    booleans=(),
    dates=("meta.created", "meta.lastModified"),
    multi=("members",),
    wrong=("userName", "members.primary", "active"),
)


def _compare(names: tuple[str, ...], operators: list[str], values: Any) -> Any:
    if not names:
        return st.nothing()
    return st.builds(
        lambda a, o, v: f"{a} {o} {v}", st.sampled_from(names), st.sampled_from(operators), values
    )


def filters(vocabulary: Vocabulary) -> st.SearchStrategy[str]:
    """Mostly well-typed filters (so that most reach SQL), some mistyped, some garbage."""
    typed = st.one_of(
        _compare(vocabulary.strings, OPERATORS, string_literals),
        _compare(vocabulary.booleans, ["eq", "ne"], st.sampled_from(["true", "false"])),
        _compare(vocabulary.dates, ["eq", "gt", "ge", "lt", "le"], date_literals),
        st.sampled_from(vocabulary.every).map(lambda a: f"{a} pr"),
        st.builds(
            lambda a, o, v: f"{a}[value {o} {v}]",
            st.sampled_from(vocabulary.multi),
            st.sampled_from(["eq", "co", "sw"]),
            string_literals,
        ),
        st.builds(
            lambda a, v: f'{a}[type eq "work" and value co {v}]',
            st.sampled_from(vocabulary.multi),
            string_literals,
        ),
    )
    mistyped = _compare(vocabulary.every, OPERATORS, any_literals)
    leaf = st.one_of(typed, typed, typed, typed, typed, mistyped)
    combined = st.recursive(
        leaf,
        lambda inner: st.one_of(
            st.builds(lambda a, b: f"{a} and {b}", inner, inner),
            st.builds(lambda a, b: f"({a}) or ({b})", inner, inner),
            inner.map(lambda f: f"not ({f})"),
        ),
        max_leaves=4,
    )
    broken = st.one_of(combined.map(lambda f: f[: len(f) // 2]), texts)
    return st.one_of(combined, combined, combined, combined, combined, broken)


list_params = st.fixed_dictionaries(
    {},
    optional={
        "sortBy": st.sampled_from(["userName", "displayName", "meta.created", "emails", "nope"]),
        "sortOrder": st.sampled_from(["ascending", "descending", "descending", "sideways"]),
        "startIndex": st.sampled_from(["1", "2", "0", "-3", "100000000000000000000", "x"]),
        "count": st.sampled_from(["0", "1", "5", "1000", "-1", "1.5"]),
        "attributes": st.sampled_from(["userName", "emails.value", "displayName", "bogus", ""]),
    },
)
LIST_ERRORS = {"invalidFilter", "invalidValue", "tooMany", "invalidPath"}


@examples(120)
@given(text=filters(USER_VOCABULARY), params=list_params)
def test_generated_user_filters(
    target: Served, cases: Counter[int], text: str, params: dict[str, str]
) -> None:
    response = target.client.get("/Users", params={"filter": text, **params})
    check_answer(response, cases, {200: ListResponse[FullUser]}, LIST_ERRORS, target.database)


@examples(60)
@given(text=filters(GROUP_VOCABULARY), params=list_params)
def test_generated_group_filters_in_searches(
    target: Served, cases: Counter[int], text: str, params: dict[str, str]
) -> None:
    body: dict[str, Any] = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
        "filter": text,
    }
    for key, value in params.items():
        body[key] = int(value) if key in ("count", "startIndex") and _is_int(value) else value
    response = target.client.post("/Groups/.search", body)
    check_answer(response, cases, {200: ListResponse[Group]}, LIST_ERRORS, target.database)


def _is_int(value: str) -> bool:
    return value.lstrip("-").isdigit()


# --------------------------------------------------------------------------------------------
# PATCH documents
# --------------------------------------------------------------------------------------------

json_leaves = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**40), 2**40), texts,
    st.floats(allow_nan=False, allow_infinity=False), st.sampled_from(["seed0", "a@b.example"]),
)  # fmt: skip
json_values = st.recursive(
    json_leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(
            st.sampled_from(["value", "type", "primary", "display", "givenName", "x", "$ref"]),
            inner,
            max_size=3,
        ),
    ),
    max_leaves=8,
)
USER_PATHS = [
    None, "userName", "nickName", "name.givenName", "name", "displayName", "emails",
    'emails[type eq "work"].value', 'emails[type eq "work"]', "emails[primary eq true].value",
    'phoneNumbers[type eq "mobile"].value', "phoneNumbers", "active", "title", "userType",
    "externalId", "locale", 'addresses[type eq "work"].locality', "password", "groups", "id",
    f"{ENTERPRISE}:employeeNumber", f"{ENTERPRISE}:manager", f"{ENTERPRISE}:manager.value",
    "emails[value co ", "unknown", "name.bogus",
]  # fmt: skip
realistic_values = st.one_of(
    json_values,
    st.sampled_from(
        [
            "Alice", "True", "False", True, False, "seed9", "x@example.com",
            [{"value": "w@example.com", "type": "work", "primary": True}],
            [{"value": "p@example.com", "primary": True}, {"value": "q@example.com",
                                                          "primary": True}],
            {"givenName": "G", "familyName": "F"}, {"value": "2"}, {"value": "99999999999"},
            [{"value": "+33 1", "type": "mobile"}], {"userName": "renamed", "active": False},
        ]
    ),
)  # fmt: skip
garbage_operations = st.fixed_dictionaries(
    {"op": st.sampled_from(["add", "replace", "remove", "Add", "REPLACE", "Remove", "move"])},
    optional={"path": st.sampled_from(USER_PATHS), "value": realistic_values},
)
short_texts = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=20)
login_texts = st.text(st.sampled_from("abcdefXYZ0129'@.-_ "), min_size=1, max_size=20)
email_values = st.builds(lambda local: f"{local}@example.com", st.text("abcxyz.", min_size=1))
email_lists = st.lists(
    st.fixed_dictionaries(
        {"value": email_values},
        optional={"primary": st.booleans(), "type": st.sampled_from(["work", "home", "other"])},
    ),
    max_size=3,
)
# (path, values that suit it): most generated operations are ones an IdP could send.
TYPED_PATHS: list[tuple[str | None, Any]] = [
    ("userName", login_texts),
    ("nickName", short_texts),
    ("displayName", short_texts),
    ("title", short_texts),
    ("userType", short_texts),
    ("name.givenName", short_texts),
    ("name.familyName", short_texts),
    ("name", st.fixed_dictionaries({}, optional={"givenName": short_texts,
                                                 "formatted": short_texts})),
    ("active", st.one_of(st.booleans(), st.sampled_from(["True", "False"]))),
    ("emails", email_lists),
    ('emails[type eq "work"].value', email_values),
    ("emails[primary eq true].value", email_values),
    ('phoneNumbers[type eq "mobile"].value', st.text("0123456789 +", min_size=1, max_size=15)),
    ("externalId", short_texts),
    ("preferredLanguage", st.sampled_from(["fr-FR", "en-US", "de", "xx"])),
    (f"{ENTERPRISE}:employeeNumber", short_texts),
    (f"{ENTERPRISE}:manager", st.fixed_dictionaries({"value": st.sampled_from(["2", "3", "9"])})),
    (None, st.fixed_dictionaries({}, optional={"nickName": short_texts, "active": st.booleans(),
                                               "title": short_texts, "emails": email_lists})),
]  # fmt: skip
typed_operations = st.one_of(
    *(
        st.builds(
            lambda op, value, path=path: (
                {"op": op, "value": value} | ({} if path is None else {"path": path})
            ),
            st.sampled_from(["add", "replace", "Replace"]),
            values,
        )
        for path, values in TYPED_PATHS
    ),
    st.builds(
        lambda path: {"op": "remove", "path": path},
        st.sampled_from([p for p, _ in TYPED_PATHS if p not in (None, "userName")]),
    ),
)
operations = st.one_of(typed_operations, typed_operations, typed_operations, garbage_operations)
PATCH_ERRORS = {"invalidValue", "invalidPath", "noTarget", "invalidSyntax", "mutability",
                "invalidFilter", "uniqueness", None}  # fmt: skip


@examples(120)
@given(ops=st.lists(operations, min_size=1, max_size=3))
def test_generated_user_patches(
    target: Served, cases: Counter[int], ops: list[dict[str, Any]]
) -> None:
    client = target.client
    listed = client.get("/Users", params={"filter": 'userName sw "seed"'}).json()["Resources"]
    victim = listed[0]["id"] if listed else client.post("/Users", user("seed0")).json()["id"]
    document = {"schemas": [PATCH_SCHEMA], "Operations": ops}
    response = client.patch(f"/Users/{victim}", document)
    check_answer(response, cases, {200: FullUser, 204: None}, PATCH_ERRORS, target.database)
    after = client.get(f"/Users/{victim}")
    assert after.status_code in (200, 404), after.text
    if after.status_code == 200:
        body = FullUser.model_validate(
            oracle_view(after.json()), scim_ctx=Context.RESOURCE_QUERY_RESPONSE
        )
        assert sum(1 for email in body.emails or [] if email.primary) <= 1


member_values = st.one_of(
    st.sampled_from(["2", "3", "4", "5", "6", "0", "-1", "abc", "99999999999999999999", ""]),
    st.integers(0, 12).map(str),
)
member_ops = st.one_of(
    st.builds(
        lambda op, values: {"op": op, "path": "members", "value": [{"value": v} for v in values]},
        st.sampled_from(["add", "replace", "Add"]),
        st.lists(member_values, max_size=4),
    ),
    st.builds(
        lambda v: {"op": "remove", "path": f'members[value eq "{v}"]'},
        member_values,
    ),
    st.just({"op": "remove", "path": "members"}),
    st.builds(
        lambda name: {"op": "replace", "path": "displayName", "value": name},
        st.one_of(texts, st.sampled_from(["Seeded", "seeded ", "Other"])),
    ),
    st.builds(lambda value: {"op": "replace", "value": value}, json_values),
)


@examples(80)
@given(ops=st.lists(member_ops, min_size=1, max_size=4))
def test_generated_group_patches(
    target: Served, cases: Counter[int], ops: list[dict[str, Any]]
) -> None:
    client = target.client
    groups = client.get("/Groups").json()["Resources"]
    victim = groups[0]["id"] if groups else client.post("/Groups", group("Seeded")).json()["id"]
    response = client.patch(f"/Groups/{victim}", {"schemas": [PATCH_SCHEMA], "Operations": ops})
    check_answer(response, cases, {200: Group, 204: None}, PATCH_ERRORS, target.database)
    after = client.get(f"/Groups/{victim}")
    assert after.status_code == 200, after.text
    members = Group.model_validate(after.json()).members or []
    assert len({m.value for m in members}) == len(members)


# --------------------------------------------------------------------------------------------
# Resources
# --------------------------------------------------------------------------------------------

logins = st.one_of(
    st.text(st.sampled_from("abcXYZ019'@.-_ "), min_size=1, max_size=12),
    texts,
    st.sampled_from(["seed0", "SEED1", "x@example.com", "a&b", "é", "  ", "a" * 256]),
    st.integers(0, 10**6),
    st.none(),
)
emails = st.lists(
    st.fixed_dictionaries(
        {"value": st.one_of(st.sampled_from(["a@example.com", "b@example.com", "bad"]), texts)},
        optional={
            "primary": st.one_of(st.booleans(), st.sampled_from(["true", "False", None])),
            "type": st.sampled_from(["work", "home", "other", "Work", ""]),
        },
    ),
    max_size=3,
)
users = st.fixed_dictionaries(
    {"schemas": st.just([USER_SCHEMA]), "userName": logins},
    optional={
        "name": st.fixed_dictionaries({}, optional={"givenName": texts, "familyName": texts}),
        "emails": emails,
        "phoneNumbers": st.lists(
            st.fixed_dictionaries(
                {"value": texts}, optional={"type": st.sampled_from(["work", "mobile", "fax"])}
            ),
            max_size=3,
        ),
        "active": st.one_of(st.booleans(), st.sampled_from(["True", "false", "yes", 1, None])),
        "externalId": st.one_of(texts, st.sampled_from(["ext-1", "EXT-1"])),
        "title": texts,
        "nickName": st.one_of(texts, st.none()),
        "displayName": texts,
        "preferredLanguage": st.sampled_from(["fr-FR", "en", "xx", "de-AT,de;q=0.9", ""]),
        ENTERPRISE: st.fixed_dictionaries(
            {},
            optional={
                "employeeNumber": st.one_of(texts, st.integers(0, 10**6)),
                "manager": st.fixed_dictionaries({"value": member_values}),
            },
        ),
    },
)
RESOURCE_ERRORS = {"invalidValue", "uniqueness", "invalidSyntax", "mutability"}


@examples(120)
@given(first=users, second=users)
def test_generated_users_created_then_replaced(
    target: Served, cases: Counter[int], first: dict[str, Any], second: dict[str, Any]
) -> None:
    client = target.client
    created = check_answer(
        client.post("/Users", first), cases, {201: FullUser}, RESOURCE_ERRORS, target.database
    )
    if created is None:
        return
    read = client.get(f"/Users/{created['id']}")
    assert read.status_code == 200 and read.json()["userName"] == created["userName"]
    replaced = check_answer(
        client.put(f"/Users/{created['id']}", second),
        cases,
        {200: FullUser},
        RESOURCE_ERRORS,
        target.database,
    )
    if replaced is not None:
        assert client.get(f"/Users/{created['id']}").json()["userName"] == replaced["userName"]
