"""The app under gunicorn (`glpi_scim.server.app:app`, settings from the environment)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import requests

from glpi_scim.db.database import Database, engine_for_url, sqlite_url
from glpi_scim.db.schema import initialise_embedded
from glpi_scim.servers.service import ServerInput, ServerService

from .process import RunningProcess, free_port, start, wait_until_answers

pytestmark = pytest.mark.slow


def gunicorn(tmp_path: Path, env: dict[str, str]) -> tuple[RunningProcess, str]:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "glpi_scim.server.app:app",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "2",
        "--graceful-timeout",
        "10",
    ]
    return start(command, env, tmp_path), f"http://127.0.0.1:{port}"


def prepared_sqlite(path: Path) -> tuple[int, str]:
    """An initialised embedded database with one bearer server; (server id, token)."""
    url = sqlite_url(path)
    database = Database(engine_for_url(url), url, url)
    try:
        initialise_embedded(database)
        service = ServerService(database)
        server = service.add(ServerInput(name="gunicorn", applied_user="glpi")).server
        return server.id, service.issue_token(server, issuer="https://test").token
    finally:
        database.dispose()


def test_gunicorn_serves_the_app_from_environment_settings(tmp_path: Path) -> None:
    sqlite = tmp_path / "glpi.sqlite"
    server_id, token = prepared_sqlite(sqlite)
    running, base = gunicorn(
        tmp_path, {"GLPI_SCIM_SQLITE_PATH": str(sqlite), "GLPI_SCIM_URL_PREFIX": "/idp"}
    )
    try:
        assert wait_until_answers(f"{base}/healthz").status_code == 200
        headers = {"Authorization": f"Bearer {token}"}
        users = requests.get(f"{base}/idp/v2/{server_id}/Users", headers=headers, timeout=10)
        assert users.status_code == 200, users.text
        assert users.headers["Content-Type"] == "application/scim+json; charset=utf-8"
        assert users.json()["totalResults"] >= 1
        assert requests.get(f"{base}/scim/v2/{server_id}/Users", timeout=10).status_code == 404
    finally:
        assert running.stop() == 0, running.errors


def test_gunicorn_with_an_unusable_database_answers_503_until_fixed(tmp_path: Path) -> None:
    sqlite = tmp_path / "missing" / "glpi.sqlite"  # never initialised: no tables
    running, base = gunicorn(tmp_path, {"GLPI_SCIM_SQLITE_PATH": str(sqlite)})
    try:
        answer = wait_until_answers(f"{base}/scim/v2/1/Users")
        assert answer.status_code == 503
        assert answer.headers["Content-Type"] == "application/scim+json; charset=utf-8"
        assert answer.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
        assert "Traceback" not in answer.text
        # The cause is fixed while the workers run: the next request builds the app.
        server_id, token = prepared_sqlite(sqlite)
        fixed = requests.get(
            f"{base}/scim/v2/{server_id}/Users",
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert fixed.status_code == 200, fixed.text
    finally:
        running.stop()
    assert "cannot start the SCIM application" in running.errors
