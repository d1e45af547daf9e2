"""What a write sends to the database, statement by statement (docs/performance.md, "Round trips
of a write").

Each write is one transaction: the reads GLPI's rules need (the locked row, the applied user's
rights, the owner, the protected accounts), its writes (GLPI's rows, their history in one
INSERT, the tool's own rows), and the two statements that read back the answer. These tests pin
the writes exactly and bound the reads, so a read added by mistake (a second lookup of
something already read) fails here instead of slowing every IdP's provisioning run.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from glpi_scim.db.database import Database
from glpi_scim.glpi.store import GlpiStore

from .support import replace_with, user

ANSWER = 2  # the resource as GLPI now holds it: its row, then its e-mails and groups


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
            table = words[words.index("FROM") + 1] if "FROM" in words else "(no table)"
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
        ("UPDATE", "glpi_plugin_glpiscim_resources"),  # a row left for this id is reused
        ("INSERT", "glpi_plugin_glpiscim_resources"),
        ("INSERT", "glpi_plugin_glpiscim_owners"),
        ("INSERT", "glpi_logs"),  # every history row of the write in one statement
    ]
    # The applied user's name and rights, the login's holders (locked), the externalId's, the
    # default profile, the title's id (locked), the profile's and entity's names, the answer.
    assert len(reads(statements)) <= 7 + ANSWER, reads(statements)


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
        ("UPDATE", "glpi_plugin_glpiscim_resources"),
        ("UPDATE", "glpi_users"),
        ("INSERT", "glpi_logs"),
    ]
    read = reads(statements)
    # The user's row once, locked; the applied user's name; the user as SCIM sees it (the PATCH
    # applies to that); the answer.
    assert read.count(("SELECT", "glpi_users")) == 4, read
    # Those, the resource's e-mails and groups, the owner, the rights, the identity servers and
    # GLPI's system user (one statement where the server has its row; two here, where the test
    # server has none), the new title (the old one's name and the stored attributes come with
    # the user as SCIM sees it), the e-mail rows to compare with, the answer's parts.
    assert ("SELECT", "glpi_plugin_glpiscim_resources") not in read, read
    assert read.count(("SELECT", "glpi_usertitles")) == 1, read
    assert len(read) <= 10 + ANSWER, read


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
    read = reads(statements)
    # The user's row, locked; the applied user's name; the user as SCIM sees it (If-Match,
    # scope). Nothing reads it back: a DELETE answers 204.
    assert read.count(("SELECT", "glpi_users")) == 3, read
    # Those, its parts, the owner, the rights, the identity servers and GLPI's system user (two
    # statements here, see above), the guard's row and its count of removals, both locked.
    assert len(read) <= 10, read
