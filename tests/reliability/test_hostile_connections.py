"""Hostile connections over real sockets: half-sent requests (slowloris) cannot lock the
identity providers out, and a body far above the limit still gets its SCIM 413."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager

import requests

from glpi_scim.db.database import Database

from .conftest import Served
from .support import SCIM, Client, add_server, assert_scim_error, scalar, user, wait_for

HALF_A_REQUEST = b"GET /scim/v2/1/Users HTTP/1.1\r\nHost: idp.example\r\nAuthor"


@contextmanager
def half_open(
    port: int, count: int, payload: bytes = HALF_A_REQUEST
) -> Iterator[list[socket.socket]]:
    """`count` connections, each having sent `payload` and nothing more."""
    with ExitStack() as stack:
        sockets = []
        for _ in range(count):
            sock = stack.enter_context(socket.create_connection(("127.0.0.1", port), timeout=30))
            if payload:
                sock.sendall(payload)
            sockets.append(sock)
        yield sockets


def closed_by_server(sock: socket.socket) -> bool:
    try:
        sock.settimeout(0.01)
        return sock.recv(1) == b""
    except TimeoutError:
        return False
    except OSError:
        return True


def test_105_half_sent_requests_do_not_lock_out_an_idp(
    sqlite_database: Database, serve: Callable[..., Served]
) -> None:
    served = serve(sqlite_database)
    with half_open(served.live.server.port, 105):
        # A client that gives up after 10 s, far below waitress's own 120 s.
        client = served.new_client(timeout=10)
        response = client.post("/Users", user("still.served"))
        assert response.status_code == 201, response.text
        client.close()


def test_connections_without_a_complete_request_are_closed_after_request_timeout(
    sqlite_database: Database, serve: Callable[..., Served]
) -> None:
    served = serve(sqlite_database, connection_limit=20, request_timeout=1)
    port = served.live.server.port
    with half_open(port, 15) as slow, half_open(port, 10, payload=b"") as silent:
        # 25 connections hold every slot and more: they are closed after a second, and the
        # legitimate request that waited in the backlog is answered.
        client = served.new_client(timeout=30)
        response = client.get("/Users", params={"count": "1"})
        assert response.status_code == 200, response.text
        assert wait_for(lambda: all(closed_by_server(s) for s in slow + silent), timeout=20)
        client.close()


def test_a_body_far_above_the_limit_gets_a_scim_413_and_is_logged(
    sqlite_database: Database, serve: Callable[..., Served]
) -> None:
    served = serve(sqlite_database, max_body_bytes=10_000)
    logging_server, token = add_server(sqlite_database, log_requests=True)
    client = Client(served.live.base_url, logging_server.id, token)
    body = b'{"schemas": [], "userName": "' + b"x" * 200_000 + b'"}'  # 20 times the limit
    for _attempt in range(3):  # the same connection stays usable after each refusal
        response = client.request("POST", "/Users", data=body, content_type=SCIM)
        assert_scim_error(response, 413, None, "10000 bytes")
    assert client.post("/Users", user("after.refusal")).status_code == 201
    client.close()
    assert served.live.app.context.log_writer.flush()
    refused = scalar(
        sqlite_database,
        "SELECT COUNT(*) FROM glpi_plugin_glpiscim_requestlogs WHERE status = 413 "
        f"AND servers_id = {logging_server.id}",
    )
    assert refused == 3


def test_an_announced_body_beyond_what_is_read_is_answered_413_at_once(
    sqlite_database: Database, serve: Callable[..., Served]
) -> None:
    served = serve(sqlite_database, max_body_bytes=10_000)
    port = served.live.server.port
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(
            f"POST /scim/v2/{served.server.id}/Users HTTP/1.1\r\nHost: idp.example\r\n"
            f"Authorization: Bearer {served.token}\r\nContent-Type: {SCIM}\r\n"
            f"Content-Length: {10**9}\r\n\r\n".encode()
            + b"x" * 1000
        )
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    head, _, document = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413"), head
    assert b"urn:ietf:params:scim:api:messages:2.0:Error" in document
    assert requests.get(f"{served.live.base_url}/healthz", timeout=10).status_code == 200


def test_a_chunked_body_far_above_the_limit_gets_a_scim_413(
    sqlite_database: Database, serve: Callable[..., Served]
) -> None:
    """A chunked upload has no length to refuse up front: the HTTP server stops reading past
    its bound and answers itself, with a SCIM Error document like every other answer."""
    served = serve(sqlite_database, max_body_bytes=10_000)
    port = served.live.server.port
    chunk = b"x" * 8192
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(
            f"POST /scim/v2/{served.server.id}/Users HTTP/1.1\r\nHost: idp.example\r\n"
            f"Authorization: Bearer {served.token}\r\nContent-Type: {SCIM}\r\n"
            "Transfer-Encoding: chunked\r\n\r\n".encode()
        )
        answer = b""
        try:
            for _ in range(200):  # up to 1.6 MB, far past what the server reads
                sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed: read what it said
        try:
            while True:
                data = sock.recv(65536)
                if not data:
                    break
                answer += data
        except ConnectionResetError:
            pass
    head, _, document = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413"), answer[:300]
    assert b"application/scim+json" in head.lower()
    error = json.loads(document)
    assert error["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert error["status"] == "413"
    assert requests.get(f"{served.live.base_url}/healthz", timeout=10).status_code == 200
