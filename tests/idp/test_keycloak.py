"""The Keycloak SCIM outbound plugin ("keycloak-scim"), replayed request by request.

Users: POST with `externalId` = Keycloak id and `roles: []`; updates are one PATCH of three
`replace` operations where `active` is the *string* "true"/"false". Groups: POST with members
carrying a relative `$ref`; every group change is a PATCH replacing the whole member list,
the displayName and the externalId; an emptied group gets `remove members` with a null value.
"""

from __future__ import annotations

import uuid

from .support import GROUP_SCHEMA, MEMBER_ADDED, MEMBER_REMOVED, USER_SCHEMA

KEYCLOAK = "Apache-HttpClient/4.5.14 (Java/17)"


def keycloak_user(username: str, first: str, last: str, kc_id: str) -> dict:
    return {
        "schemas": [USER_SCHEMA],
        "externalId": kc_id,
        "userName": username,
        "displayName": f"{first} {last}",
        "name": {"givenName": first, "familyName": last},
        "emails": [{"value": f"{username}@example.org", "type": "work", "primary": True}],
        "active": True,
        "roles": [],
    }


def keycloak_update(username: str, display: str, active: bool) -> list[dict]:
    return [
        {"op": "replace", "path": "active", "value": str(active).lower()},
        {"op": "replace", "path": "userName", "value": username},
        {"op": "replace", "path": "displayName", "value": display},
    ]


def test_keycloak_plugin_cycle(make_idp, glpi):
    idp, _ = make_idp("Keycloak", user_agent=KEYCLOAK)
    ids = {}
    for username, first, last in (("jdoe", "John", "Doe"), ("asmith", "Anna", "Smith")):
        created = idp.post(
            "/Users", keycloak_user(username, first, last, str(uuid.uuid4()))
        ).expect(201)
        ids[username] = created["id"]
    assert glpi.user(ids["jdoe"])["name"] == "jdoe"

    # Disabled in Keycloak: the boolean comes as a string.
    idp.patch(f"/Users/{ids['jdoe']}", *keycloak_update("jdoe", "John Doe", False)).expect(200, 204)
    assert glpi.user(ids["jdoe"])["is_active"] == 0
    idp.patch(f"/Users/{ids['jdoe']}", *keycloak_update("jdoe", "John Doe", True)).expect(200, 204)
    assert glpi.user(ids["jdoe"])["is_active"] == 1
    # Username changed in Keycloak: the GLPI login follows.
    idp.patch(f"/Users/{ids['jdoe']}", *keycloak_update("john.doe", "John Doe", True)).expect(
        200, 204
    )
    assert glpi.user(ids["jdoe"])["name"] == "john.doe"

    # Group with its members; $ref relative to the base URL.
    kc_group = str(uuid.uuid4())
    group_id = idp.post(
        "/Groups",
        {
            "schemas": [GROUP_SCHEMA],
            "externalId": kc_group,
            "displayName": "engineering",
            "members": [{"value": ids["jdoe"], "$ref": f"Users/{ids['jdoe']}"}],
        },
    ).expect(201)["id"]
    assert glpi.members(group_id) == {int(ids["jdoe"]): 1}

    # A member joins: the whole list is replaced.
    idp.patch(
        f"/Groups/{group_id}",
        {
            "op": "replace",
            "path": "members",
            "value": [{"value": ids["jdoe"]}, {"value": ids["asmith"]}],
        },
        {"op": "replace", "path": "displayName", "value": "engineering"},
        {"op": "replace", "path": "externalId", "value": kc_group},
    ).expect(200, 204)
    assert glpi.members(group_id) == {int(ids["jdoe"]): 1, int(ids["asmith"]): 1}
    assert glpi.logs("User", ids["asmith"], linked_action=MEMBER_ADDED)
    assert not glpi.logs("User", ids["jdoe"], linked_action=MEMBER_REMOVED)

    # One leaves: the list sent no longer has them.
    idp.patch(
        f"/Groups/{group_id}",
        {"op": "replace", "path": "members", "value": [{"value": ids["asmith"]}]},
        {"op": "replace", "path": "displayName", "value": "Engineering"},
        {"op": "replace", "path": "externalId", "value": kc_group},
    ).expect(200, 204)
    assert glpi.members(group_id) == {int(ids["asmith"]): 1}
    assert glpi.logs("User", ids["jdoe"], linked_action=MEMBER_REMOVED)
    assert glpi.group(group_id)["name"] == "Engineering"

    # The group empties: remove members with a null value.
    idp.patch(
        f"/Groups/{group_id}",
        {"op": "remove", "path": "members", "value": None},
        {"op": "replace", "path": "displayName", "value": "Engineering"},
        {"op": "replace", "path": "externalId", "value": kc_group},
    ).expect(200, 204)
    assert glpi.members(group_id) == {}

    idp.delete(f"/Groups/{group_id}").expect(204)
    idp.delete(f"/Users/{ids['asmith']}").expect(204)
    assert glpi.group(group_id) is None
    assert glpi.user(ids["asmith"])["is_deleted"] == 1
