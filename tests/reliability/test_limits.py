"""Input limits and garbage over real HTTP: every bad request gets its SCIM error (status,
scimType, a detail that says what to fix) and changes nothing in the database."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests

from glpi_scim.db.database import Database

from .conftest import Served
from .support import (
    BULK_REQUEST,
    ENTERPRISE,
    SCIM,
    SEARCH_REQUEST,
    USER_SCHEMA,
    assert_scim_error,
    group,
    patch,
    scalar,
    user,
)

LIMITS = {
    "max_body_bytes": 200_000,
    "max_results": 3,
    "max_patch_operations": 20,
    "max_bulk_operations": 5,
}
TABLES = (
    "glpi_users",
    "glpi_useremails",
    "glpi_profiles_users",
    "glpi_groups",
    "glpi_groups_users",
    "glpi_logs",
    "glpi_usertitles",
    "glpi_usercategories",
    "glpi_plugin_glpiscim_resources",
)


@dataclass
class Seeded:
    served: Served
    user_id: str
    group_id: str

    def snapshot(self) -> dict[str, Any]:
        """Row counts and both seeded resources as a client reads them."""
        database = self.served.database
        state: dict[str, Any] = {t: scalar(database, f"SELECT COUNT(*) FROM {t}") for t in TABLES}
        state["user"] = self.served.client.get(f"/Users/{self.user_id}").json()
        state["group"] = self.served.client.get(f"/Groups/{self.group_id}").json()
        return state


@pytest.fixture
def seeded(database: Database, serve: Callable[..., Served]) -> Seeded:
    served = serve(database, **LIMITS)
    alice = served.client.post(
        "/Users",
        user(
            "alice",
            name={"givenName": "Alice", "familyName": "Liddell"},
            emails=[{"value": "alice@example.com", "primary": True}],
        ),
    ).json()
    team = served.client.post("/Groups", group("Team", members=[{"value": alice["id"]}])).json()
    return Seeded(served, alice["id"], team["id"])


@pytest.fixture
def sqlite_seeded(sqlite_database: Database, serve: Callable[..., Served]) -> Iterator[Seeded]:
    """HTTP-level checks: the database's dialect plays no part, SQLite is enough."""
    served = serve(sqlite_database, **LIMITS)
    alice = served.client.post("/Users", user("alice")).json()
    team = served.client.post("/Groups", group("Team")).json()
    yield Seeded(served, alice["id"], team["id"])


@dataclass(frozen=True)
class Case:
    method: str
    path: str  # {user} and {group} stand for the seeded ids
    body: Any  # a JSON value, or bytes sent as they are, or None
    status: int
    scim_type: str | None
    words: tuple[str, ...] = ()
    content_type: str | None = SCIM
    headers: dict[str, str] = field(default_factory=dict)


def send(seeded: Seeded, case: Case) -> requests.Response:
    path = case.path.format(user=seeded.user_id, group=seeded.group_id)
    body = case.body
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    headers = dict(case.headers)
    if data is not None and case.content_type is not None:
        headers["Content-Type"] = case.content_type
    return seeded.served.client.session.request(
        case.method, seeded.served.client.root + path, data=data, headers=headers, timeout=60
    )


def long(n: int) -> str:
    return "x" * n


def enterprise(**values: Any) -> dict[str, Any]:
    return {
        "schemas": [USER_SCHEMA, ENTERPRISE],
        "userName": "ent",
        ENTERPRISE: values,
    }


def replace(path: str, value: Any) -> dict[str, Any]:
    return patch({"op": "replace", "path": path, "value": value})


# Values longer than GLPI's columns: refused, never cut.
COLUMN_CASES = {
    "userName 300": Case(
        "POST", "/Users", user(long(300)), 400, "invalidValue", ("userName", "255")
    ),
    "userName 256 after encoding": Case(
        "POST", "/Users", user("a&" + long(251)), 400, "invalidValue", ("userName",)
    ),
    "givenName": Case(
        "POST", "/Users", user("u1", name={"givenName": long(256)}), 400, "invalidValue",
        ("name.givenName", "255"),
    ),
    "familyName": Case(
        "POST", "/Users", user("u1", name={"familyName": long(256)}), 400, "invalidValue",
        ("familyName",),
    ),
    "nickName": Case("POST", "/Users", user("u1", nickName=long(256)), 400, "invalidValue"),
    "e-mail": Case(
        "POST", "/Users", user("u1", emails=[{"value": long(250) + "@example.com"}]), 400,
        "invalidValue", ("emails",),
    ),
    "phone": Case(
        "POST", "/Users", user("u1", phoneNumbers=[{"value": "1" * 256, "type": "work"}]), 400,
        "invalidValue", ("phoneNumbers",),
    ),
    "title": Case("POST", "/Users", user("u1", title=long(256)), 400, "invalidValue", ("title",)),
    "userType": Case("POST", "/Users", user("u1", userType=long(256)), 400, "invalidValue"),
    "timezone": Case("POST", "/Users", user("u1", timezone=long(51)), 400, "invalidValue", ("50",)),
    "externalId": Case(
        "POST", "/Users", user("u1", externalId=long(256)), 400, "invalidValue", ("externalId",)
    ),
    "employeeNumber": Case(
        "POST", "/Users", enterprise(employeeNumber=long(256)), 400, "invalidValue",
        ("employeeNumber",),
    ),
    "group displayName": Case(
        "POST", "/Groups", group(long(256)), 400, "invalidValue", ("displayName",)
    ),
    "PUT userName": Case(
        "PUT", "/Users/{user}", user(long(300)), 400, "invalidValue", ("userName",)
    ),
    "PATCH userName": Case(
        "PATCH", "/Users/{user}", replace("userName", long(300)), 400, "invalidValue",
        ("userName",),
    ),
    "PATCH givenName": Case(
        "PATCH", "/Users/{user}", replace("name.givenName", long(300)), 400, "invalidValue"
    ),
    "PATCH group displayName": Case(
        "PATCH", "/Groups/{group}", replace("displayName", long(300)), 400, "invalidValue"
    ),
    "PATCH e-mail": Case(
        "PATCH", "/Users/{user}",
        replace('emails[type eq "work"].value', long(300) + "@example.com"), 400, "invalidValue",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", COLUMN_CASES.values(), ids=COLUMN_CASES.keys())
def test_values_too_long_for_glpi_are_refused_not_cut(seeded: Seeded, case: Case) -> None:
    before = seeded.snapshot()
    assert_scim_error(send(seeded, case), case.status, case.scim_type, *case.words)
    assert seeded.snapshot() == before


def raw_user(members: str) -> bytes:
    """A User document written by hand: `members` follows the schemas member."""
    return f'{{"schemas":["{USER_SCHEMA}"],{members}}}'.encode()


def deep(levels: int) -> bytes:
    return raw_user('"userName":"deep","x":' + "[" * levels + "]" * levels)


def operations(n: int) -> dict[str, Any]:
    return patch(*({"op": "replace", "path": "nickName", "value": f"n{i}"} for i in range(n)))


def bulk(n: int) -> dict[str, Any]:
    return {
        "schemas": [BULK_REQUEST],
        "Operations": [
            {"method": "POST", "path": "/Users", "bulkId": f"b{i}", "data": user(f"bulk{i}")}
            for i in range(n)
        ],
    }


def search(**fields: Any) -> dict[str, Any]:
    return {"schemas": [SEARCH_REQUEST], **fields}


USER_DOC = json.dumps(user("fresh")).encode()

HTTP_CASES = {
    # Size and shape of the body.
    "body over max_body_bytes": Case(
        "POST", "/Users", user("big", displayName=long(200_001)), 413, None, ("200000 bytes",)
    ),
    "nesting over 64 levels": Case("POST", "/Users", deep(100), 400, "invalidSyntax", ("64",)),
    "PATCH over max_patch_operations": Case(
        "PATCH", "/Users/{user}", operations(21), 413, None, ("21 operations", "20")
    ),
    "Bulk over max_bulk_operations": Case(
        "POST", "/Bulk", bulk(6), 413, None, ("6 operations", "5")
    ),
    # Not JSON, not UTF-8, not the right media type.
    "invalid UTF-8": Case(
        "POST", "/Users", raw_user('"userName":"ab"').replace(b"ab", b"\xff\xfe"),
        400, "invalidSyntax", ("UTF-8",),
    ),
    "latin-1 declared": Case(
        "POST", "/Users", USER_DOC, 415, None, ("charset",),
        content_type="application/scim+json; charset=iso-8859-1",
    ),
    "not JSON": Case(
        "POST", "/Users", b"userName=fresh", 400, "invalidSyntax", ("not valid JSON",)
    ),
    "truncated JSON": Case("POST", "/Users", USER_DOC[:-3], 400, "invalidSyntax", ("JSON",)),
    "empty body": Case("POST", "/Users", b"", 400, "invalidSyntax", ("empty",)),
    "a JSON array": Case("POST", "/Users", b"[]", 400, "invalidSyntax", ("object",)),
    "a JSON string": Case("POST", "/Users", b'"alice"', 400, "invalidSyntax", ("object",)),
    "text/plain": Case(
        "POST", "/Users", USER_DOC, 415, None, ("text/plain",), content_type="text/plain"
    ),
    "form encoded": Case(
        "POST", "/Users", b"userName=x", 415, None, (),
        content_type="application/x-www-form-urlencoded",
    ),
    "no content type": Case(
        "POST", "/Users", USER_DOC, 415, None, ("Content-Type",), content_type=None
    ),
    "PATCH as text/xml": Case(
        "PATCH", "/Users/{user}", b"<x/>", 415, None, (), content_type="text/xml"
    ),
    # Ambiguous JSON.
    "duplicate keys": Case(
        "POST", "/Users",
        raw_user('"userName":"a","userName":"b"'),
        400, "invalidSyntax", ("userName",),
    ),
    "duplicate keys in PATCH": Case(
        "PATCH", "/Users/{user}",
        b'{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":'
        b'[{"op":"add","op":"remove","path":"nickName","value":"x"}]}',
        400, "invalidSyntax", ("op",),
    ),
    "NaN": Case(
        "POST", "/Users", raw_user('"userName":NaN'), 400,
        "invalidSyntax", ("NaN",),
    ),
    "1e999": Case(
        "POST", "/Users", raw_user('"userName":1e999'), 400,
        "invalidSyntax", ("1e999",),
    ),
    "a 5000-digit integer": Case(
        "POST", "/Users",
        raw_user('"userName":"x","n":' + "9" * 5000),
        400, "invalidSyntax", ("digits",),
    ),
    "lone surrogate": Case(
        "POST", "/Users", raw_user('"userName":"\\ud800"'),
        400, "invalidSyntax", ("surrogate",),
    ),
    # Wrong types.
    "userName as a float": Case(
        "POST", "/Users", user(1.5), 400, "invalidValue", ("userName", "string")
    ),
    "userName as an object": Case(
        "POST", "/Users", user({"value": "x"}), 400, "invalidValue", ("userName",)
    ),
    "active as text": Case(
        "POST", "/Users", user("fresh", active="maybe"), 400, "invalidValue", ("active",)
    ),
    "emails as an object": Case(
        "POST", "/Users", user("fresh", emails={"value": 3}), 400, "invalidValue", ("emails",)
    ),
    "e-mail value as a boolean": Case(
        "POST", "/Users", user("fresh", emails=[{"value": True}]), 400, "invalidValue", ("emails",)
    ),
    "members as a string": Case(
        "POST", "/Groups", group("G", members="everyone"), 400, "invalidValue", ("members",)
    ),
    "PATCH path as a number": Case(
        "PATCH", "/Users/{user}", patch({"op": "replace", "path": 5, "value": "x"}), 400,
        "invalidPath",
    ),
    "PATCH op as a number": Case(
        "PATCH", "/Users/{user}", patch({"op": 1, "path": "nickName", "value": "x"}), 400,
        "invalidSyntax",
    ),
    "search count as an object": Case(
        "POST", "/Users/.search", search(count={"n": 1}), 400, "invalidValue", ("count",)
    ),
    "count as text": Case("GET", "/Users?count=many", None, 400, "invalidValue", ("count",)),
    "startIndex as a float": Case(
        "GET", "/Users?startIndex=1.5", None, 400, "invalidValue", ("startIndex",)
    ),
    # Nulls where a value is required.
    "null userName": Case("POST", "/Users", user(None), 400, "invalidValue", ("userName",)),
    "null displayName": Case("POST", "/Groups", group(None), 400, "invalidValue", ("displayName",)),
    "null Operations": Case(
        "PATCH", "/Users/{user}", {"schemas": [patch()["schemas"][0]], "Operations": None}, 400,
        "invalidSyntax", ("Operations",),
    ),
    "null operation": Case(
        "PATCH", "/Users/{user}", patch(None), 400, "invalidSyntax", ("Operations[0]",)  # type: ignore[arg-type]
    ),
    "null PATCH op": Case(
        "PATCH", "/Users/{user}", patch({"op": None, "path": "nickName", "value": "x"}), 400,
        "invalidSyntax",
    ),
    "replace userName with null": Case(
        "PATCH", "/Users/{user}", replace("userName", None), 400, "invalidValue", ("userName",)
    ),
    "null Bulk operations": Case(
        "POST", "/Bulk", {"schemas": [BULK_REQUEST], "Operations": None}, 400, "invalidSyntax",
        ("Operations",),
    ),
    "null body": Case("POST", "/Users", b"null", 400, "invalidSyntax", ("object",)),
    # Filters.
    "filter over 4096 characters": Case(
        "GET", "/Users?filter=" + " or ".join(['userName eq "a"'] * 300), None, 400, "tooMany",
        ("4096",),
    ),
    "filter nested over 32 levels": Case(
        "GET", "/Users?filter=" + "(" * 40 + 'userName eq "a"' + ")" * 40, None, 400,
        "invalidFilter", ("32",),
    ),
    "filter with a syntax error": Case(
        "GET", '/Users?filter=userName eq "a', None, 400, "invalidFilter"
    ),
    "filter on an unknown attribute": Case(
        "GET", '/Users?filter=shoeSize eq "42"', None, 400, "invalidFilter", ("shoeSize",)
    ),
    "filter comparing a string with a number": Case(
        "GET", "/Users?filter=userName eq 1", None, 400, "invalidFilter", ("userName",)
    ),
    "search filter as a number": Case(
        "POST", "/.search", search(filter=5), 400, "invalidValue", ("filter",)
    ),
    # Ids that are not GLPI ids.
    "a 20-digit id": Case(
        "GET", "/Users/99999999999999999999", None, 404, None, ("not found",)
    ),
    "PUT to a 20-digit id": Case(
        "PUT", "/Users/99999999999999999999", user("x"), 404, None, ("not found",)
    ),
    "a member with a 20-digit id": Case(
        "PATCH", "/Groups/{group}",
        patch({"op": "add", "path": "members", "value": [{"value": "99999999999999999999"}]}),
        400, "invalidValue", ("members",),
    ),
    "a manager with a 20-digit id": Case(
        "POST", "/Users", enterprise(manager={"value": "99999999999999999999"}), 400,
        "invalidValue", ("manager",),
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", HTTP_CASES.values(), ids=HTTP_CASES.keys())
def test_bad_requests_get_their_scim_error_and_change_nothing(
    sqlite_seeded: Seeded, case: Case
) -> None:
    before = sqlite_seeded.snapshot()
    assert_scim_error(send(sqlite_seeded, case), case.status, case.scim_type, *case.words)
    assert sqlite_seeded.snapshot() == before


def test_a_chunked_body_over_the_limit_is_refused(sqlite_seeded: Seeded) -> None:
    """No Content-Length to check up front: reading stops at the limit."""
    before = sqlite_seeded.snapshot()
    document = json.dumps(user("chunked", displayName=long(300_000))).encode()
    chunks = (document[i : i + 8192] for i in range(0, len(document), 8192))
    client = sqlite_seeded.served.client
    response = client.session.post(
        client.root + "/Users", data=chunks, headers={"Content-Type": SCIM}, timeout=60
    )
    assert_scim_error(response, 413, None, "200000 bytes")
    assert sqlite_seeded.snapshot() == before


def test_count_is_capped_at_max_results(sqlite_seeded: Seeded) -> None:
    client = sqlite_seeded.served.client
    for i in range(5):
        assert client.post("/Users", user(f"many{i}")).status_code == 201
    for response in (
        client.get("/Users", params={"count": "1000000"}),
        client.post("/Users/.search", search(count=1000000)),
        client.get("/Users"),
    ):
        assert response.status_code == 200, response.text
        page = response.json()
        assert page["itemsPerPage"] == len(page["Resources"]) == 3
        assert page["totalResults"] > 3


def test_limits_are_published_in_the_service_provider_config(sqlite_seeded: Seeded) -> None:
    config = sqlite_seeded.served.client.get("/ServiceProviderConfig").json()
    assert config["filter"]["maxResults"] == 3
    assert config["bulk"]["maxOperations"] == 5
    assert config["bulk"]["maxPayloadSize"] == 200_000


def test_nulls_in_optional_attributes_mean_absent(sqlite_seeded: Seeded) -> None:
    """RFC 7643 §2.5: null is "unassigned", not an error."""
    client = sqlite_seeded.served.client
    created = client.post(
        "/Users",
        {
            "schemas": [USER_SCHEMA],
            "userName": "nulls",
            "name": None,
            "emails": None,
            "phoneNumbers": [None],
            "nickName": None,
            "active": None,
            "externalId": None,
        },
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["userName"] == "nulls"
    for absent in ("name", "emails", "phoneNumbers", "nickName", "externalId"):
        assert absent not in body
