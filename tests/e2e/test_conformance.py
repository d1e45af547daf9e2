"""Independent conformance suites against a real `glpi-scim serve`, on SQLite and MariaDB.

scim2-tester (driven through scim2-client over `requests`) and scim-sanity's strict probe
each create, read, change and delete users and groups over HTTP. Every failure is either
fixed or listed in KNOWN_* with its cause and the part of the code it belongs to; a failure
not listed fails the test, and a listed one that passes again is reported so that the list
shrinks.
"""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from scim2_tester import Status, check_server

from glpi_scim.db.database import Database
from glpi_scim.servers.service import ServerInput, ServerService

from .process import Serve, child_environment, start_serve
from .scimclient import RequestsSCIMClient

pytestmark = pytest.mark.slow

FAILED = (Status.ERROR, Status.CRITICAL)

# (check, resource type) -> why it fails and why it stays. Empty: every check passes.
# (manager.displayName and members[].display, filled in from GLPI, are `returned: request`
# in this server's schema, so default reads carry only what a client can send.)
KNOWN_SCIM2_TESTER: dict[tuple[str, str | None], str] = {}

# probe result name -> why it fails and why it stays.
KNOWN_SCIM_SANITY: dict[str, str] = {
    # The probe adds the member "fake-member-id" and expects 200. Issue #5 requires that a
    # member that is not a user of this GLPI is refused with 400 invalidValue and nothing
    # written (GLPI's glpi_groups_users can only link existing users); that requirement wins.
    "PATCH /Groups/{id} add member": (
        "server (by design): a member id that is no GLPI user ('fake-member-id') is 400 "
        "invalidValue; the probe expects it to be accepted"
    ),
}


@dataclass
class Target:
    serve: Serve
    url: str
    token: str


@pytest.fixture(params=["sqlite", pytest.param("mysql", marks=pytest.mark.mysql)])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Target]:
    if request.param == "sqlite":
        serve = start_serve(
            tmp_path, "--sqlite-path", str(tmp_path / "glpi.sqlite"), expect_token=True
        )
        assert serve.token is not None
        server_id, token = 1, serve.token
    else:
        database: Database = request.getfixturevalue("mysql_database")
        service = ServerService(database)
        server = service.add(ServerInput(name="conformance", applied_user="glpi")).server
        server_id = server.id
        token = service.issue_token(server, issuer="https://test").token
        serve = start_serve(tmp_path, "--database", database.url)
    try:
        yield Target(serve, serve.scim_url(server_id), token)
    finally:
        code = serve.running.stop()
    assert code == 0, serve.running.errors
    assert "status=500" not in serve.running.errors, "a request crashed the server"


def _compare(found: dict[object, str], known: dict[object, str], suite: str) -> None:
    unexpected = {key: detail for key, detail in found.items() if key not in known}
    fixed = sorted(str(key) for key in known if key not in found)
    if fixed:
        warnings.warn(f"{suite}: now passing, remove from the known list: {fixed}", stacklevel=2)
    assert not unexpected, f"{suite} failures:\n" + "\n".join(
        f"- {key}: {detail}" for key, detail in unexpected.items()
    )


def test_scim2_tester(target: Target) -> None:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {target.token}"
    results = check_server(RequestsSCIMClient(target.url, session))
    assert len(results) > 100
    found: dict[object, str] = {}
    for result in results:
        if result.status in FAILED:
            key = (result.title, result.resource_type)
            found[key] = found.get(key, "") + f"\n    {(result.reason or '')[:400]}"
    _compare(found, KNOWN_SCIM2_TESTER, "scim2-tester")  # type: ignore[arg-type]


def test_scim_sanity_strict_probe(target: Target, tmp_path: Path) -> None:
    probe = subprocess.run(
        [
            sys.executable,
            "-m",
            "scim_sanity",
            "probe",
            target.url,
            "--token",
            target.token,
            "--i-accept-side-effects",
            "--strict",
            "--json-output",
            "--timeout",
            "30",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=tmp_path,
        env=child_environment({}),
    )
    report = json.loads(probe.stdout)
    assert report["mode"] == "strict"
    assert report["summary"]["passed"] >= 20, probe.stdout
    found = {
        r["name"]: r.get("message") or ""
        for r in report["results"]
        if r["status"] in ("fail", "error")
    }
    _compare(found, KNOWN_SCIM_SANITY, "scim-sanity")  # type: ignore[arg-type]
    # The one allowed failure must still be this server refusing the unknown member (see
    # KNOWN_SCIM_SANITY), not the probe giving up earlier.
    assert set(found) == set(KNOWN_SCIM_SANITY), found
    assert "400" in found["PATCH /Groups/{id} add member"], found


def test_scim2_tester_through_an_oauth2_client_credentials_token(
    sqlite_database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole suite again, authenticated the way an IdP does with OAuth2 (RFC 6749 §4.4)."""
    from oauthlib.oauth2 import BackendApplicationClient
    from requests_oauthlib import OAuth2Session

    from glpi_scim.security.oauth_clients import OAuthClientRepository

    # The test talks plain HTTP on loopback; production sits behind HTTPS.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    server = (
        ServerService(sqlite_database)
        .add(ServerInput(name="oauth idp", applied_user="glpi", security="oauth2"))
        .server
    )
    registered = OAuthClientRepository(sqlite_database).register(
        server.id, grant_types=("client_credentials",), name="conformance"
    )
    assert registered.client_secret is not None
    serve = start_serve(tmp_path, "--database", sqlite_database.url)
    try:
        client_id = registered.client.client_id
        oauth = OAuth2Session(client=BackendApplicationClient(client_id=client_id))
        token = oauth.fetch_token(
            f"{serve.base_url}/oauth2/{server.id}/token",
            client_id=client_id,
            client_secret=registered.client_secret,
        )
        assert token["token_type"].lower() == "bearer"
        # A request without the token is refused, so the suite below really runs through it.
        url = serve.scim_url(server.id)
        assert requests.get(f"{url}/Users", timeout=10).status_code == 401
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token['access_token']}"
        results = check_server(RequestsSCIMClient(url, session))
        assert len(results) > 100
        failed = {(r.title, r.resource_type): r.reason for r in results if r.status in FAILED}
        assert not failed, failed
    finally:
        code = serve.running.stop()
    assert code == 0, serve.running.errors
