"""`glpi-scim serve` as a real process, talked to over HTTP with requests."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from glpi_scim.db.database import Database, engine_for_url, sqlite_url
from glpi_scim.servers.repository import ServerRepository
from glpi_scim.servers.requestlog import RequestLog
from glpi_scim.servers.service import ServerInput, ServerService

from .process import GLPI_SCIM, child_environment, start_serve

pytestmark = pytest.mark.slow

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
SCIM = "application/scim+json"


def scim(token: str) -> requests.Session:
    session = requests.Session()
    session.headers.update({"Authorization": f"Bearer {token}", "Accept": SCIM})
    return session


def cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*GLPI_SCIM, *args],
        cwd=cwd,
        env=child_environment({}),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_first_run_on_a_fresh_sqlite_file_gives_a_working_endpoint(tmp_path: Path) -> None:
    sqlite = tmp_path / "data" / "glpi.sqlite"
    serve = start_serve(tmp_path, "--sqlite-path", str(sqlite), expect_token=True)
    try:
        assert serve.token is not None
        out = serve.running.output
        assert f"server 1 'default' (bearer): {serve.scim_url(1)}" in out
        assert f"default server, also at {serve.scim_url()}" in out
        session = scim(serve.token)

        created = session.post(
            f"{serve.scim_url(1)}/Users",
            json={"schemas": [USER_SCHEMA], "userName": "first.user"},
            headers={"Content-Type": SCIM},
        )
        assert created.status_code == 201, created.text
        assert created.headers["Content-Type"] == "application/scim+json; charset=utf-8"
        location = created.headers["Location"]
        assert location == f"{serve.scim_url(1)}/Users/{created.json()['id']}"
        assert session.get(location).json()["userName"] == "first.user"
        listed = session.get(
            f"{serve.scim_url()}/Users", params={"filter": 'userName eq "first.user"'}
        )
        assert listed.json()["totalResults"] == 1

        anonymous = requests.get(f"{serve.scim_url(1)}/Users", timeout=10)
        assert anonymous.status_code == 401
        assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
        assert requests.get(f"{serve.base_url}/healthz", timeout=10).json() == {"status": "ok"}

        # A chunked body (no Content-Length) above max_body_bytes (1 MiB): a SCIM 413 too.
        def chunks():  # type: ignore[no-untyped-def]
            yield b'{"schemas": ["' + USER_SCHEMA.encode() + b'"], "nickName": "'
            for _ in range(2048):
                yield b"x" * 1024
            yield b'"}'

        too_large = session.post(
            f"{serve.scim_url(1)}/Users", data=chunks(), headers={"Content-Type": SCIM}
        )
        assert too_large.status_code == 413
        assert too_large.json()["status"] == "413"
    finally:
        code = serve.running.stop()
    assert code == 0, serve.running.errors
    assert "glpi-scim stopped." in serve.running.output
    assert serve.token not in serve.running.errors  # never logged
    assert "request_id=" in serve.running.errors and "status=201" in serve.running.errors

    # Second start on the same file: no new server, the first token still works.
    again = start_serve(tmp_path, "--sqlite-path", str(sqlite))
    try:
        assert "Created identity server" not in again.running.output
        assert "Bearer token" not in again.running.output
        users = scim(serve.token).get(f"{again.scim_url(1)}/Users", timeout=10)
        assert users.status_code == 200
    finally:
        assert again.running.stop() == 0


def test_sigterm_flushes_the_request_log(tmp_path: Path) -> None:
    sqlite = tmp_path / "glpi.sqlite"
    serve = start_serve(tmp_path, "--sqlite-path", str(sqlite), expect_token=True)
    assert serve.token is not None
    try:
        # Settings live in the database: switching logging on needs no restart.
        edited = cli(
            tmp_path, "--sqlite-path", str(sqlite), "server", "edit", "1", "--log-requests"
        )
        assert edited.returncode == 0, edited.stderr
        session = scim(serve.token)
        for _ in range(20):
            assert session.get(f"{serve.scim_url(1)}/Users", params={"count": "1"}).ok
    finally:
        assert serve.running.stop() == 0
    url = sqlite_url(sqlite)
    database = Database(engine_for_url(url), url, url)
    try:
        entries = RequestLog(database).recent(server_id=1, limit=100)
        assert len(entries) == 20
        assert all(entry.status == 200 for entry in entries)
    finally:
        database.dispose()


def test_a_server_with_security_none_is_warned_about(tmp_path: Path) -> None:
    sqlite = tmp_path / "glpi.sqlite"
    first = start_serve(tmp_path, "--sqlite-path", str(sqlite), expect_token=True)
    assert first.running.stop() == 0
    added = cli(
        tmp_path,
        "--sqlite-path",
        str(sqlite),
        "server",
        "add",
        "open",
        "--applied-user",
        "glpi",
        "--security",
        "none",
    )
    assert added.returncode == 0, added.stderr
    serve = start_serve(tmp_path, "--sqlite-path", str(sqlite))
    try:
        assert re.search(
            r"Warning:.*'open'.*security 'none'", serve.running.errors.replace("\n", " ")
        )
        assert requests.get(f"{serve.scim_url(2)}/Users", timeout=10).status_code == 200
    finally:
        assert serve.running.stop() == 0


def test_serve_prints_the_console_url_when_the_console_is_on(tmp_path: Path) -> None:
    sqlite = tmp_path / "glpi.sqlite"
    env = {"GLPI_SCIM_CONSOLE_ENABLED": "true", "GLPI_SCIM_CONSOLE_PATH": "admin/scim/"}
    serve = start_serve(tmp_path, "--sqlite-path", str(sqlite), env=env, expect_token=True)
    try:
        serve.running.wait_for(re.compile(r"Web console: (\S+)"))
        assert f"Web console: {serve.base_url}/admin/scim/" in serve.running.output
        page = requests.get(f"{serve.base_url}/admin/scim/signin", timeout=10)
        assert page.status_code == 200 and "Sign in with your GLPI account" in page.text
    finally:
        assert serve.running.stop() == 0
    off = start_serve(tmp_path, "--sqlite-path", str(sqlite))
    try:
        assert "Web console" not in off.running.output
        assert requests.get(f"{off.base_url}/console/signin", timeout=10).status_code == 404
    finally:
        assert off.running.stop() == 0


@pytest.mark.mysql
def test_serve_never_creates_servers_in_glpis_database(
    tmp_path: Path, mysql_database: Database
) -> None:
    serve = start_serve(tmp_path, "--database", mysql_database.url)
    try:
        assert "Created identity server" not in serve.running.output
        assert "glpi-scim server add" in serve.running.output
        answer = requests.get(f"{serve.scim_url()}/Users", timeout=10)
        assert answer.status_code == 404
        assert "no default identity server" in answer.json()["detail"]
    finally:
        assert serve.running.stop() == 0
    assert ServerRepository(mysql_database).list_all() == []


@pytest.mark.mysql
def test_serve_on_mysql_uses_the_servers_an_administrator_added(
    tmp_path: Path, mysql_database: Database
) -> None:
    service = ServerService(mysql_database)
    server = service.add(ServerInput(name="entra", applied_user="glpi", security="bearer")).server
    token = service.issue_token(server, issuer="https://test").token
    serve = start_serve(tmp_path, "--database", mysql_database.url)
    try:
        assert f"server {server.id} 'entra' (bearer): {serve.scim_url(server.id)}" in (
            serve.running.output
        )
        assert scim(token).get(f"{serve.scim_url(server.id)}/Groups", timeout=10).ok
    finally:
        assert serve.running.stop() == 0


def test_serve_refuses_a_database_that_is_not_glpi(tmp_path: Path) -> None:
    not_a_database = tmp_path / "notes.sqlite"
    not_a_database.write_text("these are notes, not a database\n" * 100)
    result = cli(tmp_path, "--sqlite-path", str(not_a_database), "serve", "--port", "0")
    assert result.returncode == 3, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert "Error:" in result.stderr


def test_serve_refuses_a_bad_trusted_proxy(tmp_path: Path) -> None:
    result = cli(tmp_path, "serve", "--port", "0", "--trusted-proxy", "10.1.2.3/8")
    assert result.returncode == 3
    assert "host bits set" in result.stderr


def test_serve_says_when_the_port_is_taken(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        result = cli(
            tmp_path, "--sqlite-path", str(tmp_path / "g.sqlite"), "serve", "--port", str(port)
        )
    assert result.returncode == 3
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr


def test_module_entry_point_is_the_cli() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "glpi_scim", "serve", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0
    assert "--trusted-proxy" in result.stdout and "--public-url" in result.stdout
