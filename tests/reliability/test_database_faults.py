"""The database goes away under a running server: 503 with Retry-After within db_timeout,
/healthz says so, nothing acknowledged is lost, nothing is half-written, and the server
recovers by itself when the database is back.

The server's database URL points at a loopback TCP proxy to MariaDB that the test cuts."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from sqlalchemy import event, make_url

from glpi_scim.config import Settings
from glpi_scim.db.database import Database

from .conftest import Served
from .support import (
    Client,
    LiveServer,
    TcpProxy,
    add_server,
    assert_scim_error,
    consistency_problems,
    live_server,
    patch,
    scalar,
    user,
    wait_for,
)

DB_TIMEOUT = 2


@pytest.fixture
def proxy(mysql_database: Database) -> Iterator[TcpProxy]:
    parsed = make_url(mysql_database.url)
    tcp = TcpProxy(parsed.host or "127.0.0.1", parsed.port or 3306)
    yield tcp
    tcp.close()


@dataclass
class Proxied:
    live: LiveServer
    client: Client
    server_id: int
    token: str

    def new_client(self) -> Client:
        return Client(self.live.base_url, self.server_id, self.token)


@pytest.fixture
def proxied(
    mysql_database: Database, proxy: TcpProxy, settings_for: Callable[..., Settings]
) -> Iterator[Proxied]:
    """A live server whose database URL is the proxy, with a short db_timeout."""
    server, token = add_server(mysql_database)
    settings = settings_for(
        mysql_database,
        threads=8,
        db_timeout=DB_TIMEOUT,
        database_url=proxy.url_for(mysql_database.url),
    )
    with live_server(settings) as live:
        client = Client(live.base_url, server.id, token)
        yield Proxied(live, client, server.id, token)
        client.close()
    assert consistency_problems(mysql_database) == {}


def health(live: LiveServer) -> int:
    return requests.get(f"{live.base_url}/healthz", timeout=30).status_code


def test_writers_through_a_cut_lose_no_acknowledged_user(
    mysql_database: Database, proxy: TcpProxy, proxied: Proxied
) -> None:
    live = proxied.live
    acknowledged: list[str] = []
    statuses: Counter[int] = Counter()
    unavailable: list[requests.Response] = []
    stop = threading.Event()
    lock = threading.Lock()

    def writer(n: int) -> None:
        client = proxied.new_client()
        i = 0
        while not stop.is_set():
            name = f"w{n}.{i}"
            i += 1
            response = client.post("/Users", user(name))
            with lock:
                statuses[response.status_code] += 1
                if response.status_code == 201:
                    acknowledged.append(name)
                elif response.status_code == 503:
                    unavailable.append(response)
        client.close()

    threads = [threading.Thread(target=writer, args=(n,), daemon=True) for n in range(4)]
    for thread in threads:
        thread.start()
    assert wait_for(lambda: statuses[201] >= 20, 30), statuses
    proxy.cut()
    cut_at = time.monotonic()
    assert wait_for(lambda: statuses[503] >= 4, 30), statuses
    assert health(live) == 503
    # Nothing gets through while the database is away.
    during = statuses[201]
    time.sleep(1)
    assert statuses[201] == during
    assert time.monotonic() - cut_at < DB_TIMEOUT * 10
    proxy.restore()
    # Back without a restart: writes are acknowledged again, health is green.
    assert wait_for(lambda: statuses[201] >= during + 20, 30), statuses
    assert health(live) == 200
    stop.set()
    for thread in threads:
        thread.join(60)

    assert set(statuses) <= {201, 503}, statuses
    for response in unavailable:
        assert_scim_error(response, 503)
        assert int(response.headers["Retry-After"]) > 0
    present = _logins(mysql_database)
    missing = [name for name in acknowledged if name not in present]
    assert missing == [], missing


def test_a_partition_is_answered_503_within_db_timeout(proxy: TcpProxy, proxied: Proxied) -> None:
    live, client = proxied.live, proxied.client
    assert client.post("/Users", user("before.partition")).status_code == 201
    proxy.stall()
    started = time.monotonic()
    response = client.post("/Users", user("during.partition"))
    elapsed = time.monotonic() - started
    assert_scim_error(response, 503)
    assert "Retry-After" in response.headers
    # Some margin over db_timeout: a pooled connection times out, then a new one does.
    assert elapsed < DB_TIMEOUT * 4, elapsed
    started = time.monotonic()
    assert health(live) == 503
    assert time.monotonic() - started < DB_TIMEOUT * 4
    proxy.restore()
    assert wait_for(lambda: health(live) == 200, 30)
    assert client.post("/Users", user("after.partition")).status_code == 201


def test_a_transaction_cut_in_the_middle_leaves_nothing(
    mysql_database: Database, proxy: TcpProxy, proxied: Proxied
) -> None:
    """The link drops after the user row is written and before its profile row: the client
    gets a 503, the database has no trace of the user, and a retry creates it whole."""
    live, client = proxied.live, proxied.client
    engine = live.app.context.database.engine
    armed = threading.Event()
    armed.set()

    def cut_before_profile(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if armed.is_set() and statement.lstrip().upper().startswith(
            "INSERT INTO GLPI_PROFILES_USERS"
        ):
            armed.clear()
            proxy.cut()

    event.listen(engine, "before_cursor_execute", cut_before_profile)
    try:
        response = client.post(
            "/Users", user("half.written", emails=[{"value": "h@example.com", "primary": True}])
        )
    finally:
        event.remove(engine, "before_cursor_execute", cut_before_profile)
    assert not armed.is_set(), "the create never reached its profile row"
    assert_scim_error(response, 503)
    assert "half.written" not in _logins(mysql_database)
    assert scalar(mysql_database, "SELECT COUNT(*) FROM glpi_useremails") == 0
    assert scalar(mysql_database, "SELECT COUNT(*) FROM glpi_logs WHERE itemtype = 'User'") == 0
    proxy.restore()
    assert wait_for(lambda: health(live) == 200, 30)
    retried = client.post(
        "/Users", user("half.written", emails=[{"value": "h@example.com", "primary": True}])
    )
    assert retried.status_code == 201, retried.text


def test_requests_while_the_database_is_down_get_503_then_recover(
    proxy: TcpProxy, proxied: Proxied
) -> None:
    live, client = proxied.live, proxied.client
    proxy.cut()
    live.app.context.database.engine.dispose()  # no pooled connection survives
    assert_scim_error(client.get("/Users"), 503)
    assert health(live) == 503
    proxy.restore()
    assert wait_for(lambda: health(live) == 200, 30)
    assert client.get("/Users").status_code == 200


def _pooled_connections_die(live: LiveServer, proxy: TcpProxy) -> None:
    """Every pooled connection is dropped (a restarted server or a failed-over node) while
    the database takes new ones at once: the pool still holds the dead ones, used a moment
    ago, so no checkout pings them."""
    pool = live.app.context.database.engine.pool
    assert pool.checkedin() >= 1  # type: ignore[attr-defined]
    proxy.cut()
    proxy.restore()


@pytest.mark.parametrize("auth_cache_seconds", [2, 0], ids=["store-reads-first", "lookup-first"])
def test_reads_on_a_dead_pooled_connection_recover_without_a_failed_request(
    mysql_database: Database,
    proxy: TcpProxy,
    settings_for: Callable[..., Settings],
    auth_cache_seconds: int,
) -> None:
    # With the caches warm the store's read is a request's first statement; with no cache it
    # is the identity server's lookup. Either way the request is answered, not a 503.
    server, token = add_server(mysql_database)
    settings = settings_for(
        mysql_database,
        threads=1,
        db_timeout=DB_TIMEOUT,
        auth_cache_seconds=auth_cache_seconds,
        database_url=proxy.url_for(mysql_database.url),
    )
    with live_server(settings) as live:
        client = Client(live.base_url, server.id, token)
        created = client.post("/Users", json=user("dead.pool@example.org"))
        assert created.status_code == 201, created.text
        path = f"/Users/{created.json()['id']}"
        assert client.get(path).status_code == 200
        for _ in range(3):
            _pooled_connections_die(live, proxy)
            answered = client.get(path)
            assert answered.status_code == 200, answered.text
            assert answered.json()["userName"] == "dead.pool@example.org"
            listed = client.get('/Users?filter=userName eq "dead.pool@example.org"')
            assert listed.status_code == 200, listed.text
            assert listed.json()["totalResults"] == 1
            _pooled_connections_die(live, proxy)
            assert health(live) == 200
        # A write on a dead connection, before its COMMIT: run again on a fresh one, once.
        for title in ("Engineer", "Architect"):
            _pooled_connections_die(live, proxy)
            changed = client.patch(
                path, json=patch({"op": "replace", "path": "title", "value": title})
            )
            assert changed.status_code == 200, changed.text
            assert client.get(path).json()["title"] == title
        client.close()


def _logins(database: Database) -> set[str]:
    from sqlalchemy import text

    with database.engine.connect() as connection:
        return {row[0] for row in connection.execute(text("SELECT name FROM glpi_users"))}


def test_a_sqlite_writer_lock_held_elsewhere_is_a_503_within_db_timeout(
    sqlite_database: Database, serve: Callable[..., Served]
) -> None:
    """Another process holds the embedded database's write lock: a request waits db_timeout,
    then gets a 503; the lock gone, it goes through."""
    served = serve(sqlite_database, db_timeout=1)
    path = make_url(sqlite_database.url).database
    assert path
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        started = time.monotonic()
        response = served.client.post("/Users", user("waits"))
        elapsed = time.monotonic() - started
        assert_scim_error(response, 503)
        assert int(response.headers["Retry-After"]) > 0
        assert 0.9 < elapsed < 4, elapsed
    finally:
        other.rollback()
        other.close()
    assert served.client.post("/Users", user("waits")).status_code == 201
