"""ETag, If-Match and If-None-Match (RFC 7644 §3.14) over HTTP."""

from __future__ import annotations

from .support import GROUP_SCHEMA, PATCH_SCHEMA, USER_SCHEMA, Api, assert_scim_error


def nickname_patch(value: str) -> dict:
    return {
        "schemas": [PATCH_SCHEMA],
        "Operations": [{"op": "replace", "path": "nickName", "value": value}],
    }


def test_single_resources_carry_their_version_as_etag(api: Api) -> None:
    created = api.post("/Users", {"schemas": [USER_SCHEMA], "userName": "etag.user"})
    version = created.json["meta"]["version"]
    assert version.startswith('W/"')
    assert created.headers["etag"] == version
    fetched = api.get(f"/Users/{created.json['id']}")
    assert fetched.headers["etag"] == version
    assert "etag" not in api.get("/Users").headers  # a list is not one resource


def test_if_none_match_answers_304_while_unchanged(api: Api) -> None:
    user = api.post("/Users", {"schemas": [USER_SCHEMA], "userName": "cached.user"}).json
    path = f"/Users/{user['id']}"
    version = user["meta"]["version"]
    not_modified = api.get(path, headers={"If-None-Match": version})
    assert not_modified.status_code == 304
    assert not_modified.content == b""
    assert not_modified.headers["etag"] == version
    assert api.get(path, headers={"If-None-Match": 'W/"other"'}).status_code == 200
    api.patch(path, nickname_patch("changed"))
    changed = api.get(path, headers={"If-None-Match": version})
    assert changed.status_code == 200
    assert changed.headers["etag"] != version


def test_if_match_protects_updates_and_deletes(api: Api) -> None:
    user = api.post("/Users", {"schemas": [USER_SCHEMA], "userName": "guarded.user"}).json
    path = f"/Users/{user['id']}"
    first = user["meta"]["version"]

    updated = api.patch(path, nickname_patch("one"), headers={"If-Match": first})
    assert updated.status_code == 200
    second = updated.headers["etag"]
    assert second != first

    stale = api.patch(path, nickname_patch("two"), headers={"If-Match": first})
    assert_scim_error(stale, 412)
    stale_put = api.put(
        path,
        {"schemas": [USER_SCHEMA], "userName": "guarded.user", "nickName": "three"},
        headers={"If-Match": first},
    )
    assert_scim_error(stale_put, 412)
    assert_scim_error(api.delete(path, headers={"If-Match": first}), 412)
    assert api.get(path).json["nickName"] == "one"  # nothing changed

    assert (
        api.put(
            path,
            {"schemas": [USER_SCHEMA], "userName": "guarded.user", "nickName": "four"},
            headers={"If-Match": "*"},
        ).status_code
        == 200
    )
    current = api.get(path).headers["etag"]
    assert api.delete(path, headers={"If-Match": current}).status_code == 204


def test_if_match_on_group_membership_changes(api: Api) -> None:
    member = api.post("/Users", {"schemas": [USER_SCHEMA], "userName": "etag.member"}).json
    group = api.post("/Groups", {"schemas": [GROUP_SCHEMA], "displayName": "etag group"}).json
    add = {
        "schemas": [PATCH_SCHEMA],
        "Operations": [{"op": "add", "path": "members", "value": [{"value": member["id"]}]}],
    }
    path = f"/Groups/{group['id']}"
    assert_scim_error(api.patch(path, add, headers={"If-Match": 'W/"stale"'}), 412)
    assert "members" not in api.get(path).json or api.get(path).json["members"] == []
    assert api.patch(path, add, headers={"If-Match": group["meta"]["version"]}).status_code == 200
