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

from glpi_scim.glpi.database import Database
from glpi_scim.servers.service import ServerInput, ServerService

from .process import Serve, child_environment, start_serve
from .scimclient import RequestsSCIMClient

pytestmark = pytest.mark.slow

FAILED = (Status.ERROR, Status.CRITICAL)

# (check, resource type) -> why it fails and which part of the code owns the cause.
KNOWN_SCIM2_TESTER: dict[tuple[str, str | None], str] = {
    ("check_add_attribute", "User"): (
        "store: emails[].primary is returned true for the only e-mail although the client sent "
        "false (GLPI's is_default); manager.displayName filled in by the server (RFC 7643: "
        "read-only) is not what the client sent; scim2-models parses extension objects of a "
        "response with empty `schemas`"
    ),
    ("check_replace_attribute", "User"): "store: same causes as check_add_attribute on User",
    ("check_remove_attribute", "User"): (
        "store: removing `active` leaves active present (GLPI's is_active is NOT NULL)"
    ),
    ("check_add_attribute", "Group"): (
        "store: members[].display is filled in by the server, so the returned member differs "
        "from the one sent"
    ),
    ("check_replace_attribute", "Group"): "store: same cause as check_add_attribute on Group",
}
# Failures that depend on the data: they fail only when a user and a group have the same id,
# as the tester finds its resource by id alone in a root /.search mixing both types.
SOMETIMES_SCIM2_TESTER: dict[tuple[str, str | None], str] = {
    ("search_with_attributes", "Group"): (
        "design/store: a user and a group can share an id (glpi_users.id and glpi_groups.id); "
        "RFC 7643 §3.1 wants ids unique across all resources of the service provider"
    ),
    ("search_with_attributes", "User"): "design/store: same cause as on Group",
}

# probe result name -> why it fails and which part of the code owns the cause.
KNOWN_SCIM_SANITY: dict[str, str] = {
    "PATCH /Groups/{id} add member": (
        "store: a member id that is no GLPI user ('fake-member-id') is refused with 400 "
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


def _compare(
    found: dict[object, str],
    known: dict[object, str],
    suite: str,
    sometimes: dict[object, str] | None = None,
) -> None:
    expected = {**known, **(sometimes or {})}
    unexpected = {key: detail for key, detail in found.items() if key not in expected}
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
    _compare(
        found,
        KNOWN_SCIM2_TESTER,  # type: ignore[arg-type]
        "scim2-tester",
        SOMETIMES_SCIM2_TESTER,  # type: ignore[arg-type]
    )


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
