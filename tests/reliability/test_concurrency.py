"""Parallel clients over real HTTP: the database decides uniqueness, memberships add up,
If-Match lets exactly one writer win, lock conflicts end in a retry or a 503, never a 500."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
import requests

from glpi_scim.db.database import Database

from .conftest import Served
from .support import assert_scim_error, group, patch, scalar, user


@pytest.fixture
def served(database: Database, serve: Callable[..., Served]) -> Served:
    """These races are about the database: no cap on one server's requests in progress."""
    return serve(database, max_requests_in_flight=0)


Race = Callable[..., list[Any]]


def test_fifty_parallel_creates_of_one_login_make_one_user(served: Served, race: Race) -> None:
    spellings = ["Same.Login", "same.login", "SAME.LOGIN", "same.Login", "SaMe.LoGiN"]
    clients = [served.new_client() for _ in range(50)]
    results = race(
        lambda i: clients[i].post("/Users", user(spellings[i % len(spellings)])), threads=50
    )
    statuses = Counter(
        r.status_code if isinstance(r, requests.Response) else repr(r) for r in results
    )
    assert statuses == {201: 1, 409: 49}, statuses
    for response in results:
        if response.status_code == 409:
            assert_scim_error(response, 409, "uniqueness", "userName")
    rows = scalar(
        served.database, "SELECT COUNT(*) FROM glpi_users WHERE LOWER(name) = 'same.login'"
    )
    assert rows == 1


def test_eight_clients_adding_a_hundred_members_each_lose_none(served: Served, race: Race) -> None:
    team = served.client.post("/Groups", group("Everyone")).json()
    clients = [served.new_client() for _ in range(8)]

    def add_my_hundred(i: int) -> list[str]:
        """Each client creates its 100 users (one Bulk), then adds them ten at a time."""
        created = clients[i].post(
            "/Bulk",
            {
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
                "Operations": [
                    {
                        "method": "POST",
                        "path": "/Users",
                        "bulkId": f"u{n}",
                        "data": user(f"m{i}.{n}"),
                    }
                    for n in range(100)
                ],
            },
        )
        assert created.status_code == 200, created.text
        mine = [op["location"].rsplit("/", 1)[1] for op in created.json()["Operations"]]
        for start in range(0, 100, 10):
            members = [{"value": member} for member in mine[start : start + 10]]
            response = clients[i].patch(
                f"/Groups/{team['id']}",
                patch({"op": "add", "path": "members", "value": members}),
            )
            assert response.status_code in (200, 204), response.text
        return mine

    results = race(add_my_hundred, threads=8)
    assert all(isinstance(r, list) and len(r) == 100 for r in results), results
    added = sorted(member for mine in results for member in mine)
    members = served.client.get(f"/Groups/{team['id']}").json()["members"]
    assert sorted(m["value"] for m in members) == added
    rows = scalar(
        served.database,
        "SELECT COUNT(*) FROM glpi_groups_users m JOIN glpi_groups g ON g.id = m.groups_id "
        "WHERE g.name = 'Everyone'",
    )
    assert rows == 800


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_concurrent_if_match_writes_exactly_one_wins(
    served: Served, method: str, race: Race
) -> None:
    created = served.client.post("/Users", user("target", nickName="before"))
    etag = created.headers["ETag"]
    target = created.json()["id"]
    clients = [served.new_client() for _ in range(12)]

    def write(i: int) -> requests.Response:
        headers = {"If-Match": etag}
        if method == "PUT":
            return clients[i].put(
                f"/Users/{target}", user("target", nickName=f"writer {i}"), headers=headers
            )
        if method == "PATCH":
            return clients[i].patch(
                f"/Users/{target}",
                patch({"op": "replace", "path": "nickName", "value": f"writer {i}"}),
                headers=headers,
            )
        return clients[i].delete(f"/Users/{target}", headers=headers)

    results = race(write, threads=12)
    statuses = Counter(
        r.status_code if isinstance(r, requests.Response) else repr(r) for r in results
    )
    if method == "DELETE":
        # A loser that arrives after the winner's commit finds nothing left to compare: 404.
        assert statuses[204] == 1 and statuses[412] + statuses[404] == 11, statuses
    else:
        assert statuses == {200: 1, 412: 11}, statuses
    for response in results:
        if response.status_code in (404, 412):
            assert_scim_error(response, response.status_code)
    if method != "DELETE":
        winner = next(r for r in results if r.status_code == 200).json()
        assert served.client.get(f"/Users/{target}").json()["nickName"] == winner["nickName"]


def test_parallel_group_creates_with_one_name_make_one_group(served: Served, race: Race) -> None:
    clients = [served.new_client() for _ in range(20)]
    results = race(
        lambda i: clients[i].post("/Groups", group("Help Desk" if i % 2 else "HELP DESK")),
        threads=20,
    )
    statuses = Counter(r.status_code for r in results)
    assert statuses == {201: 1, 409: 19}, statuses
    assert scalar(served.database, "SELECT COUNT(*) FROM glpi_groups") == 1


def test_parallel_mixed_writes_on_one_user_never_fail_with_5xx(served: Served, race: Race) -> None:
    """Writers without If-Match on one row: each succeeds (last write wins), none fails."""
    target = served.client.post(
        "/Users", user("busy", emails=[{"value": "a@example.com", "primary": True}])
    ).json()["id"]
    team = served.client.post("/Groups", group("Busy team")).json()["id"]
    clients = [served.new_client() for _ in range(16)]

    def work(i: int) -> int:
        client = clients[i]
        if i % 4 == 0:
            body = patch(
                {
                    "op": "replace",
                    "path": "emails",
                    "value": [{"value": f"w{i}@example.com", "primary": True}],
                }
            )
            return client.patch(f"/Users/{target}", body).status_code
        if i % 4 == 1:
            return client.patch(
                f"/Groups/{team}",
                patch({"op": "add", "path": "members", "value": [{"value": target}]}),
            ).status_code
        if i % 4 == 2:
            return client.put(
                f"/Users/{target}",
                user("busy", emails=[{"value": f"p{i}@example.com", "primary": True}]),
            ).status_code
        return client.get(f"/Users/{target}").status_code

    results = race(work, threads=16)
    assert all(status in (200, 204) for status in results), results
    emails = served.client.get(f"/Users/{target}").json()["emails"]
    assert sum(1 for e in emails if e.get("primary")) == 1, emails


@pytest.mark.mysql
def test_lock_wait_timeouts_end_in_a_503_with_retry_after(
    mysql_database: Database, serve: Callable[..., Served]
) -> None:
    """A row locked by someone else past MariaDB's lock wait timeout: bounded retries, then
    503 with Retry-After within db_timeout, and nothing written."""
    served = serve(mysql_database, db_timeout=3)
    target = served.client.post("/Users", user("locked.user")).json()["id"]
    blocker = mysql_database.engine.connect()
    try:
        transaction = blocker.begin()
        blocker.exec_driver_sql("SELECT * FROM glpi_users WHERE id = %s FOR UPDATE", (int(target),))
        _short_lock_waits(served)
        started = time.monotonic()
        response = served.client.patch(
            f"/Users/{target}",
            patch({"op": "replace", "path": "nickName", "value": "never"}),
        )
        assert time.monotonic() - started < 3 + 2
        assert_scim_error(response, 503, None, "retry")
        assert int(response.headers["Retry-After"]) > 0
        transaction.rollback()
    finally:
        blocker.close()
    assert served.client.get(f"/Users/{target}").json().get("nickName") is None
    # Once the lock is gone the same request goes through.
    response = served.client.patch(
        f"/Users/{target}", patch({"op": "replace", "path": "nickName", "value": "now"})
    )
    assert response.status_code == 200, response.text


def _short_lock_waits(served: Served) -> None:
    """Every new connection of the server waits one second for a row lock (default 50 s)."""
    from sqlalchemy import event

    def on_connect(dbapi_connection: object, _record: object) -> None:
        cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
        cursor.execute("SET SESSION innodb_lock_wait_timeout = 1")
        cursor.close()

    engine = served.live.app.context.database.engine
    engine.dispose()
    event.listen(engine, "connect", on_connect)
