"""Real parts for the reliability tests: the app served over HTTP by waitress in a thread,
a loopback TCP proxy that can cut the database off, a SCIM client over `requests`, and the
database invariants every test checks at the end."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

import requests
from sqlalchemy import make_url, text

from glpi_scim.config import Settings
from glpi_scim.db.database import Database, open_database
from glpi_scim.identity.models import IdentityServer
from glpi_scim.server.app import ScimApp, create_app
from glpi_scim.server.context import AppContext
from glpi_scim.server.runner import GracefulServer
from glpi_scim.servers.service import ServerInput, ServerService

SCIM = "application/scim+json"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
BULK_REQUEST = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
SEARCH_REQUEST = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def add_server(database: Database, **given: Any) -> tuple[IdentityServer, str]:
    """A bearer identity server and its token."""
    service = ServerService(database)
    given.setdefault("applied_user", "glpi")
    given.setdefault("security", "bearer")
    given.setdefault("name", f"idp-{len(service.list_all()) + 1}")
    outcome = service.add(ServerInput(**given))
    token = service.issue_token(outcome.server, issuer="https://test").token
    return outcome.server, token


# --------------------------------------------------------------------------------------------
# The app served over real HTTP
# --------------------------------------------------------------------------------------------


@dataclass
class LiveServer:
    """`glpi-scim serve`'s server (waitress + graceful stop) running in a thread."""

    app: ScimApp
    server: GracefulServer
    thread: threading.Thread

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    def stop(self) -> None:
        self.server.stop()
        self.thread.join(60)
        self.app.context.close()


@contextmanager
def live_server(settings: Settings, database: Database | None = None) -> Iterator[LiveServer]:
    """Serve `settings` (its database unless one is given) on a free loopback port."""
    database = database or open_database(settings)
    context = AppContext.create(settings, database)
    app = create_app(settings, context=context)
    server = GracefulServer(
        app,
        host="127.0.0.1",
        port=0,
        threads=settings.threads,
        max_body_bytes=settings.max_body_bytes,
        grace_seconds=10,
        connection_limit=settings.connection_limit,
        request_timeout=settings.request_timeout,
        idle_timeout=settings.idle_timeout,
    )
    thread = threading.Thread(target=server.serve, name="live-server", daemon=True)
    thread.start()
    live = LiveServer(app, server, thread)
    try:
        yield live
    finally:
        live.stop()


class Client:
    """A SCIM client bound to one identity server of a live server."""

    def __init__(self, base_url: str, server_id: int, token: str, *, timeout: float = 60) -> None:
        self.root = f"{base_url}/scim/v2/{server_id}"
        self.base_url = base_url
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers.update({"Authorization": f"Bearer {token}", "Accept": SCIM})

    def request(
        self,
        method: str,
        path: str,
        json: Any = None,
        *,
        data: bytes | str | None = None,
        content_type: str | None = SCIM,
        headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
    ) -> requests.Response:
        all_headers = dict(headers or {})
        if json is not None:
            import json as json_module

            data = json_module.dumps(json)
        if data is not None and content_type is not None:
            all_headers["Content-Type"] = content_type
        return self.session.request(
            method,
            self.root + path,
            data=data,
            headers=all_headers,
            params=params,
            timeout=self.timeout,
        )

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, json: Any = None, **kw: Any) -> requests.Response:
        return self.request("POST", path, json, **kw)

    def put(self, path: str, json: Any = None, **kw: Any) -> requests.Response:
        return self.request("PUT", path, json, **kw)

    def patch(self, path: str, json: Any = None, **kw: Any) -> requests.Response:
        return self.request("PATCH", path, json, **kw)

    def delete(self, path: str, **kw: Any) -> requests.Response:
        return self.request("DELETE", path, **kw)

    def close(self) -> None:
        self.session.close()


def assert_scim_error(
    response: requests.Response, status: int, scim_type: str | None = None, *words: str
) -> dict[str, Any]:
    """A SCIM Error document with that status (and scimType), its detail naming `words`."""
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["Content-Type"].startswith(SCIM), response.headers
    body: dict[str, Any] = response.json()
    assert body["schemas"] == [ERROR_SCHEMA], body
    assert body["status"] == str(status), body
    assert body.get("scimType") == scim_type, body
    assert "Traceback" not in body.get("detail", ""), body
    for word in words:
        assert word.lower() in body["detail"].lower(), body
    return body


def user(user_name: str, **attributes: Any) -> dict[str, Any]:
    return {"schemas": [USER_SCHEMA], "userName": user_name, **attributes}


def group(display_name: str, **attributes: Any) -> dict[str, Any]:
    return {"schemas": [GROUP_SCHEMA], "displayName": display_name, **attributes}


def patch(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH_SCHEMA], "Operations": list(operations)}


# --------------------------------------------------------------------------------------------
# Database invariants
# --------------------------------------------------------------------------------------------

_INVARIANTS = {
    "users with more than one default e-mail": """
        SELECT users_id FROM glpi_useremails WHERE is_default = 1
        GROUP BY users_id HAVING COUNT(*) > 1""",
    # Ids up to 6 are a fresh GLPI's own accounts (glpi-system has no profile).
    "provisioned users without exactly one profile row": """
        SELECT u.id FROM glpi_users u
        LEFT JOIN glpi_profiles_users p ON p.users_id = u.id
        WHERE u.id > 6
        GROUP BY u.id HAVING COUNT(p.id) <> 1""",
    "membership rows of a missing user": """
        SELECT gu.id FROM glpi_groups_users gu
        LEFT JOIN glpi_users u ON u.id = gu.users_id WHERE u.id IS NULL""",
    "membership rows of a missing group": """
        SELECT gu.id FROM glpi_groups_users gu
        LEFT JOIN glpi_groups g ON g.id = gu.groups_id WHERE g.id IS NULL""",
    "e-mail rows of a missing user": """
        SELECT e.id FROM glpi_useremails e
        LEFT JOIN glpi_users u ON u.id = e.users_id WHERE u.id IS NULL""",
    "profile rows of a missing user": """
        SELECT p.id FROM glpi_profiles_users p
        LEFT JOIN glpi_users u ON u.id = p.users_id WHERE u.id IS NULL""",
    "duplicate memberships": """
        SELECT users_id FROM glpi_groups_users
        GROUP BY users_id, groups_id HAVING COUNT(*) > 1""",
    "tool rows of a missing user": """
        SELECT r.id FROM glpi_plugin_glpiscim_resources r
        LEFT JOIN glpi_users u ON u.id = r.items_id
        WHERE r.itemtype = 'User' AND u.id IS NULL""",
    "tool rows of a missing group": """
        SELECT r.id FROM glpi_plugin_glpiscim_resources r
        LEFT JOIN glpi_groups g ON g.id = r.items_id
        WHERE r.itemtype = 'Group' AND g.id IS NULL""",
}


def consistency_problems(database: Database) -> dict[str, list[Any]]:
    """Every broken invariant with the offending ids; empty when the database is consistent."""
    problems: dict[str, list[Any]] = {}
    with database.engine.connect() as connection:
        for name, sql in _INVARIANTS.items():
            found = [row[0] for row in connection.execute(text(sql))]
            if found:
                problems[name] = found
    return problems


def scalar(database: Database, sql: str, **params: Any) -> Any:
    with database.engine.connect() as connection:
        return connection.execute(text(sql), params).scalar()


# --------------------------------------------------------------------------------------------
# A TCP proxy between the server and its database
# --------------------------------------------------------------------------------------------


class TcpProxy:
    """Forwards a loopback port to a target address, and can cut the link on demand.

    - `cut()`: every open connection is closed and new ones are closed at once (the database
      went down or restarts);
    - `stall()`: nothing is forwarded any more and new connections get no answer, but nothing
      is refused either (a network partition: packets vanish);
    - `restore()`: connections go through again (stalled ones are dropped).
    """

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._sockets: set[socket.socket] = set()
        self._state = "open"
        self._generation = 0  # bumped by cut() and restore(): older links are dropped
        self._closed = False
        threading.Thread(target=self._accept_loop, name="tcp-proxy", daemon=True).start()

    def url_for(self, url: str) -> str:
        """`url` with its host and port replaced by the proxy's."""
        return make_url(url).set(host="127.0.0.1", port=self.port).render_as_string(False)

    def cut(self) -> None:
        self._set("cut")

    def stall(self) -> None:
        with self._changed:
            self._state = "stalled"
            self._changed.notify_all()

    def restore(self) -> None:
        self._set("open")

    def close(self) -> None:
        with self._changed:
            self._closed = True
        self._set("cut")
        _close(self._listener)

    def _set(self, state: str) -> None:
        with self._changed:
            self._state = state
            self._generation += 1
            doomed = list(self._sockets)
            self._sockets.clear()
            self._changed.notify_all()
        for sock in doomed:
            _close(sock)

    def _accept_loop(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                if self._closed:
                    _close(client)
                    return
                state, generation = self._state, self._generation
                if state == "cut":
                    _close(client)
                    continue
                self._sockets.add(client)
            threading.Thread(
                target=self._link, args=(client, generation), daemon=True, name="tcp-proxy-link"
            ).start()

    def _link(self, client: socket.socket, generation: int) -> None:
        if not self._wait_open(generation):
            return
        try:
            upstream = socket.create_connection(self.target, timeout=5)
        except OSError:
            _close(client)
            return
        upstream.settimeout(None)
        with self._lock:
            if generation != self._generation:
                _close(upstream)
                return
            self._sockets.add(upstream)
        for source, sink in ((client, upstream), (upstream, client)):
            threading.Thread(
                target=self._forward, args=(source, sink, generation), daemon=True
            ).start()

    def _wait_open(self, generation: int) -> bool:
        """Block while stalled; False once the link belongs to an older generation."""
        with self._changed:
            while self._state == "stalled" and generation == self._generation:
                self._changed.wait()
            return self._state == "open" and generation == self._generation

    def _forward(self, source: socket.socket, sink: socket.socket, generation: int) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data or not self._wait_open(generation):
                    break
                sink.sendall(data)
        except OSError:
            pass
        _close(source)
        _close(sink)


def _close(sock: socket.socket) -> None:
    with suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


def wait_for(condition: Callable[[], bool], timeout: float, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()
