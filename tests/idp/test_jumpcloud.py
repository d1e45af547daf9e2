"""JumpCloud's Custom SCIM identity management, replayed request by request.

*Test Connection* creates a test user (from the Test User Email given) and a test group, reads
them back and deletes both. Then users bound to the application are created, updated with PUT
of the whole user, suspended with `active` false, and deleted; groups are PATCHed with value
lists. Bearer token. Delete policy `trash`.
"""

from __future__ import annotations

import uuid

from .support import CREATED, GROUP_SCHEMA, TRASHED, USER_SCHEMA

JUMPCLOUD = "JumpCloud"


def jumpcloud_user(email: str, given: str, family: str, jc_id: str, **extra: object) -> dict:
    user = {
        "schemas": [USER_SCHEMA, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
        "userName": email,
        "externalId": jc_id,
        "name": {"givenName": given, "familyName": family},
        "displayName": f"{given} {family}",
        "emails": [{"value": email, "type": "work", "primary": True}],
        "active": True,
    }
    user.update(extra)
    return user


def test_jumpcloud_test_connection_leaves_nothing_active(make_idp, glpi):
    idp, _ = make_idp("JumpCloud", user_agent=JUMPCLOUD)
    test_email = "it-admin@example.com"
    user_id = idp.post(
        "/Users", jumpcloud_user(test_email, "Test", "User", uuid.uuid4().hex[:24])
    ).expect(201)["id"]
    group_id = idp.post(
        "/Groups", {"schemas": [GROUP_SCHEMA], "displayName": f"JC test {uuid.uuid4().hex[:8]}"}
    ).expect(201)["id"]
    idp.get(f"/Users/{user_id}").expect(200)
    idp.get(f"/Groups/{group_id}").expect(200)
    idp.delete(f"/Groups/{group_id}").expect(204)
    idp.delete(f"/Users/{user_id}").expect(204)
    assert glpi.group(group_id) is None
    assert glpi.user(user_id)["is_deleted"] == 1
    assert glpi.logs("User", user_id, linked_action=CREATED)
    assert glpi.logs("User", user_id, linked_action=TRASHED)
    # The same test run again (Test Connection pressed twice) works as well.
    idp.post("/Users", jumpcloud_user(test_email, "Test", "User", uuid.uuid4().hex[:24])).expect(
        201
    )


def test_jumpcloud_provisioning_cycle(make_idp, glpi):
    idp, _ = make_idp("JumpCloud", user_agent=JUMPCLOUD)
    email = "sam.sample@example.com"
    assert idp.find_users(f'userName eq "{email}"') == []
    user = jumpcloud_user(
        email,
        "Sam",
        "Sample",
        "5f1b2c3d4e5f6a7b8c9d0e1f",
        title="Technician",
        phoneNumbers=[{"value": "555-0100", "type": "work"}],
    )
    user_id = idp.post("/Users", user).expect(201)["id"]
    row = glpi.user(user_id)
    assert (row["firstname"], row["realname"], row["phone"]) == ("Sam", "Sample", "555-0100")
    assert glpi.title(row) == "Technician"

    # Attribute change: PUT of the whole user.
    user["name"]["familyName"] = "Sampleton"
    user["phoneNumbers"] = [{"value": "555-0199", "type": "work"}]
    idp.put(f"/Users/{user_id}", user).expect(200)
    row = glpi.user(user_id)
    assert (row["realname"], row["phone"]) == ("Sampleton", "555-0199")

    # Group bound to the application.
    group_id = idp.post(
        "/Groups", {"schemas": [GROUP_SCHEMA], "displayName": "Helpdesk Agents"}
    ).expect(201)["id"]
    idp.patch(
        f"/Groups/{group_id}", {"op": "add", "path": "members", "value": [{"value": user_id}]}
    ).expect(200, 204)
    assert glpi.members(group_id) == {int(user_id): 1}

    # Suspended in JumpCloud.
    user["active"] = False
    idp.put(f"/Users/{user_id}", user).expect(200)
    assert glpi.user(user_id)["is_active"] == 0

    # Removed from the application: DELETE, the group stays with no member.
    idp.delete(f"/Users/{user_id}").expect(204)
    assert glpi.user(user_id)["is_deleted"] == 1
    idp.get(f"/Users/{user_id}").expect_error(404)
    remaining = idp.get(f"/Groups/{group_id}").expect(200).get("members") or []
    assert user_id not in [m["value"] for m in remaining]
