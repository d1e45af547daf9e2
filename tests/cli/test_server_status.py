"""`glpi-scim server status`: real traffic through `glpi-scim serve`, then the real CLI."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import requests

from e2e.process import start_serve
from glpi_scim.db.database import Database

from .conftest import Run
from .support import one_line_error

SCIM = "application/scim+json"


def send_traffic(url: str, token: str) -> None:
    """One success, then a 404 and a 401: what an IdP's connection might see."""
    good = {"Authorization": f"Bearer {token}", "Accept": SCIM}
    assert requests.get(f"{url}/Users", headers=good, timeout=30).status_code == 200
    missing = requests.get(f"{url}/Users/999999", headers=good, timeout=30)
    assert missing.status_code == 404
    bad = {"Authorization": "Bearer not-a-token", "Accept": SCIM}
    assert requests.get(f"{url}/Groups", headers=bad, timeout=30).status_code == 401


def test_status_of_a_server_that_keeps_no_request_log(
    run: Run, run_json: Any, database: Database, tmp_path: Path
) -> None:
    added = run_json("server", "add", "entra", "--applied-user", "glpi")
    server_id = added["server"]["id"]
    assert added["server"]["log_requests"] is False
    token = added["credentials"]["token"]
    run("token", "issue", "entra", "--expires", "10d", "--comment", "rotation test")

    # A flush interval longer than the test: only the shutdown writes the counts.
    serve = start_serve(
        tmp_path, "--database", database.url, env={"GLPI_SCIM_STATS_FLUSH_SECONDS": "3600"}
    )
    try:
        send_traffic(serve.scim_url(server_id), token)
    finally:
        assert serve.running.stop() == 0

    status = run_json("server", "status", "entra")
    assert status["id"] == server_id and status["name"] == "entra" and status["active"]
    activity = status["requests"]
    assert activity["last_hour"] == {"requests": 3, "errors": 2}
    assert activity["last_day"] == {"requests": 3, "errors": 2}
    assert activity["last_request"] is not None and activity["last_success"] is not None
    assert activity["last_error"]["status"] == 401
    assert activity["last_error"]["detail"]
    expiring = status["tokens"]["expiring_within_30_days"]
    assert [token["comment"] for token in expiring] == ["rotation test"]

    shown = run("server", "status", "entra").stdout
    assert "Identity server entra (id" in shown
    assert "3 requests, 2 errors" in shown
    assert ": 401 " in shown
    assert "rotation test" in shown
    assert f"glpi-scim token issue {server_id}" in shown


def test_status_of_every_server_and_of_a_quiet_one(run: Run, run_json: Any) -> None:
    assert "No identity server yet" in run("server", "status").stdout
    run("server", "add", "okta", "--applied-user", "glpi")
    run("server", "add", "entra", "--applied-user", "glpi")
    every = run_json("server", "status")
    assert sorted(status["name"] for status in every) == ["entra", "okta"]
    quiet = every[0]["requests"]
    assert quiet["last_request"] is None and quiet["last_error"] is None
    assert quiet["last_hour"] == {"requests": 0, "errors": 0}
    assert every[0]["tokens"]["expiring_within_30_days"] == []
    shown = run("server", "status", "okta").stdout
    assert "last request" in shown and "never" in shown and "0 requests, 0 errors" in shown


def test_status_of_an_unknown_server_is_a_one_line_error(run: Run) -> None:
    result = run("server", "status", "nobody", expect=1)
    assert "nobody" in one_line_error(result)


COUNT_IN_A_PROCESS = textwrap.dedent(
    """
    import sys
    from datetime import datetime, timezone

    from glpi_scim.config import Settings
    from glpi_scim.db.database import open_database
    from glpi_scim.servers.stats import RequestStats, StatsRepository

    database = open_database(Settings(database_url=sys.argv[1]))
    stats = RequestStats(StatsRepository(database), flush_seconds=0.05)
    for i in range(200):
        status = 500 if i % 10 == 0 else 200
        stats.record(int(sys.argv[2]), status, f"failure {sys.argv[3]}", datetime.now(timezone.utc))
    stats.close()
    database.dispose()
    """
)


def test_counts_of_several_processes_add_up(run: Run, run_json: Any, database: Database) -> None:
    server_id = run_json("server", "add", "entra", "--applied-user", "glpi")["server"]["id"]
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", COUNT_IN_A_PROCESS, database.url, str(server_id), str(n)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(3)
    ]
    for process in processes:
        _, errors = process.communicate(timeout=120)
        # A flush the database refuses under load is logged and retried with its counts
        # kept: the totals below are what must hold.
        assert process.returncode == 0, errors
    status = run_json("server", "status", str(server_id))["requests"]
    assert status["last_hour"] == {"requests": 600, "errors": 60}
    assert status["last_error"]["status"] == 500
    assert status["last_error"]["detail"].startswith("failure ")
    assert json.dumps(status)
