"""Concurrent requests: uniqueness and If-Match hold when writers race (real threads, real DB)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from glpi_scim.glpi.store import GlpiStore
from glpi_scim.scim.errors import PreconditionFailed, ScimError, Uniqueness
from glpi_scim.scim.store import MemberChange

from .support import Clock, Rows, group, replace_with, user

THREADS = 8


def race(work: Callable[[int], Any], threads: int = THREADS) -> list[Any]:
    """Run `work(i)` in threads released together; results or raised exceptions, in order."""
    barrier = threading.Barrier(threads)
    results: list[Any] = [None] * threads

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as exc:  # collected for the assertions
            results[i] = exc

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    return results


def test_parallel_creates_of_one_login(store: GlpiStore, rows: Rows) -> None:
    spellings = ["racer", "RACER", "Racer", "racer ", "rAcEr", "RaCeR", "racER", "RACer"]
    results = race(lambda i: store.create("User", user(userName=spellings[i])))
    created = [r for r in results if isinstance(r, dict)]
    refused = [r for r in results if isinstance(r, Uniqueness)]
    assert len(created) == 1 and len(refused) == THREADS - 1, results
    assert rows.scalar("SELECT COUNT(*) FROM glpi_users WHERE name LIKE 'racer%'") == 1
    assert rows.count("glpi_profiles_users") == 4 + 1


def test_parallel_creates_of_one_group_name(store: GlpiStore, rows: Rows) -> None:
    results = race(lambda i: store.create("Group", group(displayName="Same" if i % 2 else "SAME")))
    assert sum(isinstance(r, dict) for r in results) == 1, results
    assert all(isinstance(r, dict | Uniqueness) for r in results), results
    assert rows.count("glpi_groups") == 1


def test_parallel_creates_share_a_new_title(store: GlpiStore, rows: Rows) -> None:
    results = race(lambda i: store.create("User", user(userName=f"u{i}", title="Brand new")))
    assert all(isinstance(r, dict) for r in results), results
    assert rows.count("glpi_usertitles") == 1


def test_conditional_updates_exactly_one_wins(store: GlpiStore, clock: Clock) -> None:
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


def test_parallel_member_additions(store: GlpiStore, rows: Rows) -> None:
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
