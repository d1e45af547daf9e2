"""Concurrent requests: uniqueness and If-Match hold when writers race (real threads, real DB)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Connection, text

from glpi_scim.db.database import Database, engine_for_url
from glpi_scim.db.transaction import Transactions
from glpi_scim.glpi.store import GlpiStore
from glpi_scim.identity.models import IdentityServer
from glpi_scim.scim.errors import PreconditionFailed, ScimError, ServiceUnavailable, Uniqueness
from glpi_scim.scim.store import MemberChange, Preview

from .support import Clock, Rows, group, replace_with, user

THREADS = 8  # race()'s default
Race = Callable[..., list[Any]]


def test_parallel_creates_of_one_login(store: GlpiStore, rows: Rows, race: Race) -> None:
    spellings = ["racer", "RACER", "Racer", "racer ", "rAcEr", "RaCeR", "racER", "RACer"]
    results = race(lambda i: store.create("User", user(userName=spellings[i])))
    created = [r for r in results if isinstance(r, dict)]
    refused = [r for r in results if isinstance(r, Uniqueness)]
    assert len(created) == 1 and len(refused) == THREADS - 1, results
    assert rows.scalar("SELECT COUNT(*) FROM glpi_users WHERE name LIKE 'racer%'") == 1
    assert rows.count("glpi_profiles_users") == 4 + 1


def test_parallel_creates_of_one_group_name(store: GlpiStore, rows: Rows, race: Race) -> None:
    results = race(lambda i: store.create("Group", group(displayName="Same" if i % 2 else "SAME")))
    assert sum(isinstance(r, dict) for r in results) == 1, results
    assert all(isinstance(r, dict | Uniqueness) for r in results), results
    assert rows.count("glpi_groups") == 1


@pytest.mark.no_answer_check  # the title another create committed meanwhile is in the answer
def test_parallel_creates_share_a_new_title(store: GlpiStore, rows: Rows, race: Race) -> None:
    results = race(lambda i: store.create("User", user(userName=f"u{i}", title="Brand new")))
    assert all(isinstance(r, dict) for r in results), results
    assert rows.count("glpi_usertitles") == 1
    # Each answer shows the title, as each user now holds it.
    assert {r["title"] for r in results} == {"Brand new"}
    assert {store.get("User", r["id"])["title"] for r in results} == {"Brand new"}


@pytest.mark.no_answer_check  # the title another update committed meanwhile is in the answer
def test_parallel_updates_read_ahead_one_new_title(
    store: GlpiStore, rows: Rows, race: Race
) -> None:
    """Updates whose requests name one new title read its rows, locked, with each user's
    parts (the preview): they serialise on the index gap, and the title is created once."""
    ids = [store.create("User", user(userName=f"titled{i}"))["id"] for i in range(THREADS)]
    preview = Preview({(None, "title"): ("Fresh title",)})
    results = race(
        lambda i: store.update("User", ids[i], replace_with(title="Fresh title"), preview=preview)
    )
    assert all(isinstance(r, dict) for r in results), results
    assert rows.scalar("SELECT COUNT(*) FROM glpi_usertitles WHERE name = 'Fresh title'") == 1
    assert {store.get("User", i)["title"] for i in ids} == {"Fresh title"}


def test_conditional_updates_exactly_one_wins(store: GlpiStore, clock: Clock, race: Race) -> None:
    created = store.create("User", user(userName="target"))
    version = created["meta"]["version"]
    clock.tick()
    results = race(
        lambda i: store.update(
            "User", created["id"], replace_with(nickName=f"writer {i}"), if_match=version
        )
    )
    winners = [r for r in results if isinstance(r, dict)]
    losers = [r for r in results if isinstance(r, PreconditionFailed)]
    assert len(winners) == 1 and len(losers) == THREADS - 1, results
    assert store.get("User", created["id"])["nickName"] == winners[0]["nickName"]


def test_parallel_member_additions(store: GlpiStore, rows: Rows, race: Race) -> None:
    ids = [store.create("User", user(userName=f"m{i}"))["id"] for i in range(6)]
    team = store.create("Group", group(displayName="Team"))
    results = race(
        lambda i: store.change_members(
            team["id"], MemberChange(add=[{"value": ids[i % 6]}, {"value": ids[(i + 1) % 6]}])
        )
    )
    assert not [r for r in results if isinstance(r, ScimError | Exception)], results
    assert rows.count("glpi_groups_users") == 6
    assert sorted(m["value"] for m in store.get("Group", team["id"])["members"]) == sorted(ids)


def test_unreachable_database_is_503(server: IdentityServer) -> None:
    url = "mysql+pymysql://nobody@127.0.0.1:1/glpi"
    database = Database(engine_for_url(url, timeout=2), url, url)
    store = GlpiStore(database, server)
    with pytest.raises(ServiceUnavailable) as caught:
        store.get("User", "2")
    assert caught.value.status == 503 and caught.value.headers["Retry-After"]
    assert "nobody" not in caught.value.detail


@pytest.mark.mysql
def test_deadlock_victim_is_retried(mysql_database: Database, race: Race) -> None:
    """Two transactions lock two users in opposite orders: MariaDB kills one, it runs again."""
    transactions = Transactions(mysql_database)
    both_hold_one = threading.Barrier(2, timeout=30)
    attempts = [0, 0]

    def work(index: int) -> Callable[[Connection], str]:
        first, second = (2, 3) if index == 0 else (3, 2)

        def run(connection: Connection) -> str:
            attempts[index] += 1
            lock = "SELECT id FROM glpi_users WHERE id = :i FOR UPDATE"
            connection.execute(text(lock), {"i": first})
            if attempts[index] == 1:
                both_hold_one.wait()
            connection.execute(text(lock), {"i": second})
            return "done"

        return run

    results = race(lambda i: transactions.run(work(i)), threads=2)
    assert results == ["done", "done"]
    assert sorted(attempts) == [1, 2]


@pytest.mark.mysql
def test_lock_conflicts_that_persist_are_503(mysql_database: Database) -> None:
    transactions = Transactions(mysql_database, attempts=1)
    holder = mysql_database.engine.connect()
    try:
        holder.execute(text("SELECT id FROM glpi_users WHERE id = 2 FOR UPDATE"))

        def blocked(connection: Connection) -> None:
            connection.execute(text("SET SESSION innodb_lock_wait_timeout = 1"))
            connection.execute(text("SELECT id FROM glpi_users WHERE id = 2 FOR UPDATE"))

        with pytest.raises(ServiceUnavailable):
            transactions.run(blocked)
    finally:
        holder.rollback()
        holder.close()
