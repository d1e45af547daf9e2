"""Operations: request ids in responses and logs, JSON logs, a graceful stop that answers the
requests in flight, and `serve` refusing a database it cannot use."""

from __future__ import annotations

import io
import json
import logging
import os
import socket
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from sqlalchemy import text

from glpi_scim.db.database import Database
from glpi_scim.db.schema import bootstrap_glpi
from glpi_scim.server.logconfig import JsonFormatter, RequestIdFilter, configure_logging

from .conftest import Served
from .support import BULK_REQUEST, SCIM, scalar, user


@pytest.fixture
def sqlite_served(sqlite_database: Database, serve: Callable[..., Served]) -> Served:
    return serve(sqlite_database)


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """What the server logs while the test runs, formatted as `log_format = "json"` does."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(previous)


def log_entries(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_every_answer_names_its_request_in_a_header_and_in_the_logs(
    sqlite_served: Served, json_log: io.StringIO
) -> None:
    client = sqlite_served.client
    base = sqlite_served.live.base_url
    answers = [
        client.post("/Users", user("logged")),
        client.get("/Users/424242"),
        client.post("/Users", data=b"{", content_type=SCIM),
        requests.get(f"{base}/scim/v2/{sqlite_served.server.id}/Users", timeout=30),
        requests.get(f"{base}/nowhere", timeout=30),
        requests.get(f"{base}/healthz", timeout=30),
    ]
    assert [a.status_code for a in answers] == [201, 404, 400, 401, 404, 200]
    ids = [a.headers["X-Request-Id"] for a in answers]
    assert len(set(ids)) == len(ids)
    access = {
        e["request_id"]: e
        for e in log_entries(json_log)
        if e["logger"] == "glpi_scim.server.access"
    }
    for answer, request_id in zip(answers, ids, strict=True):
        entry = access[request_id]
        assert entry["http_status"] == answer.status_code
        assert entry["level"] == "INFO" and isinstance(entry["duration_ms"], int)
    created = access[ids[0]]
    assert created["http_method"] == "POST" and created["server_id"] == sqlite_served.server.id
    assert "Bearer" not in json_log.getvalue() and sqlite_served.token not in json_log.getvalue()


def test_a_warning_logged_while_handling_a_request_carries_its_id(
    sqlite_served: Served, json_log: io.StringIO
) -> None:
    """Any logger, not only the access log: the id follows the request through the layers."""
    probe = logging.getLogger("glpi_scim.glpi.probe")

    from sqlalchemy import event

    engine = sqlite_served.live.app.context.database.engine

    def on_execute(*_args: object) -> None:
        probe.warning("statement executed")

    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        answer = sqlite_served.client.get("/Users", params={"count": "1"})
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
    seen = [
        str(e["request_id"]) for e in log_entries(json_log) if e["logger"] == "glpi_scim.glpi.probe"
    ]
    assert seen and set(seen) == {answer.headers["X-Request-Id"]}


@pytest.mark.parametrize("trusted", [True, False])
def test_a_request_id_from_a_trusted_proxy_is_kept(
    sqlite_database: Database, serve: Callable[..., Served], trusted: bool
) -> None:
    served = serve(sqlite_database, trusted_proxies=("127.0.0.1",) if trusted else ())
    answer = served.client.get("/Users", headers={"X-Request-Id": "lb-7f3a.1"})
    assert (answer.headers["X-Request-Id"] == "lb-7f3a.1") is trusted
    odd = served.client.get("/Users", headers={"X-Request-Id": "two words"})
    assert odd.headers["X-Request-Id"] != "two words"


def test_json_log_format_is_one_object_per_line() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("glpi_scim.test.json")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("a %s\nwith a line break", "message", extra={"http_status": 503})
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert first["message"] == "a message\nwith a line break"
    assert first["http_status"] == 503 and first["request_id"] == "-"
    assert first["level"] == "WARNING" and first["time"].endswith("+00:00")
    assert "RuntimeError: boom" in second["exception"]


def test_unknown_log_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="log format 'xml'"):
        configure_logging("INFO", "xml")
    with pytest.raises(ValueError, match="log level 'LOUD'"):
        configure_logging("LOUD")


def test_a_graceful_stop_answers_every_request_in_flight(sqlite_served: Served) -> None:
    """Stopping while several bulk requests run: each is answered in full and every user it
    acknowledged exists; afterwards the port refuses connections."""
    live = sqlite_served.live
    clients = [sqlite_served.new_client() for _ in range(4)]
    answers: list[requests.Response | Exception] = []
    started = threading.Barrier(5)

    def send(n: int) -> None:
        document = {
            "schemas": [BULK_REQUEST],
            "Operations": [
                {"method": "POST", "path": "/Users", "bulkId": f"b{i}", "data": user(f"g{n}.{i}")}
                for i in range(150)
            ],
        }
        started.wait()
        try:
            answers.append(clients[n].post("/Bulk", document))
        except requests.RequestException as exc:
            answers.append(exc)

    senders = [threading.Thread(target=send, args=(n,)) for n in range(4)]
    for sender in senders:
        sender.start()
    started.wait()
    # Stop once the server is busy writing (users start to appear).
    database = sqlite_served.database
    deadline = threading.Event()
    while not deadline.wait(0.02):
        if scalar(database, "SELECT COUNT(*) FROM glpi_users WHERE name LIKE 'g%.%'"):
            break
    live.server.stop()
    for sender in senders:
        sender.join(120)
    live.thread.join(60)
    assert not live.thread.is_alive()
    assert [a.status_code for a in answers if isinstance(a, requests.Response)] == [200] * 4, (
        answers
    )
    for answer in answers:
        assert isinstance(answer, requests.Response)
        for operation in answer.json()["Operations"]:
            assert operation["status"] == "201", operation
    assert scalar(database, "SELECT COUNT(*) FROM glpi_users WHERE name LIKE 'g%.%'") == 600
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", live.server.port), 2):
        pass


# --------------------------------------------------------------------------------------------
# `serve` refuses a database it cannot use, with a message that says what to do
# --------------------------------------------------------------------------------------------


def serve_with(url: str, tmp_path: Path) -> tuple[int, str]:
    """`glpi-scim --database URL serve` as a real process: its exit code and what it printed."""
    result = subprocess.run(
        [sys.executable, "-m", "glpi_scim", "--database", url, "serve", "--port", "0"],
        cwd=tmp_path,
        env=child_environment(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    return result.returncode, " ".join(output.split())


def child_environment() -> dict[str, str]:
    """This environment without GLPI_SCIM_* settings, which would leak into the child."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GLPI_SCIM_")}
    env.pop("GLPI_CONFIG_DIR", None)
    env["COLUMNS"] = "200"
    return env


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_refuses_an_unreachable_database(tmp_path: Path) -> None:
    code, output = serve_with(
        f"mysql+pymysql://glpi:secret@127.0.0.1:{closed_port()}/glpi", tmp_path
    )
    assert code == 3
    assert "cannot reach the database server" in output and "secret" not in output


@pytest.mark.mysql
def test_serve_refuses_glpi_without_the_tool_tables(
    glpi_mysql_database: Database, tmp_path: Path
) -> None:
    with glpi_mysql_database.begin() as connection:
        bootstrap_glpi(connection)  # a GLPI 10.0.19 install, before `glpi-scim db init`
    code, output = serve_with(glpi_mysql_database.url, tmp_path)
    assert code == 3
    assert f"`glpi-scim --database {glpi_mysql_database.url} db init`" in output


@pytest.mark.mysql
def test_serve_refuses_another_glpi_version(mysql_database: Database, tmp_path: Path) -> None:
    with mysql_database.begin() as connection:
        connection.execute(
            text(
                "UPDATE glpi_configs SET value = '9.5.13' "
                "WHERE context = 'core' AND name = 'version'"
            )
        )
    code, output = serve_with(mysql_database.url, tmp_path)
    assert code == 3
    assert "9.5.13" in output


@pytest.mark.mysql
def test_serve_refuses_a_glpi_schema_missing_a_column(
    mysql_database: Database, tmp_path: Path
) -> None:
    with mysql_database.begin() as connection:
        connection.execute(text("ALTER TABLE glpi_useremails DROP COLUMN is_dynamic"))
    try:
        code, output = serve_with(mysql_database.url, tmp_path)
    finally:
        with mysql_database.begin() as connection:
            connection.execute(
                text(
                    "ALTER TABLE glpi_useremails "
                    "ADD COLUMN is_dynamic tinyint NOT NULL DEFAULT 0 AFTER is_default"
                )
            )
    assert code == 3
    assert "glpi_useremails.is_dynamic" in output


def test_serve_refuses_a_sqlite_file_of_another_application(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    code, output = serve_with(f"sqlite:///{path}", tmp_path)
    assert code == 3
    assert "GLPI" in output
    assert scalar_tables(path) == {"notes"}


def scalar_tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as connection:
        return {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
