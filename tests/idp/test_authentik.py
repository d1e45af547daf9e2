"""authentik's SCIM provider, replayed request by request.

It reads ServiceProviderConfig first; users are POSTed (e-mail of type `other`), updated with
PUT of the whole user including `id`, and DELETEd when they leave the provider's scope. A 404
on PUT means "gone, create again", so an existing user (inactive included) must never answer
404. Groups: POST (on 409, a lookup by displayName), path-less PATCH replace of the whole
group, GET to compare members, then `add`/`remove` members PATCHes with value lists.
"""

from __future__ import annotations

import uuid

from .support import GROUP_SCHEMA, USER_SCHEMA

AUTHENTIK = "authentik@2024.12.3"


def authentik_user(username: str, name: str, email: str, uid: str, **extra: object) -> dict:
    given, _, family = name.partition(" ")
    user = {
        "schemas": [USER_SCHEMA],
        "userName": username,
        "name": {"formatted": name, "givenName": given, "familyName": family},
        "photos": [],
        "locale": "de",
        "emails": [{"value": email, "type": "other", "primary": True}],
        "externalId": uid,
    }
    user.update(extra)
    return user


def test_authentik_sync_cycle(make_idp, glpi):
    idp, _ = make_idp("authentik", user_agent=AUTHENTIK)
    config = idp.get("/ServiceProviderConfig").expect(200)
    assert config["patch"]["supported"] is True and config["filter"]["supported"] is True

    uid = uuid.uuid4().hex
    payload = authentik_user("akadmin", "authentik Default Admin", "admin@example.io", uid)
    user_id = idp.post("/Users", payload).expect(201)["id"]
    row = glpi.user(user_id)
    assert (row["name"], row["firstname"], row["realname"]) == (
        "akadmin",
        "authentik",
        "Default Admin",
    )
    assert row["language"] == "de_DE"
    assert glpi.emails(user_id) == {"admin@example.io": (1, 1)}  # type "other", primary

    # Update: PUT of the whole user with its id.
    payload = authentik_user(
        "akadmin", "authentik Admin", "admin@example.io", uid, id=user_id, active=True
    )
    idp.put(f"/Users/{user_id}", payload).expect(200)
    assert glpi.user(user_id)["realname"] == "Admin"

    # Deactivated in authentik: PUT with active false; then a later sync PUTs again.
    payload["active"] = False
    idp.put(f"/Users/{user_id}", payload).expect(200)
    assert glpi.user(user_id)["is_active"] == 0
    again = idp.put(f"/Users/{user_id}", payload)
    assert again.status == 200, "404 here would make authentik create a duplicate user"

    # Groups: creation, a duplicate creation (409) resolved by a displayName lookup.
    group = {"schemas": [GROUP_SCHEMA], "displayName": "authentik Admins", "externalId": "g-1"}
    group_id = idp.post("/Groups", group).expect(201)["id"]
    idp.post("/Groups", {**group, "externalId": "g-2"}).expect_error(409, "uniqueness")
    [found] = idp.find_groups('displayName eq "authentik Admins"')
    assert found["id"] == group_id
    # A displayName differing only in case is the same group for GLPI (its collation).
    idp.post("/Groups", {**group, "displayName": "AUTHENTIK ADMINS"}).expect_error(409)

    # Group update: path-less replace of the whole group.
    idp.patch(
        f"/Groups/{group_id}",
        {
            "op": "replace",
            "value": {
                "schemas": [GROUP_SCHEMA],
                "id": group_id,
                "displayName": "authentik Administrators",
                "externalId": "g-1",
            },
        },
    ).expect(200, 204)
    assert glpi.group(group_id)["name"] == "authentik Administrators"

    # Membership: GET to compare, then one add PATCH per member.
    assert not idp.get(f"/Groups/{group_id}").expect(200).get("members")
    idp.patch(
        f"/Groups/{group_id}", {"op": "add", "path": "members", "value": [{"value": user_id}]}
    ).expect(200, 204)
    assert glpi.members(group_id) == {int(user_id): 1}
    idp.patch(
        f"/Groups/{group_id}", {"op": "remove", "path": "members", "value": [{"value": user_id}]}
    ).expect(200, 204)
    assert glpi.members(group_id) == {}

    # The user leaves the provider's scope: DELETE; a later PUT answers 404 ("gone").
    idp.delete(f"/Users/{user_id}").expect(204)
    idp.put(f"/Users/{user_id}", payload).expect_error(404)
    idp.delete(f"/Groups/{group_id}").expect(204)
    idp.request("PUT", f"/Groups/{group_id}", {**group, "id": group_id}).expect_error(404)
