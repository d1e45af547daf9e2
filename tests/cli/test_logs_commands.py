"""`glpi-scim logs tail|show|purge`, through the real CLI (and a real process for -f)."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
from datetime import datetime, timedelta, timezone
from typing import IO, Any

import pytest

from glpi_scim.glpi.database import Database
from glpi_scim.servers.clock import utcnow
from glpi_scim.servers.requestlog import RequestLog, RequestLogEntry

from .conftest import Run
from .support import one_line_error

SECRET = "Tr0ub4dor&3-horse"


def record(database: Database, server_id: int, status: int, **overrides: Any) -> None:
    values: dict[str, Any] = {
        "server_id": server_id,
        "request_id": f"req-{status}",
        "time": datetime.now(timezone.utc),
        "client_ip": "192.0.2.10",
        "method": "POST",
        "path": f"/scim/v2/{server_id}/Users",
        "query": None,
        "status": status,
        "duration_ms": 7,
        "request_headers": {"Authorization": f"Basic {SECRET}", "Content-Type": "application/json"},
        "request_body": json.dumps({"userName": "ann", "password": SECRET}),
        "response_body": json.dumps({"id": "9", "userName": "ann"}),
    }
    values.update(overrides)
    RequestLog(database).record(RequestLogEntry(**values))


@pytest.fixture
def servers(run_json: Any, database: Database) -> tuple[int, int]:
    one = run_json("server", "add", "one", "--applied-user", "glpi", "--log-requests")
    two = run_json("server", "add", "two", "--applied-user", "glpi", "--log-requests")
    ids = (int(one["server"]["id"]), int(two["server"]["id"]))
    for server_id, status in ((ids[0], 201), (ids[1], 404), (ids[0], 409), (ids[0], 500)):
        record(database, server_id, status)
    return ids


def test_tail_all_then_filters(run: Run, run_json: Any, servers: tuple[int, int]) -> None:
    out = run("logs", "tail").stdout
    lines = [line for line in out.splitlines() if line.strip()]
    assert len(lines) == 4
    assert "[one] POST /scim/v2/1/Users 201" in lines[0]
    assert "[two]" in lines[1] and " 404 " in lines[1]
    assert SECRET not in out
    assert [e["status"] for e in run_json("logs", "tail", "one")] == [201, 409, 500]
    assert [e["status"] for e in run_json("logs", "tail", "--status", "4xx")] == [404, 409]
    assert [e["status"] for e in run_json("logs", "tail", "--status", "500,2xx")] == [201, 500]
    assert [e["status"] for e in run_json("logs", "tail", "-n", "2")] == [409, 500]
    assert [e["status"] for e in run_json("logs", "tail", "two", "--status", "5xx")] == []
    assert (
        "No request recorded with these statuses"
        in run("logs", "tail", "two", "--status", "5xx").stdout
    )


def test_tail_refuses_bad_status(run: Run, servers: tuple[int, int]) -> None:
    assert "expected a status" in run("logs", "tail", "--status", "4x", expect=2).stderr


def test_show_pretty_and_json(run: Run, run_json: Any, servers: tuple[int, int]) -> None:
    entry_id = run_json("logs", "tail", "-n", "1")[0]["id"]
    data = run_json("logs", "show", str(entry_id))
    assert data["status"] == 500 and data["request_headers"]["authorization"] == "Basic [REDACTED]"
    assert json.loads(data["request_body"]) == {"userName": "ann", "password": "[REDACTED]"}
    out = run("logs", "show", str(entry_id)).stdout
    assert f"Request {entry_id}" in out and "POST /scim/v2/1/Users" in out
    assert '"password": "[REDACTED]"' in out  # pretty-printed JSON
    assert '"userName": "ann"' in out
    assert SECRET not in out
    assert "no request log entry with id 999" in one_line_error(
        run("logs", "show", "999", expect=1)
    )


def test_purge(run: Run, run_json: Any, database: Database, servers: tuple[int, int]) -> None:
    one, _ = servers
    record(database, one, 200, time=utcnow() - timedelta(days=40))
    assert "Aborted" in run("logs", "purge", input="n\n", expect=1).stderr
    assert len(run_json("logs", "tail")) == 5
    data = run_json("logs", "purge", "one", "--older-than", "30d", "--yes")
    assert data["deleted"] == 1 and data["server"] == {"id": one, "name": "one"}
    out = run("logs", "purge", "two", input="y\n").stdout
    assert "Deleted 1 recorded request(s) of identity server 'two'" in out
    assert (
        "Invalid value for '--older-than'"
        in run("logs", "purge", "--older-than", "soon", "--yes", expect=2).stderr
    )
    assert run_json("logs", "purge", "--yes")["deleted"] == 3
    assert run_json("logs", "tail") == []
    assert "No request recorded." in run("logs", "tail").stdout


class Lines:
    """A process's output read on a thread: `next()` fails after 15 s instead of hanging."""

    def __init__(self, stream: IO[str]) -> None:
        self.queue: queue.Queue[str] = queue.Queue()
        self.thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self.thread.start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self.queue.put(line)

    def next(self) -> str:
        try:
            return self.queue.get(timeout=15)
        except queue.Empty:
            raise AssertionError("no output from `logs tail -f` within 15 s") from None

    def rest(self) -> str:
        """Everything left once the process has ended."""
        self.thread.join(timeout=10)
        return "".join(self.queue.queue)


def test_tail_follow_prints_new_requests_as_they_arrive(
    database: Database, run_json: Any, isolated_cli: None
) -> None:
    server_id = int(run_json("server", "add", "live", "--applied-user", "glpi")["server"]["id"])
    record(database, server_id, 200, request_id="before")
    command = [
        sys.executable, "-m", "glpi_scim", "--database", database.url,
        "logs", "tail", "live", "-f", "--json", "-n", "1", "--interval", "0.2",
    ]  # fmt: skip
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True
    )
    try:
        assert process.stdout is not None
        stdout = Lines(process.stdout)
        first = json.loads(stdout.next())
        assert first["request_id"] == "before"
        record(database, server_id, 404, request_id="after")
        record(database, server_id + 1000, 500, request_id="other server")
        record(database, server_id, 201, request_id="last")
        seen = [json.loads(stdout.next())["request_id"] for _ in range(2)]
        assert seen == ["after", "last"]
    finally:
        process.kill()
        process.wait(timeout=10)


def test_follow_stops_quietly_on_ctrl_c(
    database: Database, run_json: Any, isolated_cli: None
) -> None:
    run_json("server", "add", "live", "--applied-user", "glpi")
    command = [sys.executable, "-m", "glpi_scim", "--database", database.url, "logs", "tail", "-f"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stderr is not None
        stderr = Lines(process.stderr)
        assert "Following new requests" in stderr.next()
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
    finally:
        process.kill()
        process.wait(timeout=10)
    assert stderr.rest() == ""  # no traceback
