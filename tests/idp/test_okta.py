"""Okta's provisioning cycle, replayed request by request.

Payloads and order follow Okta's SCIM 2.0 protocol reference and its SCIM 2.0 spec test suite:
lookups with `startIndex=1&count=100`, creation with `groups: []` and a password, PUT of the
whole user (with `id`) for custom apps, path-less PATCH for (de)activation and passwords,
Push Groups (empty creation, members with `display`, rename with the `id` echoed, filtered
removal, whole-list replace) and group unlinking. Okta never deletes users.
"""

from __future__ import annotations

import bcrypt

from .support import (
    CREATED,
    GROUP_SCHEMA,
    LIST_RESPONSE,
    MEMBER_ADDED,
    MEMBER_REMOVED,
    OPTION_ACTIVE,
    USER_SCHEMA,
)

OKTA = "Okta SCIM Client 1.0.0"


def okta_user(login: str, given: str, family: str, okta_id: str, password: str) -> dict:
    return {
        "schemas": [USER_SCHEMA],
        "userName": login,
        "name": {"givenName": given, "familyName": family},
        "emails": [{"primary": True, "value": login, "type": "work"}],
        "displayName": f"{given} {family}",
        "locale": "en-US",
        "externalId": okta_id,
        "groups": [],
        "password": password,
        "active": True,
    }


def test_okta_provisioning_cycle(make_idp, glpi):
    # "HTTP Header" authentication mode: the token as the whole Authorization header.
    idp, _ = make_idp("Okta", user_agent=OKTA, bare_token=True, log_requests=True)

    # Test Connector Configuration and imports: paged lists.
    page = idp.get("/Users", startIndex="1", count="2").expect(200)
    assert LIST_RESPONSE in page["schemas"]
    assert isinstance(page["totalResults"], int) and isinstance(page["itemsPerPage"], int)
    assert page["startIndex"] == 1 and len(page["Resources"]) <= 2
    assert idp.get("/Groups", startIndex="1", count="100").expect(200)["schemas"] == [LIST_RESPONSE]

    # Assignment: lookup, then creation with a password the server does not sync.
    login = "test.user@okta.local"
    assert idp.find_users(f'userName eq "{login}"', startIndex="1", count="100") == []
    created = idp.post(
        "/Users",
        okta_user(login, "Test", "User", "00ujl29u0le5T6Aj10h7", "1mz050nq"),
        content_type="application/json",  # Okta's spec tests send plain JSON
    ).expect(201)
    user_id = created["id"]
    assert created["active"] is True and "password" not in created
    row = glpi.user(user_id)
    assert (row["name"], row["firstname"], row["realname"]) == (login, "Test", "User")
    assert row["authtype"] == 4 and not row["password"]  # password sync off: SSO only
    assert row["language"] == "en_US"
    assert glpi.emails(user_id) == {login: (1, 1)}
    assert glpi.logs("User", user_id, linked_action=CREATED)
    # The request log says the password was ignored, and never holds it.
    [logged] = [e for e in idp.request_log() if e["method"] == "POST" and e["status"] == 201]
    assert "password" in (logged["note"] or "")
    assert "1mz050nq" not in (logged["request_body"] or "")
    assert "1mz050nq" not in (logged["request_headers"] or "")

    # Okta's spec test: recreating the same user must fail with 409, changing nothing.
    idp.post("/Users", okta_user(login, "Test", "User", "00ujl29u0le5T6Aj10h7", "x")).expect_error(
        409, "uniqueness"
    )
    # ...even when the userName differs in case.
    idp.post("/Users", okta_user(login.upper(), "Test", "User", "00uother", "x")).expect_error(
        409, "uniqueness"
    )
    [found] = idp.find_users(f'userName eq "{login.upper()}"', startIndex="1", count="100")
    assert found["id"] == user_id

    # Profile update in a custom (AIW) app: GET, then PUT of the whole user with its id.
    current = idp.get(f"/Users/{user_id}").expect(200)
    current["name"] = {"givenName": "Another", "middleName": "Excited", "familyName": "User"}
    current["emails"][0]["display"] = login
    current.pop("meta", None)
    current["meta"] = {"resourceType": "User"}
    current["groups"] = []
    updated = idp.put(f"/Users/{user_id}", current).expect(200)
    assert updated["name"]["givenName"] == "Another"
    assert updated["name"]["middleName"] == "Excited"
    assert glpi.user(user_id)["firstname"] == "Another"
    assert glpi.emails(user_id) == {login: (1, 1)}

    # Deactivation (unassigned, or suspended in Okta): path-less replace.
    idp.patch(f"/Users/{user_id}", {"op": "replace", "value": {"active": False}}).expect(200, 204)
    assert glpi.user(user_id)["is_active"] == 0
    [change] = glpi.logs("User", user_id, linked_action=0, id_search_option=OPTION_ACTIVE)
    assert change["new_value"] in ("0", "No")
    assert idp.get(f"/Users/{user_id}").expect(200)["active"] is False
    idp.patch(f"/Users/{user_id}", {"op": "replace", "value": {"active": True}}).expect(200, 204)
    assert glpi.user(user_id)["is_active"] == 1

    # Password push with password sync off: accepted, ignored.
    idp.patch(f"/Users/{user_id}", {"op": "replace", "value": {"password": "N3wSecret!"}}).expect(
        200, 204
    )
    assert not glpi.user(user_id)["password"]

    # Deactivation in a custom app is a PUT with active false.
    current = idp.get(f"/Users/{user_id}").expect(200)
    current["active"] = False
    current["password"] = "N3wSecret!"
    assert idp.put(f"/Users/{user_id}", current).expect(200)["active"] is False
    assert glpi.user(user_id)["is_active"] == 0
    current["active"] = True
    idp.put(f"/Users/{user_id}", current).expect(200)

    # A second assigned user.
    other = idp.post(
        "/Users", okta_user("jane.roe@okta.local", "Jane", "Roe", "00uj4ne", "pw")
    ).expect(201)["id"]

    # Push Groups: lookup, empty creation, then members with display names.
    assert idp.find_groups('displayName eq "Test SCIMv2"') == []
    group = idp.post(
        "/Groups", {"schemas": [GROUP_SCHEMA], "displayName": "Test SCIMv2", "members": []}
    ).expect(201)
    group_id = group["id"]
    assert glpi.group(group_id)["name"] == "Test SCIMv2"
    idp.patch(
        f"/Groups/{group_id}",
        {"op": "add", "path": "members", "value": [{"value": user_id, "display": login}]},
    ).expect(200, 204)
    assert glpi.members(group_id) == {int(user_id): 1}
    assert glpi.logs("Group", group_id, linked_action=MEMBER_ADDED)

    # Every membership update comes with a rename that echoes the id.
    idp.patch(
        f"/Groups/{group_id}",
        {"op": "replace", "value": {"id": group_id, "displayName": "Test SCIMv20"}},
    ).expect(200, 204)
    assert glpi.group(group_id)["name"] == "Test SCIMv20"
    idp.patch(
        f"/Groups/{group_id}",
        {"op": "remove", "path": f'members[value eq "{user_id}"]'},
        {
            "op": "add",
            "path": "members",
            "value": [{"value": other, "display": "jane.roe@okta.local"}],
        },
    ).expect(200, 204)
    assert glpi.members(group_id) == {int(other): 1}
    assert glpi.logs("User", user_id, linked_action=MEMBER_REMOVED)

    # A full push: replace the whole member list.
    idp.patch(
        f"/Groups/{group_id}",
        {
            "op": "replace",
            "path": "members",
            "value": [
                {"value": user_id, "display": login},
                {"value": other, "display": "jane.roe@okta.local"},
            ],
        },
    ).expect(200, 204)
    assert glpi.members(group_id) == {int(user_id): 1, int(other): 1}
    members = idp.get(f"/Groups/{group_id}").expect(200)["members"]
    assert sorted(m["value"] for m in members) == sorted([user_id, other])

    # Unlink pushed group, "Delete the group in the target app".
    idp.delete(f"/Groups/{group_id}").expect(204)
    assert glpi.group(group_id) is None
    assert glpi.user_groups(user_id) == set() and glpi.user_groups(other) == set()
    # Users stay: Okta never deletes them.
    assert glpi.user(user_id)["is_deleted"] == 0


def test_okta_password_sync_with_basic_auth(make_idp, glpi):
    """Okta's "Sync Password" into a server with password sync on, Basic authentication."""
    idp, _ = make_idp(
        "Okta passwords",
        user_agent=OKTA,
        security="basic",
        username="okta",
        password="Okta-Basic-Secret-1",
        password_sync=True,
    )
    user_id = idp.post(
        "/Users", okta_user("sync.user@okta.local", "Sync", "User", "00usync", "Initial-Pw1")
    ).expect(201)["id"]
    row = glpi.user(user_id)
    assert row["authtype"] == 1  # GLPI's own password
    assert row["password"].startswith("$2y$10$")
    assert bcrypt.checkpw(b"Initial-Pw1", row["password"].replace("$2y$", "$2b$", 1).encode())
    assert row["password_last_update"] is not None

    idp.patch(f"/Users/{user_id}", {"op": "replace", "value": {"password": "Changed-Pw2"}}).expect(
        200, 204
    )
    row = glpi.user(user_id)
    assert bcrypt.checkpw(b"Changed-Pw2", row["password"].replace("$2y$", "$2b$", 1).encode())
    assert "password" not in idp.get(f"/Users/{user_id}").expect(200)

    # Wrong Basic credentials: 401 with a Basic challenge, nothing written.
    result = idp.patch(
        f"/Users/{user_id}",
        {"op": "replace", "value": {"active": False}},
        authorization="Basic b2t0YTp3cm9uZw==",
    )
    result.expect_error(401)
    assert result.headers["www-authenticate"].startswith("Basic")
    assert glpi.user(user_id)["is_active"] == 1


def test_okta_bearer_prefix_is_accepted_too(make_idp, glpi):
    idp, _ = make_idp("Okta bearer", user_agent=OKTA)
    assert idp.authorization is not None and idp.authorization.startswith("Bearer ")
    assert idp.find_users('userName eq "nobody@okta.local"', startIndex="1", count="100") == []
