"""`glpi-scim oauth client add|list|remove` on a real database."""

from __future__ import annotations

import json

from click.testing import CliRunner, Result

from glpi_scim.cli.main import cli
from glpi_scim.db.database import Database
from glpi_scim.security.credentials import verify_secret
from glpi_scim.security.oauth_clients import OAuthClientRepository, new_client_id

from .support import create_server


def run(database: Database, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--database", database.url, "oauth", "client", *args])


def test_add_list_remove(database: Database) -> None:
    server = create_server(database, "okta", method="oauth2")
    added = run(
        database,
        "add",
        "okta",
        "--redirect-uri",
        "https://idp.example.com/cb",
        "--public",
        "--name",
        "Okta",
        "--json",
    )
    assert added.exit_code == 0, added.output
    public = json.loads(added.output)
    assert public["type"] == "public" and public["client_secret"] is None
    assert public["grant_types"] == ["authorization_code"]
    assert public["urls"]["authorize"].endswith(f"/oauth2/{server.id}/authorize")

    confidential = run(database, "add", str(server.id), "--grant", "client_credentials")
    assert confidential.exit_code == 0, confidential.output
    assert "client secret:" in confidential.output and "not be shown again" in confidential.output
    secret = confidential.output.split("client secret:")[1].split()[0]
    client_id = confidential.output.split("client id:")[1].split()[0]
    stored = OAuthClientRepository(database).get(server.id, client_id)
    assert stored is not None and stored.secret_hash is not None
    assert secret not in stored.secret_hash and verify_secret(secret, stored.secret_hash)

    listed = run(database, "list", "okta", "--json")
    assert listed.exit_code == 0
    assert {client["client_id"] for client in json.loads(listed.output)} == {
        public["client_id"],
        client_id,
    }
    assert secret not in listed.output and "secret" not in listed.output
    assert client_id in run(database, "list", "okta").output

    removed = run(database, "remove", "okta", client_id, "--yes")
    assert removed.exit_code == 0 and "removed" in removed.output
    assert OAuthClientRepository(database).get(server.id, client_id) is None
    again = run(database, "remove", "okta", client_id, "--yes")
    assert again.exit_code == 1 and "has no OAuth2 client" in again.output


def test_bad_registrations_are_refused_with_a_reason(database: Database) -> None:
    create_server(database, "okta", method="oauth2")
    cases = {
        ("--redirect-uri", "http://idp.example.com/cb"): "https",
        ("--redirect-uri", "https://idp.example.com/cb#x"): "fragment",
        ("--grant", "authorization_code"): "needs at least one --redirect-uri",
        ("--public", "--grant", "client_credentials"): "cannot use client_credentials",
    }
    for options, message in cases.items():
        result = run(database, "add", "okta", *options)
        assert result.exit_code == 1, options
        assert message in result.output, (options, result.output)
    unknown = run(database, "add", "nope")
    assert unknown.exit_code == 1 and "no identity server" in unknown.output
    assert OAuthClientRepository(database).list_for(1) == []


def test_adding_a_client_to_a_non_oauth2_server_warns(database: Database) -> None:
    create_server(database, "entra", method="bearer")
    result = CliRunner().invoke(
        cli, ["--database", database.url, "oauth", "client", "add", "entra"]
    )
    assert result.exit_code == 0
    assert "only once its security is oauth2" in result.stderr


def test_client_ids_never_start_with_a_dash() -> None:
    # `glpi-scim oauth client remove SERVER ID` must not read an id as an option.
    assert not any(new_client_id().startswith("-") for _ in range(2000))
