"""SCIM Groups in glpi_groups / glpi_groups_users, with GLPI's history on both sides."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest
from sqlalchemy import Connection, select, text

from glpi_scim.db import tables
from glpi_scim.db.database import Database
from glpi_scim.glpi.groups import GroupReader
from glpi_scim.glpi.store import GlpiStore
from glpi_scim.identity.models import IdentityServer
from glpi_scim.scim.errors import InvalidValue, NotFound, PreconditionFailed, Uniqueness
from glpi_scim.scim.filter import parse_filter
from glpi_scim.scim.store import ListQuery, MemberChange, MemberReply

from .support import APPLIED, Clock, Rows, glpi_id, group, replace_with, user


def make_users(store: GlpiStore, *names: str) -> list[str]:
    return [
        store.create(
            "User", user(userName=name, name={"givenName": name.title(), "familyName": "X"})
        )["id"]
        for name in names
    ]


def member_ids(resource: dict) -> list[str]:
    return [m["value"] for m in resource.get("members", [])]


def test_create_group_as_glpi_does(store: GlpiStore, rows: Rows) -> None:
    ann, bob = make_users(store, "ann", "bob")
    created = store.create(
        "Group",
        group(
            displayName="  R&D  ",
            externalId="g-1",
            members=[{"value": ann}, {"value": bob, "type": "User"}],
        ),
    )
    group_id = glpi_id(created["id"])
    row = rows.one("SELECT * FROM glpi_groups WHERE id = :g", g=group_id)
    assert row["name"] == "R&#38;D" and row["completename"] == "R&#38;D"
    assert (row["level"], row["groups_id"], row["entities_id"], row["is_recursive"]) == (1, 0, 0, 0)
    flags = ("is_requester", "is_watcher", "is_assign", "is_task", "is_notify", "is_itemgroup")
    assert all(row[flag] == 1 for flag in (*flags, "is_usergroup", "is_manager"))
    assert row["ancestors_cache"] is None and row["sons_cache"] is None
    assert row["date_creation"] == row["date_mod"] == datetime(2025, 3, 4, 10, 20, 30)
    links = rows.all(
        "SELECT users_id, is_dynamic, is_manager, is_userdelegate FROM glpi_groups_users "
        "WHERE groups_id = :g ORDER BY id",
        g=group_id,
    )
    assert links == [
        {"users_id": int(ann), "is_dynamic": 1, "is_manager": 0, "is_userdelegate": 0},
        {"users_id": int(bob), "is_dynamic": 1, "is_manager": 0, "is_userdelegate": 0},
    ]
    assert rows.logs("Group", group_id) == [
        (20, "0", 0, "", ""),
        (15, "User", 0, "", f"X Ann ({ann})"),
        (15, "User", 0, "", f"X Bob ({bob})"),
    ]
    assert rows.logs("User", ann)[-1] == (15, "Group", 0, "", f"R&#38;D ({group_id})")
    assert created["displayName"] == "R&D" and created["externalId"] == "g-1"
    assert created["id"] == f"g{group_id}"  # RFC 7643 §3.1: never the id of a user
    assert created["members"] == [
        {"value": ann, "type": "User", "display": "X Ann"},
        {"value": bob, "type": "User", "display": "X Bob"},
    ]
    assert store.get("User", ann)["groups"] == [
        {"value": created["id"], "display": "R&D", "type": "direct"}
    ]


def test_group_placement_follows_the_server(
    make_store: Callable[..., GlpiStore], rows: Rows
) -> None:
    store = make_store(is_recursive=True)
    created = store.create("Group", group(displayName="Recursive"))
    row = rows.one("SELECT * FROM glpi_groups WHERE id = :g", g=glpi_id(created["id"]))
    assert row["is_recursive"] == 1


@pytest.mark.parametrize("clash", ["r&d", "R&D ", "  R&D"])
def test_display_name_unique_case_insensitively(store: GlpiStore, rows: Rows, clash: str) -> None:
    store.create("Group", group(displayName="R&D"))
    before = rows.snapshot()
    with pytest.raises(Uniqueness):
        store.create("Group", group(displayName=clash))
    assert rows.snapshot() == before


def test_blank_display_name_is_invalid(store: GlpiStore) -> None:
    with pytest.raises(InvalidValue):
        store.create("Group", group(displayName="   "))


def test_unknown_member_writes_nothing(store: GlpiStore, rows: Rows) -> None:
    (ann,) = make_users(store, "ann")
    before = rows.snapshot()
    for bad in ("999", "abc", "2.5"):
        with pytest.raises(InvalidValue, match="members"):
            store.create("Group", group(displayName="G", members=[{"value": ann}, {"value": bad}]))
    other = store.create("Group", group(displayName="Other"))
    with pytest.raises(InvalidValue, match="groups cannot contain groups"):
        store.create(
            "Group", group(displayName="G", members=[{"value": other["id"], "type": "Group"}])
        )
    store.delete("Group", other["id"])
    assert rows.snapshot() == before


def test_change_members_add_remove_replace(store: GlpiStore, rows: Rows, clock: Clock) -> None:
    ann, bob, cid = make_users(store, "ann", "bob", "cid")
    created = store.create("Group", group(displayName="Team", members=[{"value": ann}]))
    gid = created["id"]
    clock.tick()
    store.change_members(gid, MemberChange(add=[{"value": bob}, {"value": ann}]))
    assert member_ids(store.get("Group", gid)) == [ann, bob]
    assert rows.count("glpi_groups_users") == 2
    store.change_members(gid, MemberChange(remove=[ann, "999"]))
    assert member_ids(store.get("Group", gid)) == [bob]
    assert rows.logs("User", ann)[-1] == (16, "Group", 0, f"Team ({glpi_id(gid)})", "")
    assert rows.logs("Group", gid)[-1] == (16, "User", 0, f"X Ann ({ann})", "")
    store.change_members(gid, MemberChange(replace=[{"value": cid}, {"value": ann}]))
    assert sorted(member_ids(store.get("Group", gid))) == sorted([cid, ann])
    store.change_members(gid, MemberChange(remove_all=True))
    assert "members" not in store.get("Group", gid)
    assert rows.count("glpi_groups_users") == 0
    modified = rows.scalar("SELECT date_mod FROM glpi_groups WHERE id = :g", g=glpi_id(gid))
    assert str(modified).startswith("2025-03-04 10:20:31")
    before = rows.snapshot()
    with pytest.raises(InvalidValue):
        store.change_members(gid, MemberChange(add=[{"value": ann}, {"value": "4242"}]))
    assert rows.snapshot() == before


def test_change_members_respects_if_match(store: GlpiStore, clock: Clock) -> None:
    (ann,) = make_users(store, "ann")
    created = store.create("Group", group(displayName="Team"))
    clock.tick()
    store.change_members(created["id"], MemberChange(add=[{"value": ann}]))
    with pytest.raises(PreconditionFailed):
        store.change_members(
            created["id"], MemberChange(remove_all=True), if_match=created["meta"]["version"]
        )
    current = store.get("Group", created["id"], skip=frozenset({"members"}))
    assert current["meta"]["version"] == store.get("Group", created["id"])["meta"]["version"]
    store.change_members(
        created["id"], MemberChange(remove_all=True), if_match=current["meta"]["version"]
    )


def test_update_renames_and_sets_members(store: GlpiStore, rows: Rows) -> None:
    ann, bob = make_users(store, "ann", "bob")
    created = store.create("Group", group(displayName="Old", members=[{"value": ann}]))
    gid = glpi_id(created["id"])
    with store.database.begin() as connection:  # a sub-group made in GLPI's UI
        connection.execute(
            text(
                "INSERT INTO glpi_groups (name, completename, groups_id, level, entities_id) "
                "VALUES ('Child', 'Old > Child', :g, 2, 0)"
            ),
            {"g": gid},
        )
    updated = store.update(
        "Group", created["id"], replace_with(displayName="New", members=[{"value": bob}])
    )
    assert updated["displayName"] == "New" and member_ids(updated) == [bob]
    row = rows.one("SELECT * FROM glpi_groups WHERE id = :g", g=gid)
    assert (row["name"], row["completename"]) == ("New", "New")
    child = rows.one("SELECT * FROM glpi_groups WHERE name = 'Child'")
    assert child["completename"] == "New > Child"
    logs = rows.logs("Group", gid)
    assert (0, "", 14, "Old", "New") in logs and (0, "", 1, "Old", "New") in logs
    assert (16, "User", 0, f"X Ann ({ann})", "") in logs
    assert (15, "User", 0, "", f"X Bob ({bob})") in logs


def test_rename_to_taken_name(store: GlpiStore) -> None:
    store.create("Group", group(displayName="Taken"))
    other = store.create("Group", group(displayName="Other"))
    with pytest.raises(Uniqueness):
        store.update("Group", other["id"], replace_with(displayName="TAKEN"))
    assert (
        store.update("Group", other["id"], replace_with(displayName="OTHER"))["displayName"]
        == "OTHER"
    )


def test_delete_purges_group(store: GlpiStore, rows: Rows) -> None:
    ann, bob = make_users(store, "ann", "bob")
    parent = store.create("Group", group(displayName="Parent"))
    created = store.create(
        "Group", group(displayName="Doomed", members=[{"value": ann}, {"value": bob}])
    )
    gid = glpi_id(created["id"])
    with store.database.begin() as connection:
        connection.execute(
            text(
                "UPDATE glpi_groups SET groups_id = :p, level = 2, "
                "completename = 'Parent > Doomed' WHERE id = :g"
            ),
            {"p": glpi_id(parent["id"]), "g": gid},
        )
        connection.execute(
            text(
                "INSERT INTO glpi_groups (name, completename, groups_id, level, entities_id) "
                "VALUES ('Kid', 'Parent > Doomed > Kid', :g, 3, 0)"
            ),
            {"g": gid},
        )
        connection.execute(
            text("UPDATE glpi_users SET groups_id = :g WHERE id = :u"), {"g": gid, "u": int(ann)}
        )
    store.delete("Group", created["id"])
    assert rows.all("SELECT id FROM glpi_groups WHERE id = :g", g=gid) == []
    assert rows.all("SELECT id FROM glpi_groups_users WHERE groups_id = :g", g=gid) == []
    assert rows.logs("Group", gid) == []
    assert rows.logs("User", ann)[-1] == (16, "Group", 0, f"Doomed ({gid})", "")
    assert rows.logs("User", bob)[-1] == (16, "Group", 0, f"Doomed ({gid})", "")
    kid = rows.one("SELECT * FROM glpi_groups WHERE name = 'Kid'")
    assert (kid["groups_id"], kid["level"], kid["completename"]) == (
        glpi_id(parent["id"]), 2, "Parent > Kid",
    )  # fmt: skip
    assert rows.user(ann)["groups_id"] == 0
    with pytest.raises(NotFound):
        store.get("Group", created["id"])
    with pytest.raises(NotFound):
        store.delete("Group", created["id"])


def test_members_hide_deleted_users(make_store: Callable[..., GlpiStore]) -> None:
    store = make_store(delete_policy="trash")
    ann, bob = make_users(store, "ann", "bob")
    created = store.create(
        "Group", group(displayName="T", members=[{"value": ann}, {"value": bob}])
    )
    store.delete("User", ann)
    assert member_ids(store.get("Group", created["id"])) == [bob]
    with pytest.raises(InvalidValue):
        store.change_members(created["id"], MemberChange(add=[{"value": ann}]))


def test_skip_members_and_groups(store: GlpiStore) -> None:
    (ann,) = make_users(store, "ann")
    created = store.create("Group", group(displayName="T", members=[{"value": ann}]))
    skipped = store.get("Group", created["id"], skip=frozenset({"members"}))
    assert "members" not in skipped
    assert skipped["meta"]["version"] == created["meta"]["version"]
    user_skipped = store.get("User", ann, skip=frozenset({"groups"}))
    assert "groups" not in user_skipped
    assert user_skipped["meta"]["version"] == store.get("User", ann)["meta"]["version"]


def test_membership_change_changes_versions(store: GlpiStore) -> None:
    (ann,) = make_users(store, "ann")
    created = store.create("Group", group(displayName="T"))
    before_user = store.get("User", ann)["meta"]["version"]
    store.change_members(created["id"], MemberChange(add=[{"value": ann}]))
    assert store.get("Group", created["id"])["meta"]["version"] != created["meta"]["version"]
    assert store.get("User", ann)["meta"]["version"] != before_user


def test_member_removal_changes_the_group_version(store: GlpiStore) -> None:
    ann, bob = make_users(store, "ann", "bob")
    created = store.create(
        "Group", group(displayName="T", members=[{"value": ann}, {"value": bob}])
    )
    store.change_members(created["id"], MemberChange(remove=[bob]))
    assert store.get("Group", created["id"])["meta"]["version"] != created["meta"]["version"]


def _run(database: Database, *statements: str) -> None:
    with database.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))


@pytest.mark.parametrize("policy", ["trash", "deactivate", "purge"])
def test_deleting_a_member_changes_the_group_version(
    make_store: Callable[..., GlpiStore], policy: str
) -> None:
    """Trashed or tombstoned users leave the member list without touching the group's rows."""
    store = make_store(delete_policy=policy)
    ann, bob = make_users(store, "ann", "bob")
    created = store.create(
        "Group", group(displayName="T", members=[{"value": ann}, {"value": bob}])
    )
    store.delete("User", ann)
    current = store.get("Group", created["id"])
    assert member_ids(current) == [bob]
    assert current["meta"]["version"] != created["meta"]["version"]


def test_group_version_follows_changes_made_in_glpi(store: GlpiStore) -> None:
    ann, bob = make_users(store, "ann", "bob")
    created = store.create(
        "Group", group(displayName="T", members=[{"value": ann}, {"value": bob}])
    )
    group_id = glpi_id(created["id"])
    original = created["meta"]["version"]

    def version_now() -> str:
        version = str(store.get("Group", created["id"])["meta"]["version"])
        skipped = store.get("Group", created["id"], skip=frozenset({"members"}))
        assert skipped["meta"]["version"] == version
        return version

    # GLPI's trash hides a member; restoring it shows it again (and the same state has the
    # same version).
    _run(store.database, f"UPDATE glpi_users SET is_deleted = 1 WHERE id = {ann}")
    assert member_ids(store.get("Group", created["id"])) == [bob]
    assert version_now() != original
    _run(store.database, f"UPDATE glpi_users SET is_deleted = 0 WHERE id = {ann}")
    assert version_now() == original
    # GLPI removes a membership and logs it on the group, as its UI does.
    _run(
        store.database,
        f"DELETE FROM glpi_groups_users WHERE groups_id = {group_id} AND users_id = {bob}",
        "INSERT INTO glpi_logs (itemtype, items_id, itemtype_link, linked_action, user_name, "
        f"date_mod, id_search_option, old_value, new_value) VALUES ('Group', {group_id}, "
        f"'User', 16, 'glpi (2)', '2025-03-04 10:20:30', 0, 'X Bob ({bob})', '')",
    )
    assert version_now() != original
    assert member_ids(store.get("Group", created["id"])) == [ann]


def test_a_member_edit_answers_with_the_group_up_to_the_reply_limit(store: GlpiStore) -> None:
    """The limit counts the group's links after the edit (users hidden from the server
    included); above it, or at limit 0, or with no reply asked, the edit answers nothing."""
    ann, bob, cid = make_users(store, "ann", "bob", "cid")
    created = store.create("Group", group(displayName="T", members=[{"value": ann}]))
    gid = created["id"]
    add_bob = MemberChange(add=[{"value": bob}])
    answer = store.change_members(gid, add_bob, reply=MemberReply(limit=2))
    assert answer is not None and member_ids(answer) == [ann, bob]
    assert answer == store.get("Group", gid)  # the same group, version included
    add_cid = MemberChange(add=[{"value": cid}])
    assert store.change_members(gid, add_cid, reply=MemberReply(limit=2)) is None  # now 3
    # No change, three links: past the count's bound, the probe alone tells a large group.
    assert store.change_members(gid, add_bob, reply=MemberReply(limit=2)) is None
    assert store.change_members(gid, add_bob, reply=MemberReply(limit=3)) is not None
    # A removal brings it back to the limit: counted after the edit.
    drop_cid = MemberChange(remove=[cid])
    answer = store.change_members(gid, drop_cid, reply=MemberReply(limit=2))
    assert answer is not None and member_ids(answer) == [ann, bob]
    assert store.change_members(gid, add_cid, reply=MemberReply(limit=0)) is None
    assert store.change_members(gid, drop_cid) is None
    # A replace counts what it left.
    replace = MemberChange(replace=[{"value": ann}])
    answer = store.change_members(gid, replace, reply=MemberReply(frozenset({"members"}), 1))
    assert answer is not None and "members" not in answer
    assert answer == store.get("Group", gid, skip=frozenset({"members"}))
    with pytest.raises(NotFound):
        store.change_members("g99999", add_bob, reply=MemberReply(limit=10))


def test_update_without_members_empties_the_group(store: GlpiStore, rows: Rows) -> None:
    (ann,) = make_users(store, "ann")
    created = store.create("Group", group(displayName="T", members=[{"value": ann}]))
    updated = store.update("Group", created["id"], replace_with(members=None))
    assert "members" not in updated
    assert rows.count("glpi_groups_users") == 0


def test_group_ids_never_collide_with_user_ids(store: GlpiStore, rows: Rows) -> None:
    """RFC 7643 §3.1: an id is unique across all resources; GLPI numbers users and groups
    separately, so a group's id is its GLPI id behind "g"."""
    (ann,) = make_users(store, "ann")
    team = store.create("Group", group(displayName="Team", members=[{"value": ann}]))
    number = glpi_id(team["id"])
    assert team["id"] == f"g{number}"
    assert store.get("Group", team["id"])["displayName"] == "Team"
    for wrong in (str(number), f"G{number}", f"g0{number}", f"g{number} ", "g"):
        with pytest.raises(NotFound):
            store.get("Group", wrong)
    with pytest.raises(NotFound):
        store.get("User", team["id"])
    assert store.get("User", ann)["groups"][0]["value"] == team["id"]

    def groups_where(text: str) -> list[str]:
        query = ListQuery(filter=parse_filter(text, "Group"), count=100)
        return [r["id"] for r in store.list("Group", query).resources]

    def users_where(text: str) -> list[str]:
        query = ListQuery(filter=parse_filter(text, "User"), count=100)
        return [r["id"] for r in store.list("User", query).resources]

    assert groups_where(f'id eq "{team["id"]}"') == [team["id"]]
    assert groups_where(f'id eq "{number}"') == []
    assert groups_where('id sw "g"') == [team["id"]]
    assert users_where(f'groups.value eq "{team["id"]}"') == [ann]
    assert users_where(f'groups[value eq "{number}"]') == []
    assert groups_where(f'members.value eq "{ann}"') == [team["id"]]


def _rows_read(connection: Connection) -> int:
    status = connection.execute(text("SHOW SESSION STATUS LIKE 'Handler_read%'"))
    return sum(int(value) for _name, value in status)


def _crowd(
    database: Database, clock: Clock, users: int, spare: int = 0
) -> tuple[IdentityServer, GlpiStore, list[str], str]:
    """A store, `users` users inserted directly beside GLPI's own, and a group of all the
    users but the last `spare`; the users' ids and the group's."""
    server = IdentityServer(id=1, name="idp", users_id_applied=APPLIED)
    store = GlpiStore(database, server, now=clock)
    with database.begin() as connection:
        connection.execute(
            tables.users.insert(), [{"name": f"u{i}", "authtype": 1} for i in range(users)]
        )
        ids = [str(i) for i in connection.execute(select(tables.users.c.id)).scalars()]
    created = store.create("Group", group(displayName="Everyone"))
    members = ids[: len(ids) - spare]
    store.change_members(created["id"], MemberChange(add=[{"value": i} for i in members]))
    return server, store, ids, created["id"]


@pytest.mark.mysql
def test_group_without_members_reads_no_members(mysql_database: Database, clock: Clock) -> None:
    """GET /Groups/{id}?excludedAttributes=members costs the same for 3 or 3,000 members."""
    server, _store, ids, group_id = _crowd(mysql_database, clock, 3000)
    created = {"id": group_id}
    with mysql_database.connect() as connection:
        before = _rows_read(connection)
        skipped = GroupReader(connection, server, False).one(
            glpi_id(created["id"]), skip=frozenset({"members"})
        )
        without_members = _rows_read(connection) - before
        before = _rows_read(connection)
        full = GroupReader(connection, server, False).one(glpi_id(created["id"]))
        with_members = _rows_read(connection) - before
    assert (
        len(full["members"]) == len(ids) and skipped["meta"]["version"] == full["meta"]["version"]
    )
    assert with_members > 3000
    assert without_members < 30


@pytest.mark.mysql
def test_a_large_groups_member_edit_reads_no_member(mysql_database: Database, clock: Clock) -> None:
    """A member edit that would answer with a group under the reply limit reads the group's
    links with its facts only when the group is under it: at 3,000 members, the probe's few
    index entries, not the links (a small group's edit is answered from them)."""
    _server, store, ids, group_id = _crowd(mysql_database, clock, 3000, spare=1)

    def session() -> tuple[int, int]:
        # The pool's one connection: the store's writes ran on it (session counters).
        with mysql_database.connect() as connection:
            number = int(connection.execute(text("SELECT CONNECTION_ID()")).scalar_one())
            return number, _rows_read(connection)

    mysql_database.engine.dispose()  # one connection from here on, whatever ran before
    number, before = session()
    reply = MemberReply(limit=100)
    added = MemberChange(add=[{"value": ids[-1]}])
    assert store.change_members(group_id, added, reply=reply) is None
    same, after = session()
    assert same == number, "the store used another connection than the pool's one"
    assert after - before < 400  # the probe reads 102 entries; 3,000 links are not read
