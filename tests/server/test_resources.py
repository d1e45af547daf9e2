"""Users and Groups end to end over HTTP: the status codes, headers and bodies a client gets."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event

from glpi_scim.db.database import Database

from .support import GROUP_SCHEMA, PATCH_SCHEMA, USER_SCHEMA, Api, assert_scim_error

BULK_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
SEARCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"


def new_user(api: Api, login: str, **more: object) -> dict:
    result = api.post("/Users", {"schemas": [USER_SCHEMA], "userName": login, **more})
    assert result.status_code == 201, result.text
    return dict(result.json)


def test_user_lifecycle(api: Api) -> None:
    created = api.post(
        "/Users",
        {
            "schemas": [USER_SCHEMA],
            "userName": "ada.lovelace",
            "externalId": "ext-ada",
            "name": {"givenName": "Ada", "familyName": "Lovelace"},
            "emails": [{"value": "ada@example.com", "type": "work", "primary": True}],
            "active": True,
        },
    )
    assert created.status_code == 201, created.text
    user = created.json
    assert created.headers["location"] == user["meta"]["location"]
    assert created.headers["location"].endswith(f"/scim/v2/{api.server.id}/Users/{user['id']}")
    assert created.headers["etag"] == user["meta"]["version"]
    assert user["userName"] == "ada.lovelace" and user["externalId"] == "ext-ada"

    fetched = api.get(f"/Users/{user['id']}")
    assert fetched.status_code == 200
    assert fetched.json["name"]["familyName"] == "Lovelace"

    listed = api.get("/Users", params={"filter": 'userName eq "ada.lovelace"'}).json
    assert listed["totalResults"] == 1 and listed["Resources"][0]["id"] == user["id"]

    replaced = api.put(
        f"/Users/{user['id']}",
        {"schemas": [USER_SCHEMA], "userName": "ada.lovelace", "nickName": "Countess"},
    )
    assert replaced.status_code == 200, replaced.text
    assert replaced.json["nickName"] == "Countess"
    assert "name" not in replaced.json

    patched = api.patch(
        f"/Users/{user['id']}",
        {
            "schemas": [PATCH_SCHEMA],
            "Operations": [{"op": "replace", "path": "active", "value": False}],
        },
    )
    assert patched.status_code == 200
    assert patched.json["active"] is False

    deleted = api.delete(f"/Users/{user['id']}")
    assert deleted.status_code == 204 and deleted.content == b""
    assert_scim_error(api.get(f"/Users/{user['id']}"), 404)


def test_user_errors_are_clear_and_change_nothing(api: Api) -> None:
    new_user(api, "taken")
    total = api.get("/Users").json["totalResults"]
    duplicate = api.post("/Users", {"schemas": [USER_SCHEMA], "userName": "TAKEN"})
    assert assert_scim_error(duplicate, 409)["scimType"] == "uniqueness"
    missing = api.post("/Users", {"schemas": [USER_SCHEMA], "displayName": "No Login"})
    assert_scim_error(missing, 400, "userName")
    bad_filter = api.get("/Users", params={"filter": 'userName eq "x" and'})
    assert assert_scim_error(bad_filter, 400)["scimType"] == "invalidFilter"
    bad_patch = api.patch(
        "/Users/2", {"schemas": [PATCH_SCHEMA], "Operations": [{"op": "jump", "path": "x"}]}
    )
    assert_scim_error(bad_patch, 400)
    assert_scim_error(api.get("/Users/999999"), 404)
    assert_scim_error(api.delete("/Users/999999"), 404)
    assert api.get("/Users").json["totalResults"] == total


def test_group_lifecycle_with_members(api: Api) -> None:
    alice = new_user(api, "alice")
    bob = new_user(api, "bob")
    created = api.post(
        "/Groups",
        {"schemas": [GROUP_SCHEMA], "displayName": "R&D", "members": [{"value": alice["id"]}]},
    )
    assert created.status_code == 201, created.text
    group = created.json
    assert group["displayName"] == "R&D"
    assert [m["value"] for m in group["members"]] == [alice["id"]]
    assert created.headers["location"].endswith(f"/Groups/{group['id']}")
    # Ids are unique across types (RFC 7643 §3.1): a group's is "g" and GLPI's number, and the
    # bare number names no group.
    assert group["id"].startswith("g") and group["id"] not in (alice["id"], bob["id"])
    assert_scim_error(api.get(f"/Groups/{group['id'].removeprefix('g')}"), 404)

    added = api.patch(
        f"/Groups/{group['id']}",
        {
            "schemas": [PATCH_SCHEMA],
            "Operations": [{"op": "add", "path": "members", "value": [{"value": bob["id"]}]}],
        },
    )
    assert added.status_code == 200, added.text
    assert {m["value"] for m in added.json["members"]} == {alice["id"], bob["id"]}
    assert any(g["value"] == group["id"] for g in api.get(f"/Users/{bob['id']}").json["groups"])

    removed = api.patch(
        f"/Groups/{group['id']}",
        {
            "schemas": [PATCH_SCHEMA],
            "Operations": [{"op": "remove", "path": f'members[value eq "{alice["id"]}"]'}],
        },
    )
    assert [m["value"] for m in removed.json["members"]] == [bob["id"]]

    without_members = api.get(
        f"/Groups/{group['id']}", params={"excludedAttributes": "members"}
    ).json
    assert "members" not in without_members

    assert api.delete(f"/Groups/{group['id']}").status_code == 204
    assert_scim_error(api.get(f"/Groups/{group['id']}"), 404)


def test_members_patch_can_answer_204_when_the_server_asks_for_it(
    make_api: Callable[..., Api],
) -> None:
    api = make_api(set_options={"members_patch_no_content": True})
    user = new_user(api, "member.one")
    group = api.post("/Groups", {"schemas": [GROUP_SCHEMA], "displayName": "Quiet"}).json
    result = api.patch(
        f"/Groups/{group['id']}",
        {
            "schemas": [PATCH_SCHEMA],
            "Operations": [{"op": "add", "path": "members", "value": [{"value": user["id"]}]}],
        },
    )
    assert result.status_code == 204 and result.content == b""


def test_members_patch_of_a_large_group_answers_204(make_api: Callable[..., Api]) -> None:
    """Above members_patch_reply_limit the group is not sent back; at or below it, it is."""
    api = make_api(settings={"members_patch_reply_limit": 1})
    first, second = new_user(api, "member.one"), new_user(api, "member.two")
    group = api.post("/Groups", {"schemas": [GROUP_SCHEMA], "displayName": "Growing"}).json

    def add(user: dict[str, Any]) -> Any:
        operation = {"op": "add", "path": "members", "value": [{"value": user["id"]}]}
        return api.patch(
            f"/Groups/{group['id']}", {"schemas": [PATCH_SCHEMA], "Operations": [operation]}
        )

    one = add(first)
    assert one.status_code == 200 and [m["value"] for m in one.json["members"]] == [first["id"]]
    two = add(second)
    assert two.status_code == 204 and two.content == b""
    members = api.get(f"/Groups/{group['id']}").json["members"]
    assert sorted(m["value"] for m in members) == sorted([first["id"], second["id"]])


def test_a_request_checks_out_one_database_connection(api: Api) -> None:
    """Server lookup, bearer token check and the store share the request's connection."""
    user = new_user(api, "pooled.one")
    checkouts: list[object] = []
    engine = api.app.context.database.engine
    event.listen(engine, "checkout", lambda *args: checkouts.append(args[0]))
    assert api.get(f"/Users/{user['id']}").status_code == 200
    assert (
        api.get("/Users", params={"filter": 'userName eq "pooled.one"'}).json["totalResults"] == 1
    )
    assert len(checkouts) == 2


def test_group_errors(api: Api) -> None:
    api.post("/Groups", {"schemas": [GROUP_SCHEMA], "displayName": "Ops"})
    clash = api.post("/Groups", {"schemas": [GROUP_SCHEMA], "displayName": "ops"})
    assert assert_scim_error(clash, 409)["scimType"] == "uniqueness"
    unknown_member = api.post(
        "/Groups",
        {"schemas": [GROUP_SCHEMA], "displayName": "Ghosts", "members": [{"value": "987654"}]},
    )
    assert_scim_error(unknown_member, 400)


def test_search_endpoints(api: Api) -> None:
    new_user(api, "searcher.one")
    api.post("/Groups", {"schemas": [GROUP_SCHEMA], "displayName": "searchers"})
    body = {"schemas": [SEARCH_SCHEMA], "filter": 'userName sw "searcher"', "count": 5}
    users = api.post("/Users/.search", body)
    assert users.status_code == 200, users.text
    assert [r["userName"] for r in users.json["Resources"]] == ["searcher.one"]
    root = api.post(
        "/.search", {"schemas": [SEARCH_SCHEMA], "filter": 'displayName eq "searchers"'}
    )
    assert root.status_code == 200
    assert [r["displayName"] for r in root.json["Resources"]] == ["searchers"]
    groups = api.post("/Groups/.search", {"schemas": [SEARCH_SCHEMA]})
    assert groups.json["totalResults"] >= 1
    assert_scim_error(api.get("/Users/.search"), 405)


def test_bulk(api: Api) -> None:
    result = api.post(
        "/Bulk",
        {
            "schemas": [BULK_SCHEMA],
            "Operations": [
                {
                    "method": "POST",
                    "path": "/Users",
                    "bulkId": "u1",
                    "data": {"schemas": [USER_SCHEMA], "userName": "bulk.user"},
                },
                {
                    "method": "POST",
                    "path": "/Groups",
                    "bulkId": "g1",
                    "data": {
                        "schemas": [GROUP_SCHEMA],
                        "displayName": "bulk group",
                        "members": [{"value": "bulkId:u1"}],
                    },
                },
            ],
        },
    )
    assert result.status_code == 200, result.text
    statuses = [op["status"] for op in result.json["Operations"]]
    assert statuses == ["201", "201"]
    user_location, group_location = (op["location"] for op in result.json["Operations"])
    group = api.get("", root=group_location.split("falconframework.org", 1)[1]).json
    assert [m["value"] for m in group["members"]] == [user_location.rsplit("/", 1)[1]]


def test_bulk_limited_by_the_body_size(make_api: Callable[..., Api]) -> None:
    api = make_api(settings={"max_body_bytes": 300})
    operations = [
        {
            "method": "POST",
            "path": "/Users",
            "data": {"schemas": [USER_SCHEMA], "userName": f"u{i}"},
        }
        for i in range(10)
    ]
    result = api.post("/Bulk", {"schemas": [BULK_SCHEMA], "Operations": operations})
    assert_scim_error(result, 413)


def test_glpi_rows_are_written_through_http(database: Database, api: Api) -> None:
    from sqlalchemy import select

    from glpi_scim.db import tables

    user = new_user(api, "row.check", name={"givenName": "Row", "familyName": "Check"})
    with database.begin() as connection:
        row = connection.execute(
            select(tables.users.c.name, tables.users.c.realname, tables.users.c.authtype).where(
                tables.users.c.id == int(user["id"])
            )
        ).one()
    assert tuple(row) == ("row.check", "Check", 4)


def test_a_delta_query_with_milliseconds_finds_a_change_of_that_second(api: Api) -> None:
    """GLPI keeps the second: `lastModified ge <last pull>` must not miss a change made later
    in the second of the last pull (shown as .000Z)."""
    user = new_user(api, "delta.pull")
    shown = user["meta"]["lastModified"]
    assert shown.endswith(".000Z")
    second = shown[: -len(".000Z")]

    def found(text: str) -> bool:
        result = api.get("/Users", params={"filter": text})
        assert result.status_code == 200, result.text
        return user["id"] in [r["id"] for r in result.json["Resources"]]

    for op in ("ge", "gt", "eq", "le", "lt"):
        assert found(f'meta.lastModified {op} "{second}.103Z"'), op
        assert found(f'meta.created {op} "{second}.999Z"'), op
    assert found(f'meta.lastModified gt "{second}.000Z"')
    assert not found(f'meta.lastModified lt "{second}.000Z"')
    assert not found(f'meta.lastModified ne "{second}.500Z"')
