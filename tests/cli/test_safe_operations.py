"""Operations that would break a working IdP ask first; URLs and names people get wrong."""

from __future__ import annotations

from typing import Any

import jwt
import pytest

from glpi_scim.db.database import Database
from glpi_scim.servers.repository import ServerRepository
from glpi_scim.servers.tokens import TokenRepository

from .conftest import Run
from .support import one_line_error

ASKED = "Go ahead? [y/N]"
REFUSED = "Error: nothing changed; pass --yes to go ahead without asking"


def test_a_second_default_asks_before_taking_the_default(run: Run, run_json: Any) -> None:
    run("server", "add", "first", "--applied-user", "glpi", "--default")
    refused = run("server", "add", "second", "--applied-user", "glpi", "--default", expect=1)
    assert (
        "Warning: identity server 'first' (id 1) stops being the default server: the URL "
        "without an id reaches 'second' instead, and 'first''s IdP gets 401 there"
    ) in refused.stderr
    assert ASKED in refused.stderr and REFUSED in refused.stderr
    assert [s["name"] for s in run_json("server", "list")] == ["first"]

    no = run("server", "add", "second", "--applied-user", "glpi", "--default", input="n\n",
             expect=1)  # fmt: skip
    assert REFUSED in no.stderr
    assert [s["name"] for s in run_json("server", "list")] == ["first"]

    run("server", "add", "second", "--applied-user", "glpi", "--default", input="y\n")
    listing = run_json("server", "list")
    assert [(s["name"], s["default"]) for s in listing] == [("first", False), ("second", True)]
    # Taking it back to the first asks again, naming the second.
    again = run("server", "edit", "first", "--default", expect=1)
    assert "identity server 'second' (id 2) stops being the default server" in again.stderr
    # No question when nothing breaks: the default server stays default.
    assert ASKED not in run("server", "edit", "second", "--default").stderr


def test_leaving_bearer_asks_and_counts_the_tokens(
    run: Run, run_json: Any, database: Database
) -> None:
    run("server", "add", "idp", "--applied-user", "glpi")
    run("token", "issue", "idp")
    refused = run("server", "edit", "idp", "--security", "basic", expect=1)
    assert (
        "identity server 'idp' (id 1) changes from bearer to basic security, its 2 active "
        "bearer token(s) are revoked: its IdP gets 401 until it is given the new credentials"
    ) in refused.stderr
    assert REFUSED in refused.stderr
    assert run_json("server", "show", "idp")["security"] == "bearer"
    assert not any(token.revoked for token in TokenRepository(database).list_for(1))

    done = run("server", "edit", "idp", "--security", "basic", "--yes")
    assert "its 2 active bearer token(s) are revoked" in done.stderr
    assert all(token.revoked for token in TokenRepository(database).list_for(1))
    # New basic credentials break the IdP too.
    changed = run("server", "edit", "idp", "--password", "a-new-password-123", expect=1)
    assert "identity server 'idp' (id 1) gets new basic credentials" in changed.stderr


def test_a_new_signing_key_asks(run: Run, database: Database) -> None:
    run("server", "add", "idp", "--applied-user", "glpi")
    before = ServerRepository(database).get("idp").signing_key
    refused = run("server", "edit", "idp", "--new-signing-key", expect=1)
    assert (
        "identity server 'idp' (id 1) gets a new signing key: its 1 active bearer token(s) "
        "stop working"
    ) in refused.stderr
    assert ServerRepository(database).get("idp").signing_key == before
    run("server", "edit", "idp", "--new-signing-key", input="y\n")
    assert ServerRepository(database).get("idp").signing_key != before


def test_revoking_a_live_token_asks(run: Run, database: Database) -> None:
    run("server", "add", "idp", "--applied-user", "glpi")
    refused = run("token", "revoke", "idp", "1", expect=1)
    assert "token 1 of identity server 'idp' (id 1) stops working" in refused.stderr
    assert not TokenRepository(database).list_for(1)[0].revoked
    run("token", "revoke", "idp", "1", "--yes")
    assert TokenRepository(database).list_for(1)[0].revoked


def test_the_public_url_is_kept_with_the_server(run: Run, run_json: Any) -> None:
    added = run("server", "add", "idp", "--applied-user", "glpi", "--public-url",
                "https://glpi.example.com/")  # fmt: skip
    assert "SCIM base URL for the IdP: https://glpi.example.com/scim/v2/1" in added.stdout
    shown = run_json("server", "show", "idp")
    assert shown["public_url"] == "https://glpi.example.com"
    assert shown["urls"]["scim"] == "https://glpi.example.com/scim/v2/1"
    assert "https://glpi.example.com/scim/v2/1" in run("server", "show", "idp").stdout
    edited = run("server", "edit", "idp", "--log-requests")
    assert "https://glpi.example.com/scim/v2/1" in edited.stdout
    issued = run_json("token", "issue", "idp")
    claims = jwt.decode(issued["token"], options={"verify_signature": False})
    assert claims["iss"] == "https://glpi.example.com/scim/v2/1"
    assert "https://glpi.example.com/scim/v2/1" in run("token", "issue", "idp").stdout
    # --public-url on show is for this display only.
    other = run_json("server", "show", "idp", "--public-url", "https://other.example.com")
    assert other["urls"]["scim"] == "https://other.example.com/scim/v2/1"
    assert run_json("server", "show", "idp")["public_url"] == "https://glpi.example.com"
    run("server", "edit", "idp", "--public-url", "https://scim.example.com")
    assert run_json("server", "show", "idp")["urls"]["scim"].startswith("https://scim.")


@pytest.mark.parametrize("url", ["glpi.example.com", "https://", "ftp://glpi.example.com"])
def test_a_public_url_without_scheme_or_host_is_refused(run: Run, run_json: Any, url: str) -> None:
    error = one_line_error(
        run("server", "add", "idp", "--applied-user", "glpi", "--public-url", url, expect=1)
    )
    assert f"public URL {url!r} must be an absolute URL starting with https://" in error
    assert run_json("server", "list") == []
    run("server", "add", "idp", "--applied-user", "glpi")
    refused = run("server", "edit", "idp", "--option", f"public_url={url}", expect=1)
    assert "must be an absolute URL" in one_line_error(refused)


def test_unknown_names_suggest_close_ones(run: Run) -> None:
    run("server", "add", "Entra ID", "--applied-user", "glpi")
    run("server", "add", "Okta", "--applied-user", "glpi")
    for args in (("server", "show", "entra"), ("token", "list", "Entra"),
                 ("logs", "tail", "entra-id")):  # fmt: skip
        error = one_line_error(run(*args, expect=1))
        assert "no identity server with id or name" in error
        assert "did you mean 'Entra ID'?" in error, args
    assert "did you mean 'Okta'?" in one_line_error(run("server", "show", "okat", expect=1))
    assert "did you mean" not in one_line_error(run("server", "show", "42", expect=1))


def test_global_options_after_the_sub_command(database: Database, isolated_cli: None) -> None:
    from click.testing import CliRunner

    from glpi_scim.cli.main import cli

    runner = CliRunner()
    added = runner.invoke(
        cli, ["server", "add", "idp", "--applied-user", "glpi", "--database", database.url]
    )
    assert added.exit_code == 0, added.output
    listed = runner.invoke(cli, ["server", "list", "--json", f"--database={database.url}"])
    assert listed.exit_code == 0, listed.output
    assert '"name": "idp"' in listed.output
    checked = runner.invoke(cli, ["db", "check", "--database", database.url, "--debug"])
    assert checked.exit_code == 0, checked.output


def test_doctor_checks_the_public_url_kept_with_the_server(run: Run) -> None:
    # Nothing listens on port 1: doctor names the URL it tried, the stored one.
    run("server", "add", "idp", "--applied-user", "glpi", "--public-url", "http://127.0.0.1:1")
    result = run("doctor", "idp", expect=None)
    assert result.exit_code != 0
    assert "glpi-scim doctor  http://127.0.0.1:1/scim/v2/1  (server idp" in result.stdout
    assert "could not reach http://127.0.0.1:1/scim/v2/1/ServiceProviderConfig" in result.stdout
