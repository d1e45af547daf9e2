"""`glpi-scim server add|list|show|edit|remove|enable|disable`, through the real CLI."""

from __future__ import annotations

from typing import Any

import pytest

from glpi_scim.db.database import Database
from glpi_scim.security.credentials import verify_secret
from glpi_scim.security.methods.bearer import decode_token
from glpi_scim.servers.repository import ServerRepository
from glpi_scim.servers.requestlog import RequestLog, RequestLogEntry
from glpi_scim.servers.service import ServerService
from glpi_scim.servers.tokens import TokenRepository

from .conftest import Run
from .support import one_line_error

PASSWORD = "a long enough password"
BASE = "http://127.0.0.1:8080/scim/v2"


def test_add_bearer_prints_url_and_a_working_token_once(run: Run, database: Database) -> None:
    result = run("server", "add", "Entra ID", "--applied-user", "glpi")
    server = ServerRepository(database).get("Entra ID")
    out = result.stdout
    assert f"SCIM base URL for the IdP: {BASE}/{server.id}" in out
    assert "Default-server URL" not in out
    token_line = next(line for line in out.splitlines() if line.startswith("eyJ"))
    claims = decode_token(server, token_line.strip())
    assert not TokenRepository(database).is_revoked(claims["jti"])
    # Shown once: nothing shows it again.
    assert token_line not in run("server", "show", str(server.id)).stdout
    assert token_line not in run("token", "list", "Entra ID").stdout


def test_add_json_and_every_option(run_json: Any, database: Database) -> None:
    data = run_json(
        "server", "add", "okta",
        "--applied-user", "4",
        "--default",
        "--log-requests",
        "--inactive",
        "--allow-network", "203.0.113.0/24",
        "--allow-network", "2001:db8::/32",
        "--entity", "0",
        "--profile", "6",
        "--recursive",
        "--password-sync",
        "--delete-policy", "purge",
        "--option", "ignore_groups=true",
        "--option", "label=blue team",
        "--public-url", "https://glpi.example.com/",
    )  # fmt: skip
    server = data["server"]
    assert server["name"] == "okta" and server["security"] == "bearer"
    assert server["default"] and server["log_requests"] and not server["active"]
    assert server["allowed_networks"] == ["203.0.113.0/24", "2001:db8::/32"]
    assert server["applied_user"] == {"id": 4, "name": "tech"}
    assert server["entity"] == {"id": 0, "name": "Root entity"}
    assert server["profile"] == {"id": 6, "name": "Technician"}
    assert server["recursive"] and server["password_sync"] and server["delete_policy"] == "purge"
    assert server["options"] == {"ignore_groups": True, "label": "blue team"}
    assert server["urls"] == {
        "scim": f"https://glpi.example.com/scim/v2/{server['id']}",
        "default": "https://glpi.example.com/scim/v2",
    }
    assert "signing_key" not in str(data) and "auth_secret" not in str(data)
    credentials = data["credentials"]
    assert credentials["type"] == "bearer" and credentials["status"] == "active"
    stored = ServerRepository(database).get(server["id"])
    assert decode_token(stored, credentials["token"])["jti"] == credentials["jti"]
    # A Technician may not write groups in GLPI: the server will get 403 for them.
    assert data["warnings"] == [
        f"identity server 'okta': the applied user 'tech' has no {right} right on groups; "
        "such requests will get 403"
        for right in ("CREATE", "UPDATE", "PURGE")
    ]


def test_add_default_prints_the_url_without_id(run: Run) -> None:
    out = run("server", "add", "main", "--applied-user", "glpi", "--default").stdout
    assert f"Default-server URL:        {BASE}\n" in out


def test_add_basic_with_password_from_stdin(run_json: Any, database: Database) -> None:
    data = run_json(
        "server", "add", "jc", "--applied-user", "glpi", "--security", "basic",
        "--username", "jumpcloud", "--password", "-",
        input=PASSWORD + "\n",
    )  # fmt: skip
    assert data["credentials"] == {
        "type": "basic",
        "username": "jumpcloud",
        "password": PASSWORD,
        "password_generated": False,
    }
    stored = ServerRepository(database).get("jc")
    assert verify_secret(PASSWORD, stored.auth_secret)
    assert PASSWORD not in (stored.auth_secret or "")


def test_add_digest_generates_credentials(run: Run, database: Database) -> None:
    out = run("server", "add", "dg", "--applied-user", "glpi", "--security", "digest").stdout
    assert "Digest credentials (generated password shown once):" in out
    username = out.split("username: ")[1].split()[0]
    assert username == ServerRepository(database).get("dg").auth_username


def test_add_oauth2_points_to_client_registration(run: Run) -> None:
    out = run("server", "add", "kc", "--applied-user", "glpi", "--security", "oauth2").stdout
    assert "glpi-scim oauth client add" in out
    assert "eyJ" not in out


def test_add_none_warns_in_red_on_stderr(run: Run) -> None:
    result = run("server", "add", "lab", "--applied-user", "glpi", "--security", "none")
    assert "Warning:" in result.stderr and "security 'none'" in result.stderr
    assert "from anywhere" in result.stderr
    assert "SCIM base URL" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--applied-user", "ghost"], "applied user 'ghost': no GLPI user has this login or id"),
        (["--applied-user", "glpi", "--allow-network", "10.0.0.256/8"], "'10.0.0.256/8' is not"),
        (["--applied-user", "glpi", "--entity", "42"], "entity '42': no GLPI entity"),
        (["--applied-user", "glpi", "--profile", "42"], "profile '42': no GLPI profile"),
        (["--applied-user", "glpi", "--security", "basic", "--password", "short"], "at least 12"),
        (["--applied-user", "glpi", "--password", PASSWORD], "only apply to basic and digest"),
        (["--applied-user", "glpi", "--public-url", "glpi.example.com"], "must be an absolute URL"),
        (["--applied-user", "glpi", "--option", "novalue"], "expected KEY=VALUE"),
    ],
)
def test_add_refusals_are_one_line_and_change_nothing(
    run: Run, database: Database, args: list[str], message: str
) -> None:
    result = run("server", "add", "x", *args, expect=1)
    assert message in one_line_error(result)
    assert ServerRepository(database).list_all() == []


def test_add_usage_errors(run: Run) -> None:
    assert "--applied-user" in run("server", "add", "x", expect=2).stderr
    assert (
        "'kerberos' is not one of"
        in run(
            "server", "add", "x", "--applied-user", "glpi", "--security", "kerberos", expect=2
        ).stderr
    )


def test_duplicate_name(run: Run) -> None:
    run("server", "add", "Okta", "--applied-user", "glpi")
    error = one_line_error(run("server", "add", "okta", "--applied-user", "glpi", expect=1))
    assert "an identity server named 'okta' already exists" in error


def test_second_default_takes_over_and_says_so(run: Run, run_json: Any) -> None:
    run("server", "add", "first", "--applied-user", "glpi", "--default")
    out = run("server", "add", "second", "--applied-user", "glpi", "--default", "--yes").stdout
    assert "Note: 'first' (id 1) is no longer the default server; 'second' is" in out
    listing = run_json("server", "list")
    assert [(s["name"], s["default"]) for s in listing] == [("first", False), ("second", True)]


def test_list(run: Run, run_json: Any) -> None:
    assert "No identity server yet" in run("server", "list").stdout
    assert run_json("server", "list") == []
    run("server", "add", "alpha", "--applied-user", "glpi", "--security", "none")
    run("server", "add", "beta", "--applied-user", "tech", "--allow-network", "10.0.0.0/8")
    out = run("server", "list").stdout
    assert "alpha" in out and "beta" in out and "10.0.0.0/8" in out and "anywhere" in out
    assert [s["name"] for s in run_json("server", "list")] == ["alpha", "beta"]


def test_show_by_name_or_id(run: Run, run_json: Any) -> None:
    run("server", "add", "Keycloak", "--applied-user", "glpi", "--security", "basic",
        "--username", "kc", "--password", PASSWORD)  # fmt: skip
    by_name = run_json("server", "show", "keycloak")
    assert by_name == run_json("server", "show", str(by_name["id"]))
    assert by_name["username"] == "kc" and PASSWORD not in str(by_name)
    out = run("server", "show", "Keycloak").stdout
    assert "basic" in out and "kc" in out and PASSWORD not in out
    assert f"{BASE}/{by_name['id']}" in out


def test_unknown_server_everywhere(run: Run) -> None:
    for args in (
        ["server", "show", "nope"],
        ["server", "edit", "nope", "--inactive"],
        ["server", "remove", "nope", "--yes"],
        ["server", "enable", "nope"],
        ["server", "disable", "7"],
        ["token", "issue", "nope"],
        ["token", "list", "nope"],
        ["token", "revoke", "nope", "1"],
        ["logs", "tail", "nope"],
        ["logs", "purge", "nope", "--yes"],
    ):
        error = one_line_error(run(*args, expect=1))
        assert "no identity server with id or name" in error, args


def test_edit_every_setting(run: Run, run_json: Any, database: Database) -> None:
    run("server", "add", "idp", "--applied-user", "glpi", "--default",
        "--allow-network", "10.0.0.0/8", "--allow-network", "192.0.2.0/24",
        "--option", "a=1", "--option", "b=2")  # fmt: skip
    data = run_json(
        "server", "edit", "idp",
        "--name", "IdP prod",
        "--applied-user", "tech",
        "--inactive",
        "--no-default",
        "--log-requests",
        "--disallow-network", "10.0.0.0/8",
        "--allow-network", "198.51.100.0/24",
        "--entity", "Root entity",
        "--profile", "Self-Service",
        "--recursive",
        "--password-sync",
        "--delete-policy", "deactivate",
        "--unset-option", "a",
        "--option", "c=[1, 2]",
        "--yes",
    )  # fmt: skip
    server = data["server"]
    assert server["name"] == "IdP prod" and server["applied_user"]["name"] == "tech"
    assert not server["active"] and not server["default"] and server["log_requests"]
    assert server["allowed_networks"] == ["192.0.2.0/24", "198.51.100.0/24"]
    assert server["profile"] == {"id": 1, "name": "Self-Service"}
    assert server["recursive"] and server["password_sync"]
    assert server["delete_policy"] == "deactivate"
    assert server["options"] == {"b": 2, "c": [1, 2]}
    assert any("no default server" in note for note in data["notes"])
    assert data["credentials"] is None

    data = run_json("server", "edit", "IdP prod", "--clear-networks", "--active",
                    "--no-recursive", "--no-password-sync", "--no-log-requests")  # fmt: skip
    server = data["server"]
    assert server["allowed_networks"] == [] and server["active"]
    assert not (server["recursive"] or server["password_sync"] or server["log_requests"])


def test_edit_security_prints_new_credentials(run: Run, run_json: Any, database: Database) -> None:
    run("server", "add", "idp", "--applied-user", "glpi")
    first_jti = TokenRepository(database).list_for(1)[0].jti
    data = run_json("server", "edit", "idp", "--security", "basic", "--username", "u1", "--yes")
    assert data["credentials"]["username"] == "u1" and data["credentials"]["password_generated"]
    assert TokenRepository(database).is_revoked(first_jti)
    assert any("1 bearer token(s) of this server revoked" in n for n in data["notes"])
    out = run("server", "edit", "idp", "--security", "bearer", "--yes").stdout
    assert "Bearer token (shown once" in out


def test_edit_signing_key_and_nothing_to_change(run: Run, database: Database) -> None:
    run("server", "add", "idp", "--applied-user", "glpi")
    before = ServerRepository(database).get("idp").signing_key
    out = run("server", "edit", "idp", "--new-signing-key", "--yes").stdout
    assert "no longer works" in out
    assert ServerRepository(database).get("idp").signing_key != before
    assert "Nothing to change" in run("server", "edit", "idp", expect=2).stderr


def test_edit_refusals(run: Run) -> None:
    run("server", "add", "one", "--applied-user", "glpi")
    run("server", "add", "two", "--applied-user", "glpi")
    assert "already exists" in one_line_error(
        run("server", "edit", "two", "--name", "ONE", expect=1)
    )
    assert "not in the allowed networks" in one_line_error(
        run("server", "edit", "two", "--disallow-network", "10.0.0.0/8", expect=1)
    )
    assert "only digits" in one_line_error(run("server", "edit", "two", "--name", "12", expect=1))
    assert "option 'zz' is not set" in one_line_error(
        run("server", "edit", "two", "--unset-option", "zz", expect=1)
    )


def test_enable_disable(run: Run, run_json: Any) -> None:
    run("server", "add", "idp", "--applied-user", "glpi")
    assert "inactive" in run("server", "disable", "idp").stdout
    assert not run_json("server", "show", "idp")["active"]
    assert run_json("server", "enable", "1")["active"]
    assert "is now active" in run("server", "enable", "idp").stdout


def test_remove_asks_then_removes_everything_of_the_server(
    run: Run, run_json: Any, database: Database
) -> None:
    run("server", "add", "doomed", "--applied-user", "glpi", "--log-requests")
    run("server", "add", "kept", "--applied-user", "glpi")
    server = ServerRepository(database).get("doomed")
    RequestLog(database).record(_entry(server.id))

    result = run("server", "remove", "doomed", input="n\n", expect=1)
    assert "Aborted" in result.stderr
    assert ServerRepository(database).find("doomed") is not None

    out = run("server", "remove", "doomed", input="y\n").stdout
    assert "Removed identity server 'doomed'" in out
    assert "1 tokens" in out and "1 request log entries" in out
    assert "GLPI users and groups are kept" in out
    assert ServerRepository(database).find("doomed") is None
    assert TokenRepository(database).list_for(server.id) == []
    assert RequestLog(database).recent() == []

    data = run_json("server", "remove", "kept", "--yes")
    assert data["removed"]["name"] == "kept"
    assert data["rows_removed"]["glpi_plugin_glpiscim_tokens"] == 1
    assert ServerService(database).list_all() == []


def test_unusable_database_is_exit_3(isolated_cli: None, tmp_path: Any) -> None:
    from click.testing import CliRunner

    from glpi_scim.cli.main import cli

    result = CliRunner().invoke(
        cli, ["--database", f"sqlite:///{tmp_path}/empty.sqlite", "server", "list"]
    )
    assert result.exit_code == 3, result.output
    assert f"`glpi-scim --database sqlite:///{tmp_path}/empty.sqlite db init`" in (
        one_line_error(result)
    )


def _entry(server_id: int) -> RequestLogEntry:
    from datetime import datetime, timezone

    return RequestLogEntry(
        server_id=server_id,
        request_id="r",
        time=datetime.now(timezone.utc),
        client_ip="192.0.2.1",
        method="GET",
        path="/scim/v2/Users",
        query=None,
        status=200,
        duration_ms=1,
    )
