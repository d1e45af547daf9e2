"""OneLogin's SCIM Provisioner (SCIM v2 Enterprise connector), replayed request by request.

OneLogin builds users from the connector's JSON template: its default templates use the legacy
URNs `urn:scim:schemas:core:2.0` and `urn:scim:schemas:extension:enterprise:2.0`, values come
straight from OneLogin fields (a leading space, or an empty string, when a field is empty).
Updates are PUTs of the whole template without `id`; deprovisioning is a PUT with `active`
false or a DELETE, per the app's provisioning rules; group membership is PATCHed with value
lists. This server's delete policy is `deactivate`.
"""

from __future__ import annotations

from .support import GROUP_SCHEMA

ONELOGIN = "OneLogin SCIM"
LEGACY_CORE = "urn:scim:schemas:core:2.0"
LEGACY_ENTERPRISE = "urn:scim:schemas:extension:enterprise:2.0"


def onelogin_user(login: str, given: str, family: str, *, active: bool = True) -> dict:
    """The SCIM v2 Enterprise connector's default template, filled in."""
    return {
        "schemas": [LEGACY_CORE, LEGACY_ENTERPRISE],
        "userName": login,
        "name": {"familyName": family, "givenName": given},
        "emails": [{"value": f"{login}@example.com", "type": "work", "primary": True}],
        "title": "",
        "active": active,
        LEGACY_ENTERPRISE: {"department": "Support", "organization": "Example"},
    }


def test_onelogin_provisioning_cycle(make_idp, glpi):
    idp, _ = make_idp("OneLogin", user_agent=ONELOGIN, delete_policy="deactivate")

    # Enabling the API connection lists users.
    idp.get("/Users", count="1").expect(200)

    login = "onelogin-test-user01"
    assert idp.find_users(f'userName eq "{login}"') == []
    created = idp.post("/Users", onelogin_user(login, "AAA Test", " User 01")).expect(201)
    user_id = created["id"]
    row = glpi.user(user_id)
    assert row["name"] == login
    assert row["firstname"] == "AAA Test"
    assert (row["realname"] or "").strip() == "User 01"
    assert row["usertitles_id"] == 0  # empty title: no dropdown row created
    assert glpi.emails(user_id) == {f"{login}@example.com": (1, 1)}
    # The legacy enterprise key is read as the enterprise extension.
    fetched = idp.get(f"/Users/{user_id}").expect(200)
    enterprise = fetched.get("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", {})
    assert enterprise.get("department") == "Support"

    # Attribute change in OneLogin: a PUT of the whole template, no id.
    changed = onelogin_user(login, "AAA Test", "User 01")
    changed["title"] = "Analyst"
    changed["emails"][0]["value"] = "user01@example.com"
    idp.put(f"/Users/{user_id}", changed).expect(200)
    row = glpi.user(user_id)
    assert row["realname"] == "User 01"
    assert glpi.title(row) == "Analyst"
    assert glpi.emails(user_id) == {"user01@example.com": (1, 1)}
    # An empty value clears the GLPI field.
    changed["title"] = ""
    idp.put(f"/Users/{user_id}", changed).expect(200)
    assert glpi.user(user_id)["usertitles_id"] == 0

    # Groups from OneLogin roles: creation, then members as value lists.
    second = idp.post("/Users", onelogin_user("onelogin-test-user02", "BBB", "User 02")).expect(
        201
    )["id"]
    group_id = idp.post(
        "/Groups", {"schemas": [GROUP_SCHEMA], "displayName": "OneLogin Role Support"}
    ).expect(201)["id"]
    idp.patch(
        f"/Groups/{group_id}",
        {"op": "add", "path": "members", "value": [{"value": user_id}, {"value": second}]},
    ).expect(200, 204)
    assert glpi.members(group_id) == {int(user_id): 1, int(second): 1}
    idp.patch(
        f"/Groups/{group_id}", {"op": "remove", "path": "members", "value": [{"value": second}]}
    ).expect(200, 204)
    assert glpi.members(group_id) == {int(user_id): 1}

    # Suspension rule: a PUT with active false.
    suspended = onelogin_user(login, "AAA Test", "User 01", active=False)
    assert idp.put(f"/Users/{user_id}", suspended).expect(200)["active"] is False
    assert glpi.user(user_id)["is_active"] == 0

    # Deletion rule: DELETE; the delete policy "deactivate" keeps the GLPI user, inactive.
    idp.delete(f"/Users/{second}").expect(204)
    row = glpi.user(second)
    assert (row["is_active"], row["is_deleted"]) == (0, 0)
    idp.get(f"/Users/{second}").expect_error(404)
