"""GLPI's rules, ownership, protection and entity scope, as identity providers meet them."""

from __future__ import annotations

from sqlalchemy import select

from glpi_scim.db import tables
from glpi_scim.db.database import Database
from idp.support import Glpi

from .conftest import MakeIdp
from .support import (
    ADMIN,
    ENTERPRISE,
    OBSERVER,
    TECHNICIAN,
    GlpiWriter,
    new_group,
    new_user,
    replace,
)


def owner_rows(database: Database, user_id: int) -> list[dict[str, object]]:
    owners = tables.owners
    with database.begin() as connection:
        query = select(owners.c.servers_id, owners.c.origin).where(owners.c.items_id == user_id)
        return [dict(row) for row in connection.execute(query).mappings()]


# -- rule 3: GLPI's Super-Admin is written by no server ------------------------------------


def test_no_server_renames_deactivates_deletes_or_sets_the_password_of_glpi(
    make_idp: MakeIdp, glpi: Glpi
) -> None:
    before = glpi.user(2)
    for settings in ({}, {"password_sync": True, "delete_policy": "purge"}):
        idp, _ = make_idp(f"idp{len(settings)}", **settings)
        assert idp.find_users('userName eq "glpi"')[0]["id"] == "2"  # linked by login: seen
        for operation in (
            replace("userName", "owned"),
            replace("active", False),
            replace("password", "Takeover-2026!"),
        ):
            error = idp.patch("/Users/2", operation).expect_error(403)
            assert "user 'glpi' is protected: it holds GLPI's config right" in error["detail"]
            assert "scimType" not in error
        idp.put("/Users/2", new_user("glpi", password="Takeover-2026!")).expect_error(403)
        idp.delete("/Users/2").expect_error(403)
    after = glpi.user(2)
    assert (after["name"], after["is_active"], after["is_deleted"], after["password"]) == (
        "glpi", 1, 0, before["password"],
    )  # fmt: skip


def test_the_system_user_and_applied_users_are_protected(
    make_idp: MakeIdp, site: GlpiWriter
) -> None:
    bot = site.user("scim-bot", ADMIN)
    okta, _ = make_idp("Okta", applied_user="scim-bot")
    entra, _ = make_idp("Entra")
    detail = entra.patch(f"/Users/{bot}", replace("active", False)).expect_error(403)["detail"]
    assert "it is the applied user of identity server 'Okta'" in detail
    detail = okta.delete("/Users/6").expect_error(403)["detail"]
    assert "user 'glpi-system' is protected: it is GLPI's system user" in detail


def test_a_login_protected_by_an_administrator_is_written_by_no_server(
    make_idp: MakeIdp, site: GlpiWriter, glpi: Glpi
) -> None:
    ceo = site.user("ceo", OBSERVER)
    idp, _ = make_idp("Okta", protect=["CEO"])
    other, _ = make_idp("Entra")
    for server in (idp, other):
        detail = server.patch(f"/Users/{ceo}", replace("title", "x")).expect_error(403)["detail"]
        assert "user 'ceo' is protected: it is listed with `glpi-scim server edit 'Okta'" in detail
    assert glpi.user(ceo)["usertitles_id"] == 0


# -- rule 1: the applied user is the acting user -------------------------------------------


def test_a_technician_applied_user_cannot_change_an_admin(
    make_idp: MakeIdp, site: GlpiWriter, glpi: Glpi
) -> None:
    boss = site.user("boss", ADMIN)
    idp, _ = make_idp("Okta", applied_user="tech")  # Technician: user rights, fewer than Admin
    error = idp.patch(f"/Users/{boss}", replace("active", False)).expect_error(403)
    assert (
        "user 'boss' has rights the applied user 'tech' lacks (profiles 'Admin')" in error["detail"]
    )
    assert glpi.user(boss)["is_active"] == 1
    # What a Technician may do in GLPI it may do through SCIM: create and change a requester.
    created = idp.post("/Users", new_user("requester")).expect(201)
    idp.patch(f"/Users/{created['id']}", replace("active", False)).expect(200)
    assert glpi.user(created["id"])["is_active"] == 0


def test_an_applied_user_without_the_create_right_cannot_create(
    make_idp: MakeIdp, glpi: Glpi
) -> None:
    idp, _ = make_idp("Okta", applied_user="normal")  # Observer: user READ only
    count = glpi.user_count()
    detail = idp.post("/Users", new_user("x")).expect_error(403)["detail"]
    assert detail.startswith("the applied user 'normal' has no CREATE right on users")
    detail = idp.post("/Groups", new_group("Sales")).expect_error(403)["detail"]
    assert detail.startswith("the applied user 'normal' has no CREATE right on groups")
    assert glpi.user_count() == count


def test_rights_count_only_in_the_entities_of_the_applied_users_profile(
    make_idp: MakeIdp, site: GlpiWriter
) -> None:
    paris = site.entity("Paris")
    lyon = site.entity("Lyon")
    site.user("paris-admin", ADMIN, entity=paris)
    lyon_user = site.user("lyon-user", OBSERVER, entity=lyon)
    idp, _ = make_idp("Okta", applied_user="paris-admin", entity=str(paris))
    detail = idp.post("/Users", new_user("new")).expect(201)  # created in Paris
    assert detail["userName"] == "new"
    root, _ = make_idp("Root", applied_user="paris-admin")  # placed in the root entity
    error = root.patch(f"/Users/{lyon_user}", replace("title", "x")).expect_error(403)
    assert (
        "the applied user 'paris-admin' has no UPDATE right on users in entity "
        "'Root entity > Lyon'" in error["detail"]
    )


# -- rule 2: ownership and adoption ---------------------------------------------------------


def test_server_b_gets_403_on_server_a_users(make_idp: MakeIdp, glpi: Glpi) -> None:
    okta, okta_server = make_idp("Okta")
    entra, _ = make_idp("Entra")
    user = okta.post("/Users", new_user("alice", active=True)).expect(201)
    for response in (
        entra.patch(f"/Users/{user['id']}", replace("active", False)),
        entra.put(f"/Users/{user['id']}", new_user("alice2")),
        entra.delete(f"/Users/{user['id']}"),
    ):
        detail = response.expect_error(403)["detail"]
        assert f"user 'alice' belongs to identity server 'Okta' (id {okta_server.id})" in detail
    group = okta.post("/Groups", new_group("Sales")).expect(201)
    detail = entra.delete(f"/Groups/{group['id']}").expect_error(403)["detail"]
    assert "group 'Sales' belongs to identity server 'Okta'" in detail
    row = glpi.user(user["id"])
    assert (row["name"], row["is_active"], row["is_deleted"]) == ("alice", 1, 0)
    assert glpi.group(group["id"]) is not None


def test_adoption_links_an_existing_user_and_is_recorded(
    make_idp: MakeIdp, site: GlpiWriter, glpi: Glpi, glpi_database: Database
) -> None:
    existing = site.user("jdoe", OBSERVER)
    idp, server = make_idp("Okta", log_requests=True)
    found = idp.find_users('userName eq "jdoe"')
    assert [u["id"] for u in found] == [str(existing)]
    idp.patch(f"/Users/{existing}", replace("name.familyName", "Doe")).expect(200)
    assert owner_rows(glpi_database, existing) == [{"servers_id": server.id, "origin": "adopted"}]
    messages = [row["new_value"] for row in glpi.logs("User", existing, linked_action=12)]
    assert messages == [f"adopted by identity server 'Okta' (id {server.id})"]
    notes = [row["note"] for row in idp.request_log() if row["method"] == "PATCH"]
    assert notes == [
        f"user 'jdoe' (id {existing}) adopted by identity server 'Okta' (id {server.id})"
    ]
    other, _ = make_idp("Entra")
    other.patch(f"/Users/{existing}", replace("title", "x")).expect_error(403)


def test_adoption_off_leaves_existing_users_alone(
    make_idp: MakeIdp, site: GlpiWriter, glpi: Glpi, glpi_database: Database
) -> None:
    existing = site.user("jdoe", OBSERVER)
    group = site.group("Hand made")
    idp, _ = make_idp("Okta", adopt="never")
    detail = idp.patch(f"/Users/{existing}", replace("active", False)).expect_error(403)["detail"]
    assert "user 'jdoe' was not created by identity server 'Okta' and adoption is off" in detail
    assert "--adopt unprotected" in detail
    idp.delete(f"/Groups/g{group}").expect_error(403)
    assert glpi.user(existing)["is_active"] == 1 and glpi.group(group) is not None
    assert owner_rows(glpi_database, existing) == []
    created = idp.post("/Users", new_user("fresh")).expect(201)  # its own users it writes
    idp.patch(f"/Users/{created['id']}", replace("active", False)).expect(200)


# -- rule 3: passwords and resurrection -----------------------------------------------------


def test_ldap_and_sso_accounts_keep_their_password(
    make_idp: MakeIdp, site: GlpiWriter, glpi: Glpi
) -> None:
    ldap = site.user("ldap-user", OBSERVER, authtype=3, password="")
    idp, _ = make_idp("Okta", password_sync=True, log_requests=True)
    idp.patch(f"/Users/{ldap}", replace("password", "New-Secret-2026")).expect(200)
    assert glpi.user(ldap)["password"] == ""
    assert glpi.user(ldap)["authtype"] == 3
    notes = [row["note"] or "" for row in idp.request_log() if row["method"] == "PATCH"]
    assert "the password of user 'ldap-user' was not written: its GLPI authtype is 3" in notes[0]
    own = idp.post("/Users", new_user("local", password="First-Secret-2026")).expect(201)
    first = glpi.user(own["id"])["password"]
    idp.patch(f"/Users/{own['id']}", replace("password", "Second-Secret-2026")).expect(200)
    assert glpi.user(own["id"])["password"] != first  # its own internal user: synced


def test_a_post_never_resurrects_a_user_glpi_or_another_server_trashed(
    make_idp: MakeIdp, site: GlpiWriter, glpi: Glpi
) -> None:
    trashed = site.user("former-admin", ADMIN, is_deleted=True)
    idp, _ = make_idp("Okta", password_sync=True)
    detail = idp.post("/Users", new_user("former-admin", password="Back-Again-2026")).expect_error(
        403
    )["detail"]
    assert f"userName 'former-admin' is held by GLPI user {trashed}, deleted by GLPI" in detail
    assert glpi.user(trashed)["is_deleted"] == 1
    other, _ = make_idp("Entra")
    mine = other.post("/Users", new_user("leaver")).expect(201)
    other.delete(f"/Users/{mine['id']}").expect(204)
    idp.post("/Users", new_user("leaver")).expect_error(403)
    assert other.post("/Users", new_user("leaver")).expect(201)["id"] == mine["id"]


# -- rule 4: entity scope -------------------------------------------------------------------


def test_a_sub_entity_server_neither_sees_nor_touches_root_entity_users(
    make_idp: MakeIdp, site: GlpiWriter, glpi: Glpi
) -> None:
    paris = site.entity("Paris")
    below = site.entity("Paris 11", parent=paris)
    root_admin = site.user("root-admin", ADMIN)
    local = site.user("paris-tech", TECHNICIAN, entity=paris)
    deep = site.user("paris11", OBSERVER, entity=below)
    root_group = site.group("Root group")
    idp, _ = make_idp("Paris", entity=str(paris), recursive=True, delete_policy="purge")
    listed = idp.get("/Users", count="100").expect(200)
    assert {u["userName"] for u in listed["Resources"]} == {"paris-tech", "paris11"}
    assert listed["totalResults"] == 2
    assert idp.find_users('userName eq "root-admin"') == []
    for response in (
        idp.get(f"/Users/{root_admin}"),
        idp.patch(f"/Users/{root_admin}", replace("active", False)),
        idp.put(f"/Users/{root_admin}", new_user("root-admin")),
        idp.delete(f"/Users/{root_admin}"),
        idp.delete("/Users/6"),  # glpi-system
        idp.get(f"/Groups/g{root_group}"),
        idp.patch(
            f"/Groups/g{root_group}",
            {"op": "add", "path": "members", "value": [{"value": str(local)}]},
        ),  # a member edit of a group outside the scope
        idp.delete(f"/Groups/g{root_group}"),
    ):
        response.expect_error(404)
    error = idp.post("/Groups", new_group("Paris team", members=[{"value": str(root_admin)}]))
    assert f"no user with id {root_admin}" in error.expect_error(400)["detail"]
    assert glpi.user(root_admin)["is_active"] == 1 and glpi.user(6)["name"] == "glpi-system"
    assert glpi.group(root_group) is not None
    idp.patch(f"/Users/{deep}", replace("title", "Clerk")).expect(200)
    assert local
    flat, _ = make_idp("Paris only", entity=str(paris))
    assert [u["userName"] for u in flat.get("/Users").expect(200)["Resources"]] == ["paris-tech"]
    # Without --recursive, Paris 11 is out of its scope: writes there find no user either.
    flat.patch(f"/Users/{deep}", replace("title", "Boss")).expect_error(404)
    flat.delete(f"/Users/{deep}").expect_error(404)
    assert idp.get(f"/Users/{deep}").expect(200)["title"] == "Clerk"


def test_a_sub_entity_server_can_neither_name_nor_unlink_users_outside_its_scope(
    make_idp: MakeIdp, site: GlpiWriter, glpi: Glpi
) -> None:
    paris = site.entity("Paris")
    root_admin = site.user("root-admin", ADMIN)
    idp, _ = make_idp("Paris", entity=str(paris), recursive=True)
    clerk = idp.post("/Users", new_user("paris-clerk")).expect(201)
    # A manager is a user the server sees: one outside its scope is named as unknown.
    manager = {"op": "add", "path": f"{ENTERPRISE}:manager", "value": {"value": str(root_admin)}}
    detail = idp.patch(f"/Users/{clerk['id']}", manager).expect_error(400)["detail"]
    assert f"manager.value '{root_admin}'" in detail
    assert glpi.user(clerk["id"])["users_id_supervisor"] == 0
    # A membership GLPI gave a root-entity user in the server's own group stays: to this
    # server that user does not exist, so removing it by id removes nothing.
    team = idp.post("/Groups", new_group("Paris team")).expect(201)
    group_id = int(team["id"].removeprefix("g"))
    site.member(root_admin, group_id)
    unlink = {"op": "remove", "path": f'members[value eq "{root_admin}"]'}
    idp.patch(f"/Groups/{team['id']}", unlink).expect(200, 204)
    assert root_admin in glpi.members(group_id)
