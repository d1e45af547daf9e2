"""`glpi-scim token issue|list|revoke`, through the real CLI."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from glpi_scim.db.clock import utcnow
from glpi_scim.db.database import Database
from glpi_scim.security.methods.bearer import decode_token
from glpi_scim.servers.repository import ServerRepository
from glpi_scim.servers.tokens import TokenRepository

from .conftest import Run
from .support import one_line_error


@pytest.fixture
def server_id(run_json: Any) -> int:
    data = run_json("server", "add", "okta", "--applied-user", "glpi")
    return int(data["server"]["id"])


def test_issue_prints_the_token_once_and_records_it(
    run: Run, database: Database, server_id: int
) -> None:
    out = run("token", "issue", "okta", "--comment", "prod tenant").stdout
    token = next(line for line in out.splitlines() if line.startswith("eyJ"))
    server = ServerRepository(database).get(server_id)
    claims = decode_token(server, token)
    record = TokenRepository(database).find(server_id, claims["jti"])
    assert record is not None and record.comment == "prod tenant"
    assert record.expires_at is not None
    assert abs(record.expires_at - (utcnow() + timedelta(days=3650))) < timedelta(minutes=1)
    assert f"token id {record.id}, expires {record.expires_at:%Y-%m-%d}" in out


def test_issue_json_with_expiry(run_json: Any, database: Database, server_id: int) -> None:
    data = run_json("token", "issue", str(server_id), "--expires", "12h")
    assert data["server"] == {"id": server_id, "name": "okta"}
    assert data["status"] == "active" and data["comment"] is None
    server = ServerRepository(database).get(server_id)
    claims = decode_token(server, data["token"])
    assert claims["jti"] == data["jti"]
    assert claims["exp"] - claims["iat"] == 12 * 3600


def test_issue_refusals(run: Run, server_id: int) -> None:
    assert (
        "Invalid value for '--expires'"
        in run("token", "issue", "okta", "--expires", "forever", expect=2).stderr
    )
    assert "2038-01-19" in one_line_error(
        run("token", "issue", "okta", "--expires", "20y", expect=1)
    )
    run("server", "add", "basic-idp", "--applied-user", "glpi", "--security", "basic")
    assert "uses basic security, not bearer" in one_line_error(
        run("token", "issue", "basic-idp", expect=1)
    )


def test_list(run: Run, run_json: Any, server_id: int) -> None:
    run("token", "issue", "okta", "--comment", "second")
    tokens = run_json("token", "list", "okta")
    assert [t["comment"] for t in tokens] == ["first token, issued with the server", "second"]
    assert all(t["status"] == "active" and "token" not in t for t in tokens)
    out = run("token", "list", "okta").stdout
    assert "second" in out and "active" in out
    assert tokens[1]["expires_at"][:10] in out
    run("server", "add", "empty", "--applied-user", "glpi", "--security", "none")
    assert "has no token" in run("token", "list", "empty").stdout


def test_revoke_by_id_or_jti(run: Run, run_json: Any, database: Database, server_id: int) -> None:
    issued = run_json("token", "issue", "okta")
    out = run("token", "revoke", "okta", str(issued["id"]), "--yes").stdout
    assert f"Token {issued['id']} of identity server 'okta' revoked" in out
    assert TokenRepository(database).is_revoked(issued["jti"])
    assert "already revoked" in run("token", "revoke", "okta", issued["jti"]).stdout
    again = run_json("token", "revoke", "okta", issued["jti"])
    assert again["already_revoked"] and again["status"] == "revoked"
    statuses = {t["id"]: t["status"] for t in run_json("token", "list", "okta")}
    assert statuses[issued["id"]] == "revoked" and list(statuses.values()).count("active") == 1


def test_revoke_unknown_or_foreign_token(run: Run, run_json: Any, server_id: int) -> None:
    other = run_json("server", "add", "other", "--applied-user", "glpi")["credentials"]
    error = one_line_error(run("token", "revoke", "okta", str(other["id"]), expect=1))
    assert f"identity server 'okta' has no token '{other['id']}'" in error
    assert "has no token 'nope'" in one_line_error(run("token", "revoke", "okta", "nope", expect=1))
