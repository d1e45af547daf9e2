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
from sqlalchemy import update

from glpi_scim.db import tables
from glpi_scim.db.clock import utcnow
from glpi_scim.db.database import Database
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
        "No request recorded with these filters"
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
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # Ctrl-C as a terminal sends it: a test run started in the background (a shell without
        # job control) ignores SIGINT, and its children would inherit that.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
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


ESC = "\x1b"


def test_stored_text_cannot_drive_the_terminal(run: Run, run_json: Any, database: Database) -> None:
    server_id = int(run_json("server", "add", "one", "--applied-user", "glpi")["server"]["id"])
    record(
        database,
        server_id,
        401,
        method="GET",
        path=f"/scim/v2/{server_id}/Users/{ESC}[2J\n     1 2026-01-01 [one] GET /forged 200",
        query=f"filter={ESC}]0;title{ESC}\\",
        client_ip=f"10.0.0.1{ESC}[31m",
        request_body=f"not json {ESC}[31m[red]red[/red]\u202eevil\x9b",
        response_body=json.dumps({"detail": f"x{ESC}[5m\x9b\u2028y"}, ensure_ascii=False),
        note=f"[bold]{ESC}[1A\r",
    )
    tail = run("logs", "tail").stdout
    show = run("logs", "show", "1").stdout
    for out in (tail, show):
        assert ESC not in out and "\x9b" not in out and "\u202e" not in out and "\r" not in out
        assert "\u2028" not in out
    assert len([line for line in tail.splitlines() if line.strip()]) == 1  # no forged line
    assert "/Users/%1B%5B2J%0A" in tail  # the path as stored: percent-encoded
    assert "?filter=%1B]0;title%1B" in tail and "[bold]\\x1b[1A\\r" in tail
    assert "not json \\x1b[31m[red]red[/red]\\u202eevil\\x9b" in show  # markup printed as sent
    assert "\\u001b[5m\\u009b\\u2028y" in show  # inside pretty-printed JSON


def test_server_show_escapes_what_it_reads_from_glpi(
    run: Run, run_json: Any, database: Database
) -> None:
    run_json("server", "add", "one", "--applied-user", "glpi")
    with database.begin() as connection:
        connection.execute(
            update(tables.entities)
            .where(tables.entities.c.id == 0)
            .values(name=f"Root{ESC}[8m", completename=f"Root{ESC}[8m")
        )
    out = run("server", "show", "one").stdout
    assert ESC not in out
    assert "Root" in out and "\\x1b" in out  # the table may wrap between the two


def test_tail_filters_and_error_details(run: Run, run_json: Any, database: Database) -> None:
    server_id = int(run_json("server", "add", "one", "--applied-user", "glpi")["server"]["id"])
    users = f"/scim/v2/{server_id}/Users"
    conflict = {"schemas": [], "status": "409", "scimType": "uniqueness", "detail": "taken: tech"}
    now = utcnow()
    record(database, server_id, 201, request_id="old", time=now - timedelta(days=3))
    record(
        database,
        server_id,
        409,
        request_id="conflict",
        request_body=json.dumps({"userName": "tech"}),
        response_body=json.dumps(conflict),
    )
    record(database, server_id, 201, request_id="created", response_body='{"id":"4"}')
    record(database, server_id, 200, request_id="patch", method="PATCH", path=f"{users}/4")
    record(database, server_id, 200, request_id="other", method="PATCH", path=f"{users}/42")
    record(database, server_id, 200, request_id="groups", method="GET", path="/scim/v2/1/Groups")

    def ids(*args: str) -> list[str]:
        return [entry["request_id"] for entry in run_json("logs", "tail", *args)]

    assert ids("--since", "1d") == ["conflict", "created", "patch", "other", "groups"]
    assert ids("--since", (now - timedelta(days=4)).strftime("%Y-%m-%dT%H:%M:%S"))[0] == "old"
    assert ids("--method", "patch") == ["patch", "other"]
    assert ids("--path", "/Groups") == ["groups"]
    assert ids("--user", "TECH") == ["conflict", "created", "patch"]
    assert ids("--user", "tech", "--method", "PATCH") == ["patch"]
    assert "No request recorded with these filters." in run("logs", "tail", "--user", "glpi").stdout
    assert (
        "no GLPI user has the login 'nobody'"
        in run("logs", "tail", "--user", "nobody", expect=2).stderr
    )
    assert "expected a duration" in run("logs", "tail", "--since", "soon", expect=2).stderr
    conflict_line = next(
        line for line in run("logs", "tail").stdout.splitlines() if " 409 " in line
    )
    assert conflict_line.endswith("taken: tech")
    assert run_json("logs", "tail", "--status", "409")[0]["error_detail"] == "taken: tech"
    assert "error: taken: tech" in " ".join(run("logs", "show", "2").stdout.split())
