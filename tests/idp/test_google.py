"""Google Workspace auto-provisioning, replayed request by request.

Setup probes `GET /Users?count=1` with the access token (it must answer a ListResponse even
when nothing was provisioned yet). Users are looked up by userName (the primary e-mail),
created, updated, suspended with `active` false, and deleted. This server purges on delete.
"""

from __future__ import annotations

from .support import LIST_RESPONSE, USER_SCHEMA

GOOGLE = "Google-Auto-Provisioning"


def test_google_probe_and_lifecycle(make_idp, glpi):
    idp, _ = make_idp("Google", user_agent=GOOGLE, delete_policy="purge")

    probe = idp.get("/Users", count="1").expect(200)
    assert LIST_RESPONSE in probe["schemas"] and len(probe["Resources"]) <= 1

    email = "kim.lee@example.com"
    assert idp.find_users(f'userName eq "{email}"') == []
    user = {
        "schemas": [USER_SCHEMA],
        "userName": email,
        "name": {"givenName": "Kim", "familyName": "Lee"},
        "emails": [{"value": email, "type": "work", "primary": True}],
        "active": True,
    }
    user_id = idp.post("/Users", user).expect(201)["id"]
    assert glpi.user(user_id)["name"] == email

    idp.patch(
        f"/Users/{user_id}", {"op": "replace", "path": "name.givenName", "value": "Kimberly"}
    ).expect(200, 204)
    assert glpi.user(user_id)["firstname"] == "Kimberly"

    # Suspended in Google.
    idp.patch(f"/Users/{user_id}", {"op": "replace", "path": "active", "value": False}).expect(
        200, 204
    )
    assert glpi.user(user_id)["is_active"] == 0

    # Deleted in Google; delete policy "purge": the GLPI user and its rows are gone.
    idp.delete(f"/Users/{user_id}").expect(204)
    assert glpi.user_by_login(email) is None
    assert glpi.emails(user_id) == {}
    assert glpi.profiles(user_id) == []
    idp.get(f"/Users/{user_id}").expect_error(404)
    idp.delete(f"/Users/{user_id}").expect_error(404)
