"""Microsoft Entra ID's provisioning cycle, replayed request by request.

Payloads and order follow Microsoft's "Develop and plan provisioning for a SCIM endpoint"
tutorial and its SCIM compliance known-issues page: the Test Connection probe with a random
GUID, lookups by userName and externalId, creation with the enterprise extension and empty
`roles`, PATCH with capitalised operation names and string booleans (the default job), the
`aadOptscim062020` forms (path-less replace with dotted and URN keys, filtered member removal),
groups looked up with `excludedAttributes=members`, and DELETE.
"""

from __future__ import annotations

import uuid

from .support import (
    CREATED,
    ENTERPRISE,
    GROUP_SCHEMA,
    MEMBER_ADDED,
    MEMBER_REMOVED,
    OPTION_ACTIVE,
    OPTION_REALNAME,
    USER_SCHEMA,
)

ENTRA = "Microsoft Entra ID"  # sends no User-Agent of its own; a label for the request log
ADSCIM_GROUP = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"


def entra_user(upn: str, object_id: str, given: str, family: str, **extra: object) -> dict:
    """POST /Users as Entra's default attribute mappings produce it."""
    user = {
        "schemas": [USER_SCHEMA, ENTERPRISE],
        "externalId": object_id,
        "userName": upn,
        "active": True,
        "displayName": f"{given} {family}",
        "emails": [{"primary": True, "type": "work", "value": upn}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": f"{given} {family}", "familyName": family, "givenName": given},
        "phoneNumbers": [
            {"type": "work", "value": "+33 1 23 45 67 89"},
            {"type": "mobile", "value": "+33 6 12 34 56 78"},
        ],
        "title": "Engineer",
        "preferredLanguage": "fr-FR",
        ENTERPRISE: {"employeeNumber": "E-1024", "department": "R&D"},
        "roles": [],
    }
    user.update(extra)
    return user


def test_entra_provisioning_cycle(make_idp, glpi, applied_user_log_name):
    idp, _ = make_idp("Entra ID", user_agent=ENTRA, log_requests=True)

    # Test Connection: a random GUID as userName; 200 and an empty ListResponse expected.
    users_before = glpi.user_count()
    assert idp.find_users(f'userName eq "{uuid.uuid4()}"') == []
    # Saving the configuration reads the schemas.
    schemas = idp.get("/Schemas").expect(200)
    assert {USER_SCHEMA, GROUP_SCHEMA, ENTERPRISE} <= {s["id"] for s in schemas["Resources"]}
    assert glpi.user_count() == users_before

    # Initial cycle: match on userName, nothing found, create.
    alice_oid = str(uuid.uuid4())
    assert idp.find_users('userName eq "alice.martin@contoso.com"') == []
    created = idp.post(
        "/Users", entra_user("alice.martin@contoso.com", alice_oid, "Alice", "Martin")
    ).expect(201)
    alice = created["id"]
    assert created["userName"] == "alice.martin@contoso.com"
    assert created["externalId"] == alice_oid
    assert created["active"] is True
    assert "password" not in created

    row = glpi.user(alice)
    assert row["name"] == "alice.martin@contoso.com"
    assert (row["firstname"], row["realname"]) == ("Alice", "Martin")
    assert row["is_active"] == 1 and row["is_deleted"] == 0
    assert (row["authtype"], row["auths_id"]) == (4, 0)  # external: signs in through SSO
    assert (row["phone"], row["mobile"]) == ("+33 1 23 45 67 89", "+33 6 12 34 56 78")
    assert row["registration_number"] == "E-1024"
    assert row["language"] == "fr_FR"
    assert glpi.title(row) == "Engineer"
    assert row["date_creation"] is not None and row["date_mod"] is not None
    assert glpi.emails(alice) == {"alice.martin@contoso.com": (1, 1)}
    [profile] = glpi.profiles(alice)
    assert (profile["profiles_id"], profile["entities_id"]) == (1, 0)  # GLPI's default profile
    assert (profile["is_dynamic"], profile["is_default_profile"]) == (1, 1)
    [creation] = glpi.logs("User", alice, linked_action=CREATED)
    assert creation["user_name"] == applied_user_log_name

    # Unmapped attributes come back as sent (no drift, no endless re-sync).
    fetched = idp.get(f"/Users/{alice}").expect(200)
    assert fetched["displayName"] == "Alice Martin"
    assert fetched[ENTERPRISE]["department"] == "R&D"
    assert fetched["name"]["formatted"] == "Alice Martin"

    # Later cycles look the user up by externalId (objectId matching) and by userName.
    [found] = idp.find_users(f'externalId eq "{alice_oid}"')
    assert found["id"] == alice
    [found] = idp.find_users('userName eq "ALICE.MARTIN@contoso.com"')  # case-insensitive
    assert found["id"] == alice

    # Update, default job: capitalised ops, filtered email path, URN path.
    idp.patch(
        f"/Users/{alice}",
        {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "alice@contoso.com"},
        {"op": "Replace", "path": "name.familyName", "value": "Martin-Durand"},
        {"op": "Replace", "path": "title", "value": "Senior Engineer"},
        {"op": "Replace", "path": f"{ENTERPRISE}:employeeNumber", "value": "E-2048"},
    ).expect(200, 204)
    row = glpi.user(alice)
    assert row["realname"] == "Martin-Durand"
    assert row["registration_number"] == "E-2048"
    assert glpi.title(row) == "Senior Engineer"
    assert glpi.emails(alice) == {"alice@contoso.com": (1, 1)}
    [change] = glpi.logs("User", alice, linked_action=0, id_search_option=OPTION_REALNAME)
    assert (change["old_value"], change["new_value"]) == ("Martin", "Martin-Durand")
    assert change["user_name"] == applied_user_log_name

    # Update with aadOptscim062020: one path-less replace with dotted and URN keys.
    idp.patch(
        f"/Users/{alice}",
        {
            "op": "replace",
            "value": {
                "displayName": "Alice Durand",
                "name.givenName": "Alicia",
                "name.familyName": "Durand",
                f"{ENTERPRISE}:employeeNumber": "E-4096",
            },
        },
    ).expect(200, 204)
    row = glpi.user(alice)
    assert (row["firstname"], row["realname"]) == ("Alicia", "Durand")
    assert row["registration_number"] == "E-4096"
    assert idp.get(f"/Users/{alice}").expect(200)["displayName"] == "Alice Durand"

    # Disable (default job: the string "False"), then enable again ("True").
    idp.patch(f"/Users/{alice}", {"op": "Replace", "path": "active", "value": "False"}).expect(
        200, 204
    )
    assert glpi.user(alice)["is_active"] == 0
    assert glpi.logs("User", alice, linked_action=0, id_search_option=OPTION_ACTIVE)
    disabled = idp.get(f"/Users/{alice}").expect(200)  # a disabled user is still returned
    assert disabled["active"] is False
    idp.patch(f"/Users/{alice}", {"op": "Replace", "path": "active", "value": "True"}).expect(
        200, 204
    )
    assert glpi.user(alice)["is_active"] == 1
    # With the flag the boolean is a real one.
    idp.patch(f"/Users/{alice}", {"op": "replace", "path": "active", "value": False}).expect(
        200, 204
    )
    assert glpi.user(alice)["is_active"] == 0
    idp.patch(f"/Users/{alice}", {"op": "replace", "path": "active", "value": True}).expect(
        200, 204
    )

    # A second user, for the group.
    bob = idp.post(
        "/Users", entra_user("bob.leroy@contoso.com", str(uuid.uuid4()), "Bob", "Leroy")
    ).expect(201)["id"]

    # Groups: looked up by displayName without members, created empty, then members PATCHed.
    group_oid = str(uuid.uuid4())
    assert idp.find_groups('displayName eq "Service Desk"', excludedAttributes="members") == []
    group = idp.post(
        "/Groups",
        {
            "schemas": [GROUP_SCHEMA, ADSCIM_GROUP],
            "externalId": group_oid,
            "displayName": "Service Desk",
            "meta": {"resourceType": "Group"},
        },
    ).expect(201)
    group_id = group["id"]
    row = glpi.group(group_id)
    assert row is not None
    assert (row["name"], row["completename"], row["level"]) == ("Service Desk", "Service Desk", 1)
    assert glpi.logs("Group", group_id, linked_action=CREATED)
    assert glpi.members(group_id) == {}

    idp.patch(
        f"/Groups/{group_id}",
        {"op": "Add", "path": "members", "value": [{"$ref": None, "value": alice}]},
        {"op": "Add", "path": "members", "value": [{"$ref": None, "value": bob}]},
    ).expect(200, 204)
    assert glpi.members(group_id) == {int(alice): 1, int(bob): 1}
    assert glpi.logs("User", alice, linked_action=MEMBER_ADDED)
    assert glpi.logs("Group", group_id, linked_action=MEMBER_ADDED)
    [found] = idp.find_groups('displayName eq "Service Desk"', excludedAttributes="members")
    assert found["id"] == group_id and "members" not in found
    assert "members" not in idp.get(f"/Groups/{group_id}", excludedAttributes="members").expect(200)
    user_groups = idp.get(f"/Users/{bob}").expect(200)["groups"]
    assert [g["value"] for g in user_groups] == [group_id]

    # Member removal, default job: a value list under path "members".
    idp.patch(
        f"/Groups/{group_id}", {"op": "Remove", "path": "members", "value": [{"value": bob}]}
    ).expect(200, 204)
    assert glpi.members(group_id) == {int(alice): 1}
    assert glpi.logs("Group", group_id, linked_action=MEMBER_REMOVED)
    # With the flag: a filtered path.
    idp.patch(
        f"/Groups/{group_id}", {"op": "remove", "path": f'members[value eq "{alice}"]'}
    ).expect(200, 204)
    assert glpi.members(group_id) == {}

    # Rename.
    idp.patch(
        f"/Groups/{group_id}", {"op": "Replace", "path": "displayName", "value": "IT Service Desk"}
    ).expect(200, 204)
    row = glpi.group(group_id)
    assert row is not None and (row["name"], row["completename"]) == (
        "IT Service Desk",
        "IT Service Desk",
    )

    # Deprovisioning: group deleted (purged), user deleted (trash by default).
    idp.patch(
        f"/Groups/{group_id}", {"op": "Add", "path": "members", "value": [{"value": bob}]}
    ).expect(200, 204)
    idp.delete(f"/Groups/{group_id}").expect(204)
    assert glpi.group(group_id) is None
    assert glpi.user_groups(bob) == set()
    idp.get(f"/Groups/{group_id}").expect_error(404)

    idp.delete(f"/Users/{alice}").expect(204)
    row = glpi.user(alice)
    assert row["is_deleted"] == 1  # delete policy "trash": in GLPI's trash bin
    assert glpi.logs("User", alice, linked_action=13)
    idp.get(f"/Users/{alice}").expect_error(404)
    assert idp.find_users('userName eq "alice@contoso.com"') == []
    assert idp.find_users('userName eq "alice.martin@contoso.com"') == []

    # Every request is in the request log, the secret token in none of them.
    assert idp.authorization is not None
    token = idp.authorization.split()[1]
    entries = idp.request_log()
    assert len(entries) >= 30
    assert all(token not in (entry["request_headers"] or "") for entry in entries)


def test_entra_wrong_secret_token_is_refused_and_changes_nothing(make_idp, glpi):
    idp, _ = make_idp("Entra ID", user_agent=ENTRA)
    before = glpi.user_count()
    for header in (None, "Bearer not-a-token", "Basic YWRtaW46YWRtaW4="):
        result = idp.post(
            "/Users",
            entra_user("eve@contoso.com", str(uuid.uuid4()), "Eve", "Doe"),
            authorization=header,
        )
        result.expect_error(401)
        assert result.headers.get("www-authenticate", "").startswith("Bearer")
    assert glpi.user_count() == before
    assert glpi.user_by_login("eve@contoso.com") is None


def test_entra_bad_patch_is_a_scim_error_that_changes_nothing(make_idp, glpi):
    idp, _ = make_idp("Entra ID", user_agent=ENTRA)
    alice = idp.post(
        "/Users", entra_user("alice@contoso.com", str(uuid.uuid4()), "Alice", "Martin")
    ).expect(201)["id"]
    # One valid operation and one on an attribute that does not exist: nothing is applied.
    result = idp.patch(
        f"/Users/{alice}",
        {"op": "Replace", "path": "name.familyName", "value": "Changed"},
        {"op": "Replace", "path": "favouriteColour", "value": "blue"},
    )
    assert result.status == 400, result.text
    assert result.expect_error(400)["scimType"] in ("invalidPath", "noTarget", "invalidValue")
    assert glpi.user(alice)["realname"] == "Martin"
    # A boolean Entra would never send.
    idp.patch(
        f"/Users/{alice}", {"op": "Replace", "path": "active", "value": "maybe"}
    ).expect_error(400, "invalidValue")
    assert glpi.user(alice)["is_active"] == 1
