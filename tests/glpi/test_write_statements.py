"""What a write sends to the database, statement by statement (docs/performance.md, "Round trips
of a write").

Each write is one transaction: the reads GLPI's rules need (a create's one statement, creation.py;
a change's locked row with its owner, then the user with its parts and both users' rights), its
writes (GLPI's rows, their history in one INSERT, the tool's own rows); it answers from what it
read and wrote. These tests pin the writes and the reads exactly, so a read added by mistake (a
second lookup of something already read) fails here instead of slowing every IdP's provisioning
run.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from glpi_scim.db.database import Database
from glpi_scim.glpi.store import GlpiStore
from glpi_scim.scim.errors import PreconditionFailed
from glpi_scim.scim.store import MemberChange, MemberReply, Preview

from .support import group, replace_with, user

# What these tests count would include tests/conftest.py's check of each answer.
pytestmark = pytest.mark.no_answer_check


@contextmanager
def sent(database: Database) -> Iterator[list[tuple[str, str]]]:
    """(verb, table) of every statement sent while the block runs; BEGIN and COMMIT left out
    (SQLite's BEGIN is a statement of its own, MariaDB's is implicit)."""
    statements: list[tuple[str, str]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        words = statement.split()
        verb = words[0].upper().lstrip("(")
        if verb in ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"):
            return
        if verb == "SELECT":
            table = _outer_table(statement)
        elif verb == "INSERT":
            table = words[2]
        elif verb == "UPDATE":
            table = words[1]
        else:  # DELETE FROM t
            table = words[2]
        statements.append((verb, table.strip('`"')))

    event.listen(database.engine, "before_cursor_execute", capture)
    try:
        yield statements
    finally:
        event.remove(database.engine, "before_cursor_execute", capture)


def _outer_table(statement: str) -> str:
    """The first table a SELECT reads outside its subqueries (the locked row's SELECT carries
    its owner as subqueries); of a UNION, its first part's (MariaDB's parts are in
    parentheses); of a derived table, the table it reads."""
    statement = statement.strip()
    if statement.startswith("("):
        return _outer_table(statement[1 : _group_end(statement)])
    depth, words = 0, []
    for at, char in enumerate(statement):
        depth += char == "("
        if depth == 0:
            words.append(char)
        elif depth == 1 and char == "(" and _first_from(words):
            return _outer_table(statement[at:])  # the first FROM: (SELECT ...) AS alias
        depth -= char == ")"
    outer = "".join(words).split()
    return outer[outer.index("FROM") + 1] if "FROM" in outer else "(no table)"


def _first_from(words: list[str]) -> bool:
    """Whether the outer words read so far end with their first FROM."""
    read = "".join(words).split()
    return read[-1:] == ["FROM"] and read.count("FROM") == 1


def _group_end(text: str) -> int:
    """Where the parenthesis that opens `text` closes."""
    depth = 0
    for end, char in enumerate(text):
        depth += (char == "(") - (char == ")")
        if depth == 0:
            return end
    return len(text)


def writes(statements: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [s for s in statements if s[0] != "SELECT"]


def reads(statements: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [s for s in statements if s[0] == "SELECT"]


def person(k: int, title: str = "Engineer") -> dict[str, Any]:
    return {
        "userName": f"writer{k}",
        "externalId": f"ext-{k}",
        "name": {"givenName": f"Given{k}", "familyName": "Family"},
        "title": title,
        "emails": [{"value": f"w{k}@example.org", "type": "work", "primary": True}],
    }


def test_a_create_writes_glpis_rows_once_each(store: GlpiStore, database: Database) -> None:
    store.create("User", user(**person(0)))  # the title exists from here on
    with sent(database) as statements:
        created = store.create("User", user(**person(1)))
    assert created["userName"] == "writer1"
    assert writes(statements) == [
        ("INSERT", "glpi_users"),
        ("INSERT", "glpi_useremails"),
        ("INSERT", "glpi_profiles_users"),
        # One statement whether a row is left for this id or not (an upsert).
        ("INSERT", "glpi_plugin_glpiscim_resources"),
        ("INSERT", "glpi_plugin_glpiscim_owners"),
        ("INSERT", "glpi_logs"),  # every history row of the write in one statement
    ]
    assert reads(statements) == [
        ("SELECT", "glpi_users"),  # the applied user's name (this store caches none)
        # One statement (creation.py), the login's holders first: them, the externalId's holder
        # and the title's rows, locked; the applied user's user rights; the new user's profile
        # with its and the entity's name.
        ("SELECT", "glpi_users"),
        # No answer read: the new user as written.
    ]


def test_a_create_with_a_new_title_reads_its_facts_only(
    store: GlpiStore, database: Database
) -> None:
    """The facts statement searched the new title, locked, and found none: the title is
    created without a lookup of its own."""
    store.create("User", user(**person(8)))  # the applied user's name is read from here on
    with sent(database) as statements:
        created = store.create("User", user(**person(9, title="A title nobody holds")))
    assert created["title"] == "A title nobody holds"
    assert reads(statements) == [("SELECT", "glpi_users"), ("SELECT", "glpi_users")]
    assert ("INSERT", "glpi_usertitles") in writes(statements)


def test_a_patch_reads_the_user_once_before_writing(store: GlpiStore, database: Database) -> None:
    created = store.create("User", user(**person(2)))
    store.create("User", user(**person(3, title="Manager")))  # the new title exists
    with sent(database) as statements:
        patched = store.update(
            "User", created["id"], replace_with(title="Manager", displayName="Two")
        )
    assert (patched["title"], patched["displayName"]) == ("Manager", "Two")
    assert writes(statements) == [
        ("UPDATE", "glpi_plugin_glpiscim_owners"),  # the owner's last change
        ("INSERT", "glpi_plugin_glpiscim_resources"),  # the tool's row (an upsert)
        ("UPDATE", "glpi_users"),
        ("INSERT", "glpi_logs"),
    ]
    assert reads(statements) == [
        # The user's row, locked, with its owner and all SCIM shows of it: the PATCH applies to
        # that, the write compares with it and answers from it.
        ("SELECT", "glpi_users"),
        # Its e-mail rows (the write compares with them), groups, and both users' rights.
        ("SELECT", "glpi_useremails"),
        ("SELECT", "glpi_users"),  # the applied user's name (this store caches none)
        # The identity servers and GLPI's system user: the protected accounts (this store
        # caches none; the server's store reads them at most every auth_cache_seconds).
        ("SELECT", "glpi_plugin_glpiscim_servers"),
        ("SELECT", "(no table)"),  # the system user alone: this test's server has no row
        ("SELECT", "glpi_usertitles"),  # the new title's id, locked
        # No answer read: the user read above, with what the write changed.
    ]


def test_a_title_the_request_names_is_read_with_the_users_parts(
    store: GlpiStore, database: Database
) -> None:
    """A PATCH or PUT that gives a title (the service's preview of the request) reads that
    title's rows, locked, in the user's parts statement: no lookup of its own, for a title that
    exists and for a new one, which is created once."""
    created = store.create("User", user(**person(6)))
    store.create("User", user(**person(7, title="Director")))  # the new title exists
    for title in ("Director", "Brand-new title"):
        with sent(database) as statements:
            patched = store.update(
                "User",
                created["id"],
                replace_with(title=title),
                preview=Preview({(None, "title"): (f" {title} ",)}),
            )
        assert patched["title"] == title
        assert patched == store.get("User", created["id"])
        assert reads(statements) == [
            ("SELECT", "glpi_users"),  # the user's row, locked
            # Its parts statement, led by the title's rows (locked), and both users' rights.
            ("SELECT", "glpi_usertitles"),
            ("SELECT", "glpi_users"),  # the applied user's name (this store caches none)
            ("SELECT", "glpi_plugin_glpiscim_servers"),  # the protected accounts
            ("SELECT", "(no table)"),
        ]
    assert ("INSERT", "glpi_usertitles") in writes(statements)  # the new one, with history
    # A preview the mutation does not follow (a later operation's value) looks its name up.
    with sent(database) as statements:
        patched = store.update(
            "User",
            created["id"],
            replace_with(title="Engineer"),
            preview=Preview({(None, "title"): ("Director",)}),
        )
    assert patched["title"] == "Engineer"
    assert reads(statements)[-1] == ("SELECT", "glpi_usertitles")


def test_a_delete_reads_no_answer(store: GlpiStore, database: Database) -> None:
    first = store.create("User", user(**person(4)))
    second = store.create("User", user(**person(5)))
    store.delete("User", first["id"])  # the server's first removal creates its guard's row
    with sent(database) as statements:
        store.delete("User", second["id"])
    assert writes(statements) == [
        ("UPDATE", "glpi_plugin_glpiscim_owners"),
        ("INSERT", "glpi_plugin_glpiscim_removals"),  # the mass-change guard's count
        ("DELETE", "glpi_plugin_glpiscim_removals"),  # its removals past the window
        ("UPDATE", "glpi_users"),  # to GLPI's trash
        ("DELETE", "glpi_plugin_glpiscim_resources"),
        ("INSERT", "glpi_logs"),
    ]
    # Nothing reads it back: a DELETE answers 204.
    assert reads(statements) == [
        # The user's row, locked, with its owner and all SCIM shows of it (If-Match, scope).
        ("SELECT", "glpi_users"),
        ("SELECT", "glpi_useremails"),  # its parts and both users' rights
        ("SELECT", "glpi_users"),  # the applied user's name
        ("SELECT", "glpi_plugin_glpiscim_servers"),  # the protected accounts
        ("SELECT", "(no table)"),  # GLPI's system user (this test's server has no row)
        ("SELECT", "glpi_plugin_glpiscim_guards"),  # the guard's row, locked
        ("SELECT", "glpi_plugin_glpiscim_removals"),  # its count of removals
    ]


def test_two_servers_adopting_one_user_at_once_see_each_others_owner(
    database: Database,
) -> None:
    """The owner is read with the user's locked row (correlated subqueries, run once the lock
    is held): of two servers adopting an unowned user at once, the second to get the lock sees
    the first one's owner row and is refused (rule 2), without trying to add a second owner."""
    import threading

    from sqlalchemy import text

    from glpi_scim.identity.models import IdentityServer
    from glpi_scim.scim.errors import Forbidden

    from .support import APPLIED

    first = GlpiStore(database, IdentityServer(id=1, name="first", users_id_applied=APPLIED))
    target = first.create("User", user(**person(6)))["id"]
    with database.begin() as connection:  # made in GLPI: nobody owns it
        connection.execute(text("DELETE FROM glpi_plugin_glpiscim_owners"))
    stores = [
        GlpiStore(database, IdentityServer(id=k, name=f"idp{k}", users_id_applied=APPLIED))
        for k in (2, 3)
    ]
    outcomes: list[str] = []
    holder = database.engine.connect()
    transaction = holder.begin()
    if not database.is_sqlite:  # both writes queue behind this lock, then run one by one
        holder.execute(text("SELECT id FROM glpi_users WHERE id = :u FOR UPDATE"), {"u": target})

    def adopt(store: GlpiStore) -> None:
        try:
            store.update("User", target, replace_with(displayName=store.server.name))
            outcomes.append("adopted")
        except Forbidden as refused:
            outcomes.append(refused.detail)

    threads = [threading.Thread(target=adopt, args=(store,)) for store in stores]
    with sent(database) as statements:
        for thread in threads:
            thread.start()
        threading.Event().wait(0.3)
        transaction.rollback()
        holder.close()
        for thread in threads:
            thread.join(30)
    # One INSERT of an owner: a second, refused by the unique key and run again, would mean the
    # second server read no owner.
    assert writes(statements).count(("INSERT", "glpi_plugin_glpiscim_owners")) == 1
    assert sorted(outcomes)[0] == "adopted", outcomes
    assert "belongs to identity server" in sorted(outcomes)[1], outcomes
    with database.begin() as connection:
        owners = connection.execute(text("SELECT servers_id FROM glpi_plugin_glpiscim_owners"))
        assert len(owners.all()) == 1


def test_a_writes_lock_holds_the_users_row_only(store: GlpiStore, database: Database) -> None:
    """The write's first read locks the user's row and nothing it shows with it: another user
    with the same title and manager is written meanwhile (a join would lock the title's row
    and the manager's)."""
    if database.is_sqlite:
        pytest.skip("SQLite locks the whole database for a write")
    from sqlalchemy import text

    from glpi_scim.glpi.users import LOCKED_USER

    from .support import ENTERPRISE

    boss = store.create("User", user(**person(7)))["id"]
    one = store.create("User", user(**person(8), **{ENTERPRISE: {"manager": {"value": boss}}}))
    with database.engine.connect() as holder, holder.begin():
        found = holder.execute(LOCKED_USER, {"server_id": store.server.id, "user_id": one["id"]})
        assert found.first() is not None
        with database.engine.connect() as other, other.begin():
            title = other.execute(text("SELECT usertitles_id FROM glpi_users WHERE id = :u"),
                                  {"u": one["id"]}).scalar()  # fmt: skip
            for table, row_id in (("glpi_usertitles", title), ("glpi_users", boss)):
                other.execute(
                    text(f"SELECT id FROM {table} WHERE id = :i FOR UPDATE NOWAIT"), {"i": row_id}
                )
            with pytest.raises(OperationalError, match=r"1205|Lock wait"):
                other.execute(
                    text("SELECT id FROM glpi_users WHERE id = :i FOR UPDATE NOWAIT"),
                    {"i": one["id"]},
                )


def test_a_patch_that_keeps_the_title_reads_the_user_and_its_parts_only(
    store: GlpiStore, database: Database
) -> None:
    """An IdP's PATCH that sends the title unchanged looks no dropdown up: past what every
    write of a store without caches reads (the applied user's name, the protected accounts),
    it reads the user and its parts, then writes."""
    created = store.create("User", user(**person(9)))
    with sent(database) as statements:
        store.update(
            "User", created["id"], replace_with(title="Engineer", name={"familyName": "New"})
        )
    assert reads(statements) == [
        ("SELECT", "glpi_users"),  # the user, locked, with all SCIM shows of it
        ("SELECT", "glpi_useremails"),  # its parts and both users' rights
        # What a server's store reads at most every auth_cache_seconds:
        ("SELECT", "glpi_users"),  # the applied user's name
        ("SELECT", "glpi_plugin_glpiscim_servers"),  # the protected accounts
        ("SELECT", "(no table)"),  # GLPI's system user (this test's server has no row)
    ]
    assert writes(statements) == [
        ("UPDATE", "glpi_plugin_glpiscim_owners"),
        ("UPDATE", "glpi_users"),  # the tool's row holds nothing new: not written
        ("INSERT", "glpi_logs"),
    ]


def test_a_member_edit_of_a_large_group_reads_twice(store: GlpiStore, database: Database) -> None:
    """A member added to and removed from a group past the reply limit: the locked group row
    and one statement of facts (group_facts.py), then the writes; 204, nothing read back."""
    ids = [store.create("User", user(userName=f"member{k}"))["id"] for k in range(4)]
    team = store.create("Group", group(displayName="Big", members=[{"value": i} for i in ids[:3]]))
    big = MemberReply(limit=2)  # three members: "large"
    with sent(database) as added:
        assert (
            store.change_members(team["id"], MemberChange(add=[{"value": ids[3]}]), reply=big)
            is None
        )
    assert reads(added) == [
        ("SELECT", "glpi_groups"),  # locked, with its owner, tool row and own fingerprint
        ("SELECT", "glpi_profiles_users"),  # the rights, the user added, its link, the count
        ("SELECT", "glpi_users"),  # the applied user's name (this store caches none)
    ]
    assert writes(added) == [
        ("UPDATE", "glpi_plugin_glpiscim_owners"),  # the owner's last change
        ("INSERT", "glpi_groups_users"),
        ("UPDATE", "glpi_groups"),  # date_mod
        ("INSERT", "glpi_logs"),  # both sides' history in one statement
    ]
    with sent(database) as removed:
        change = MemberChange(remove=[ids[3]])
        assert store.change_members(team["id"], change, reply=big, if_match=None) is None
    assert reads(removed) == reads(added)
    assert writes(removed) == [
        ("UPDATE", "glpi_plugin_glpiscim_owners"),
        ("INSERT", "glpi_logs"),  # on the user, from the links removed
        ("INSERT", "glpi_logs"),  # on the group, with the users' names
        ("DELETE", "glpi_groups_users"),
        ("UPDATE", "glpi_groups"),
    ]


def test_a_member_edit_with_if_match_reads_the_version_with_its_facts(
    store: GlpiStore, database: Database
) -> None:
    ids = [store.create("User", user(userName=f"versioned{k}"))["id"] for k in range(2)]
    team = store.create("Group", group(displayName="Versioned", members=[{"value": ids[0]}]))
    version = store.get("Group", team["id"], skip=frozenset({"members"}))["meta"]["version"]
    with sent(database) as statements:
        answer = store.change_members(
            team["id"],
            MemberChange(add=[{"value": ids[1]}]),
            if_match=version,
            reply=MemberReply(limit=10),
        )
    assert answer is not None and [m["value"] for m in answer["members"]] == ids
    assert reads(statements) == [
        ("SELECT", "glpi_groups"),
        # The shared fingerprint values, and the links of a group under the reply limit.
        ("SELECT", "glpi_profiles_users"),
        ("SELECT", "glpi_users"),  # the applied user's name (this store caches none)
        # No answer's read: the locked row, the facts and what the edit's INSERTs returned.
    ]
    assert answer == store.get("Group", team["id"])
    with pytest.raises(PreconditionFailed):
        store.change_members(team["id"], MemberChange(remove=[ids[1]]), if_match=version)


def test_a_group_create_reads_its_facts_once_and_answers_from_them(
    store: GlpiStore, database: Database
) -> None:
    """A group's create reads one statement of facts (its version's shared values included)
    and answers from it and what its INSERTs returned: a GET's members, in link order, and a
    GET's version."""
    first, second, third = (
        store.create("User", user(userName=f"member-{k}"))["id"] for k in range(3)
    )
    store.delete("User", store.create("User", user(userName="trashed"))["id"])
    named = [{"value": member} for member in (second, first, third)]
    body = group(displayName="Fresh", externalId="ext-fresh", members=named)
    with sent(database) as statements:
        created = store.create("Group", body)
    assert [m["value"] for m in created["members"]] == [second, first, third]
    assert reads(statements) == [
        # One statement (group_facts.py), the name's holders first: them and the externalId's
        # holder, locked; the applied user's group rights; the members named; the version's
        # shared values.
        ("SELECT", "glpi_groups"),
        ("SELECT", "glpi_users"),  # the applied user's name (this store caches none)
        # No answer's read: its members are the ones added, its version from what it wrote.
    ]
    assert writes(statements) == [
        ("INSERT", "glpi_groups"),
        ("INSERT", "glpi_groups_users"),
        ("INSERT", "glpi_plugin_glpiscim_resources"),
        ("INSERT", "glpi_plugin_glpiscim_owners"),
        ("INSERT", "glpi_logs"),
    ]
    assert created == store.get("Group", created["id"])
    empty = store.create("Group", group(displayName="Empty"))
    assert empty == store.get("Group", empty["id"])


def test_a_database_without_returning_reads_a_new_groups_answer(
    store: GlpiStore, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(database.engine.dialect, "insert_returning", False)
    member = store.create("User", user(userName="plain-member"))["id"]
    with sent(database) as statements:
        created = store.create("Group", group(displayName="Plain", members=[{"value": member}]))
    assert created == store.get("Group", created["id"])
    assert reads(statements)[-1] == ("SELECT", "glpi_groups")  # the answer's read


def test_a_group_rename_writes_its_row_once(store: GlpiStore, database: Database) -> None:
    """A PATCH of displayName: the group rebuilt from its locked row and one statement of
    facts, the new name's uniqueness and the sub-groups' complete names checked, one UPDATE,
    and no read for the answer."""
    team = store.create("Group", group(displayName="Before"))
    with sent(database) as statements:
        renamed = store.update(
            "Group", team["id"], lambda current: {**current, "displayName": "After"}
        )
    assert renamed["displayName"] == "After"
    assert renamed == store.get("Group", team["id"])
    assert reads(statements) == [
        ("SELECT", "glpi_groups"),  # locked, with its owner, tool row and own fingerprint
        ("SELECT", "glpi_profiles_users"),  # the rights, the members, the version's values
        ("SELECT", "glpi_users"),  # the applied user's name (this store caches none)
        ("SELECT", "glpi_groups"),  # the new name's holders, locked
        ("SELECT", "glpi_groups"),  # the sub-groups whose complete names change
        # No answer's read: its version and members are known from what it read and wrote.
    ]
    assert writes(statements) == [
        ("UPDATE", "glpi_plugin_glpiscim_owners"),
        ("UPDATE", "glpi_groups"),  # name, complete name and date_mod together
        ("INSERT", "glpi_logs"),
    ]


def test_a_groups_put_answers_from_what_it_read_and_wrote(
    store: GlpiStore, database: Database
) -> None:
    """A PUT of a group's members: its answer (version and members) comes from its locked row,
    its facts (every link, hidden users' too) and what its writes returned, a removal of the
    group's newest link included."""
    a, b, c = (store.create("User", user(userName=f"put-{k}"))["id"] for k in "abc")
    team = store.create("Group", group(displayName="Put", members=[{"value": a}]))
    store.change_members(team["id"], MemberChange(add=[{"value": b}]))  # b: the newest link

    def put(*members: str) -> Any:
        body = {"displayName": "Put", "members": [{"value": m} for m in members]}
        return store.update("Group", team["id"], lambda current: group(**body))

    with sent(database) as statements:
        answer = put(b, c)  # a removed, c added
    assert [m["value"] for m in answer["members"]] == [b, c]
    assert answer == store.get("Group", team["id"])
    assert reads(statements) == [
        ("SELECT", "glpi_groups"),  # locked, with its owner, tool row and own fingerprint
        ("SELECT", "glpi_profiles_users"),  # the rights, the members, the version's values
        ("SELECT", "glpi_users"),  # the applied user's name (this store caches none)
        ("SELECT", "glpi_users"),  # the users added, and their links
    ]
    with sent(database) as statements:
        answer = put(b)  # c, the newest link, removed
    assert [m["value"] for m in answer["members"]] == [b]
    assert answer == store.get("Group", team["id"])
    assert reads(statements) == [
        ("SELECT", "glpi_groups"),
        ("SELECT", "glpi_profiles_users"),
        ("SELECT", "glpi_users"),
    ]


def test_a_small_groups_member_edit_answers_from_its_facts(
    store: GlpiStore, database: Database
) -> None:
    """A member edit of a group under the reply limit reads the group's links with its facts
    and answers without reading it again: its version is a GET's even when the edit removes
    the newest link and a hidden member's link is the next one."""
    a, b, hidden, newest = (
        store.create("User", user(userName=f"small-{k}"))["id"] for k in range(4)
    )
    team = store.create("Group", group(displayName="Small", members=[{"value": a}]))
    reply = MemberReply(limit=10)
    for member in (b, hidden, newest):
        store.change_members(team["id"], MemberChange(add=[{"value": member}]), reply=reply)
    store.delete("User", hidden)  # to GLPI's trash: its link stays, hidden from SCIM
    before = store.get("Group", team["id"])
    assert [m["value"] for m in before["members"]] == [a, b, newest]
    with sent(database) as statements:
        answer = store.change_members(team["id"], MemberChange(remove=[newest]), reply=reply)
    assert answer is not None and [m["value"] for m in answer["members"]] == [a, b]
    assert answer == store.get("Group", team["id"])
    assert answer["meta"]["version"] != before["meta"]["version"]
    assert reads(statements) == [
        ("SELECT", "glpi_groups"),  # locked
        ("SELECT", "glpi_profiles_users"),  # the rights, the user removed, the links
        ("SELECT", "glpi_users"),  # the applied user's name (this store caches none)
    ]
    with sent(database) as statements:
        answer = store.change_members(
            team["id"], MemberChange(add=[{"value": newest}], remove=[a]), reply=reply
        )
    assert answer is not None and [m["value"] for m in answer["members"]] == [b, newest]
    assert answer == store.get("Group", team["id"])
    assert len(reads(statements)) == 3
    with sent(database) as statements:  # a replace: the list read with the facts
        answer = store.change_members(team["id"], MemberChange(replace=[{"value": a}]), reply=reply)
    assert answer is not None and [m["value"] for m in answer["members"]] == [a]
    assert answer == store.get("Group", team["id"])
    assert len(reads(statements)) == 4  # and the users added, with their links


def test_a_database_without_returning_reads_a_groups_answer(
    store: GlpiStore, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MySQL has no INSERT ... RETURNING: a group's rebuild then reads its answer."""
    monkeypatch.setattr(database.engine.dialect, "insert_returning", False)
    a, b = (store.create("User", user(userName=f"plain-{k}"))["id"] for k in "ab")
    team = store.create("Group", group(displayName="Plain", members=[{"value": a}]))
    body = {"displayName": "Plain", "members": [{"value": b}]}
    with sent(database) as statements:
        answer = store.update("Group", team["id"], lambda current: group(**body))
    assert [m["value"] for m in answer["members"]] == [b]
    assert answer == store.get("Group", team["id"])
    assert reads(statements)[-1] == ("SELECT", "glpi_groups")  # the answer's read
