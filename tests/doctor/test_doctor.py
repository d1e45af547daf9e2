"""`glpi-scim doctor` against a real `glpi-scim serve` process, for every security method.

The command runs in-process (click's runner, as a user would type it); the endpoint it checks
is the real server in another process, sharing the SQLite database.
"""

from __future__ import annotations

import json
import secrets
from datetime import timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from glpi_scim.cli.main import cli
from glpi_scim.db import tables
from glpi_scim.doctor.checks import NAME_PREFIX, Doctor
from glpi_scim.doctor.client import ScimClient
from glpi_scim.identity.models import IdentityServer
from glpi_scim.security.oauth_clients import OAuthClientRepository
from glpi_scim.servers.service import ServerInput, ServerService
from glpi_scim.servers.tokens import TokenRepository

from .conftest import Served, free_port

pytestmark = pytest.mark.slow  # a real `glpi-scim serve` process

ALL_CHECKS = 12


def add_server(served: Served, security: str, **settings: Any) -> IdentityServer:
    name = f"doctor-{security}-{secrets.token_hex(3)}"
    outcome = ServerService(served.database).add(
        ServerInput(name=name, applied_user="glpi", security=security, **settings)
    )
    return outcome.server


def run_doctor(served: Served, server: IdentityServer, *args: str) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(
        cli,
        [
            "--database",
            served.database_url,
            "doctor",
            server.name,
            "--url",
            served.base_url,
            "--json",
            *args,
        ],
        catch_exceptions=False,
    )
    return result.exit_code, json.loads(result.output)


def assert_all_passed(report: dict[str, Any]) -> None:
    failures = [c for c in report["checks"] if c["status"] != "pass"]
    assert not failures, json.dumps(failures, indent=2) + "\nnotes: " + str(report["notes"])
    assert report["ok"] is True
    assert report["counts"] == {"pass": ALL_CHECKS, "fail": 0, "skip": 0}


def doctor_users(served: Served) -> list[Any]:
    with served.database.begin() as connection:
        return list(
            connection.execute(
                select(tables.users).where(tables.users.c.name.like(f"{NAME_PREFIX}%"))
            ).mappings()
        )


def test_none(served):
    server = add_server(served, "none")
    code, report = run_doctor(served, server)
    assert_all_passed(report)
    assert code == 0
    assert report["url"] == f"{served.base_url}/scim/v2/{server.id}"


def test_basic(served):
    server = add_server(served, "basic", username="idp-basic", password="Basic-Password-123")
    code, report = run_doctor(served, server, "--password", "Basic-Password-123")
    assert_all_passed(report)
    assert code == 0


def test_digest(served):
    server = add_server(served, "digest", username="idp-digest", password="Digest-Password-123")
    code, report = run_doctor(served, server, "--password", "Digest-Password-123")
    assert_all_passed(report)
    assert code == 0


def test_bearer_issues_and_revokes_its_own_token(served):
    server = add_server(served, "bearer")
    before = {token.id for token in TokenRepository(served.database).list_for(server.id)}
    code, report = run_doctor(served, server)
    assert_all_passed(report)
    assert code == 0
    mine = [t for t in TokenRepository(served.database).list_for(server.id) if t.id not in before]
    assert len(mine) == 1 and mine[0].revoked  # recorded like `token issue`, then revoked


def test_bearer_with_given_token_in_okta_header_mode(served):
    server = add_server(served, "bearer")
    issued = ServerService(served.database).issue_token(
        server, issuer=served.base_url, lifetime=timedelta(hours=1), comment="test"
    )
    code, report = run_doctor(served, server, "--token", issued.token, "--bare-token")
    assert_all_passed(report)
    assert code == 0


def test_oauth2_client_credentials(served):
    server = add_server(served, "oauth2")
    registered = OAuthClientRepository(served.database).register(
        server.id, grant_types=["client_credentials"], name="doctor test"
    )
    assert registered.client_secret is not None
    code, report = run_doctor(
        served,
        server,
        "--client-id",
        registered.client.client_id,
        "--client-secret",
        registered.client_secret,
    )
    assert_all_passed(report)
    assert code == 0


def test_wrong_password_is_explained(served):
    server = add_server(served, "basic", username="idp-basic", password="Basic-Password-123")
    code, report = run_doctor(served, server, "--password", "not-the-password")
    assert code == 1 and report["ok"] is False
    failure = report["first_failure"]
    assert failure["name"] == "Service provider configuration" or "401" in failure["detail"]
    assert "401" in failure["explanation"]
    assert "username or password" in failure["explanation"]
    assert "server edit" in failure["explanation"]
    # Nothing after it was attempted, nothing was created.
    assert report["counts"]["fail"] == 1 and report["counts"]["skip"] >= 8
    assert not [u for u in doctor_users(served) if u["is_deleted"] == 0]


def test_wrong_token_is_explained(served):
    server = add_server(served, "bearer")
    code, report = run_doctor(served, server, "--token", "eyJhbGciOiJIUzI1NiJ9.e30.wrong")
    assert code == 1
    explanation = report["first_failure"]["explanation"]
    assert "401" in explanation and "token issue" in explanation


def test_wrong_oauth_client_secret_is_explained(served):
    server = add_server(served, "oauth2")
    registered = OAuthClientRepository(served.database).register(
        server.id, grant_types=["client_credentials"]
    )
    code, report = run_doctor(
        served,
        server,
        "--client-id",
        registered.client.client_id,
        "--client-secret",
        "wrong-secret",
    )
    assert code == 1
    failure = report["first_failure"]
    assert "token endpoint" in failure["detail"]
    assert "client credentials" in failure["explanation"]


def test_unreachable_url_is_explained(served):
    server = add_server(served, "none")
    result = CliRunner().invoke(
        cli,
        [
            "--database",
            served.database_url,
            "doctor",
            server.name,
            "--json",
            "--timeout",
            "3",
            "--url",
            f"http://127.0.0.1:{free_port()}",
        ],
    )
    assert result.exit_code == 1
    report = json.loads(result.output)
    failure = report["first_failure"]
    assert "connection refused" in failure["detail"]
    assert "glpi-scim serve" in failure["explanation"]
    assert report["counts"]["skip"] == ALL_CHECKS - 1


def test_inactive_server_is_explained(served):
    server = add_server(served, "none", active=False)
    code, report = run_doctor(served, server)
    assert code == 1
    explanation = report["first_failure"]["explanation"]
    assert "403" in explanation and "inactive" in explanation
    assert f"server enable {server.name}" in explanation


def test_human_output_is_a_checklist(served):
    server = add_server(served, "none")
    result = CliRunner().invoke(
        cli, ["--database", served.database_url, "doctor", server.name, "--url", served.base_url]
    )
    assert result.exit_code == 0, result.output
    assert "All 12 checks passed." in result.output
    assert "Create user" in result.output and "Delete group" in result.output


@pytest.mark.parametrize("policy", ["trash", "purge"])
def test_clean_up_after_a_failed_step(served, policy):
    """A group named like the doctor's already exists: creating it fails, the user is removed."""
    server = add_server(served, "none", delete_policy=policy)
    client = ScimClient(f"{served.base_url}/scim/v2/{server.id}")
    suffix = secrets.token_hex(4)
    taken = client.post(
        "/Groups",
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": NAME_PREFIX + suffix,
        },
    )
    assert taken.status == 201, taken.text
    report = Doctor(client, server_label=server.name, auth_method="none", suffix=suffix).run()
    statuses = {check.name: check.status for check in report.checks}
    assert statuses["Create group"] == "fail"
    assert statuses["Update user (PATCH)"] == "pass"
    failure = report.first_failure
    assert failure is not None and "409" in failure.explanation
    # The user was deleted by the doctor itself (its own "Delete user" step still ran).
    leftovers = [u for u in doctor_users(served) if u["name"] == NAME_PREFIX + suffix]
    if policy == "purge":
        assert leftovers == []
    else:
        assert [u["is_deleted"] for u in leftovers] == [1]
    assert (
        client.get("/Users", {"filter": f'userName eq "{NAME_PREFIX + suffix}"'}).body[
            "totalResults"
        ]
        == 0
    )


def logs_of(served: Served, itemtype: str, item_id: int) -> int:
    logs = tables.logs
    with served.database.begin() as connection:
        return len(
            connection.execute(
                select(logs.c.id).where(logs.c.itemtype == itemtype, logs.c.items_id == item_id)
            ).all()
        )


@pytest.mark.parametrize("policy", ["trash", "deactivate"])
def test_the_run_purges_what_it_created_leaving_its_history(served, policy):
    server = add_server(served, "none", delete_policy=policy)
    code, report = run_doctor(served, server)
    assert code == 0, report
    assert_all_passed(report)
    purged = [n for n in report["notes"] if n.startswith("clean-up:")]
    assert len(purged) == 1 and "only history rows remain" in purged[0], report["notes"]
    created = next(c["detail"] for c in report["checks"] if c["name"] == "Create user")
    name, user_id = created.split()[1], int(created.rsplit(" ", 1)[1])
    group = next(c["detail"] for c in report["checks"] if c["name"] == "Create group")
    group_id = int(group.rsplit(" ", 1)[1].lstrip("g"))
    # Neither trashed nor deactivated: gone, with every row GLPI and the tool keep of them.
    assert [u for u in doctor_users(served) if u["name"] == name] == []
    with served.database.begin() as connection:
        for table, column, value in (
            (tables.groups, "id", group_id),
            (tables.useremails, "users_id", user_id),
            (tables.profiles_users, "users_id", user_id),
            (tables.groups_users, "users_id", user_id),
            (tables.scim_resources, "items_id", user_id),
            (tables.removals, "servers_id", server.id),
        ):
            found = connection.execute(select(table).where(table.c[column] == value)).all()
            assert found == [], table.name
    # What GLPI's history tab showed of the run is still there: the rows naming the user on
    # its profile and entity (on SQLite, which reuses a purged highest id, the user's own rows
    # go with it; tests/server/test_probe_purge.py checks MariaDB keeps them).
    assert logs_of(served, "Profile", 1) >= 1
    logs = tables.logs
    with served.database.begin() as connection:
        named = connection.execute(
            select(logs.c.itemtype).where(logs.c.new_value.like(f"%Doctor ({user_id})%"))
        ).scalars()
        assert {"Profile", "Entity"} <= set(named)


def test_a_failed_run_purges_its_user_and_nothing_else(served):
    from glpi_scim.doctor.cleanup import database_purge

    server = add_server(served, "none")
    client = ScimClient(f"{served.base_url}/scim/v2/{server.id}")
    suffix = secrets.token_hex(4)
    taken = client.post(
        "/Groups",
        {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
         "displayName": NAME_PREFIX + suffix},
    )  # fmt: skip
    assert taken.status == 201, taken.text
    doctor = Doctor(
        client,
        server_label=server.name,
        auth_method="none",
        suffix=suffix,
        purge=database_purge(served.database, server),
    )
    report = doctor.run()
    assert {c.name: c.status for c in report.checks}["Create group"] == "fail"
    assert doctor.created_user_id is not None
    assert any("purged from GLPI" in note for note in report.notes), report.notes
    assert [u for u in doctor_users(served) if u["name"] == NAME_PREFIX + suffix] == []
    # The group the doctor did not create is left alone.
    assert client.get(f"/Groups/{taken.body['id']}").status == 200


def test_a_right_the_applied_user_lacks_is_reported(served):
    outcome = ServerService(served.database).add(
        ServerInput(name=f"doctor-tech-{secrets.token_hex(3)}", applied_user="tech")
    )
    code, report = run_doctor(served, outcome.server)
    assert code == 1  # a Technician may not create groups: GLPI's rules refuse the group step
    assert any(
        "the applied user 'tech' has no CREATE right on groups; such requests will get 403" in note
        for note in report["notes"]
    ), report["notes"]
