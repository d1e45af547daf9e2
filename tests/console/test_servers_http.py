"""Identity servers through the console: the same services and rules as the CLI, and an audit
of every change; over the real falcon app, with SCIM requests sent to the same app."""

from __future__ import annotations

import html
import json
import re

import falcon.testing
from click.testing import CliRunner
from sqlalchemy import func, select

from glpi_scim.db import tables
from glpi_scim.db.database import Database
from glpi_scim.servers.audit import AuditLog
from glpi_scim.servers.service import ServerInput, ServerService

from .support import ConsoleClient, errors_of

NEW_SERVER = {
    "name": "Entra",
    "applied_user": "glpi",
    "active": "on",
    "log_requests": "on",
    "security": "bearer",
    "entity": "0",
    "profile": "0",
    "delete_policy": "trash",
    "max_removals": "50/10m",
    "adopt": "unprotected",
}


def shown_token(page: str) -> str:
    found = re.search(r'<textarea id="token"[^>]*>([^<]+)</textarea>', page)
    assert found, page
    return found.group(1).strip()


def scim_get(console: ConsoleClient, path: str, token: str) -> falcon.testing.Result:
    return falcon.testing.TestClient(console.app).simulate_get(
        path, headers={"Authorization": f"Bearer {token}", "Accept": "application/scim+json"}
    )


def confirmation(page: str) -> str:
    found = re.search(r'name="confirmed" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


def add_entra(console: ConsoleClient) -> tuple[int, str]:
    console.get("/console/servers/new")
    page = console.post("/console/servers/new", NEW_SERVER)
    assert page.status_code == 200, errors_of(page.text)
    server_id = int(re.search(r"/console/servers/(\d+)\"", page.text).group(1))  # type: ignore[union-attr]
    return server_id, shown_token(page.text)


def test_a_new_bearer_server_shows_its_url_and_token_once_and_the_token_works(
    database: Database, signed_in: ConsoleClient
) -> None:
    server_id, token = add_entra(signed_in)
    page = signed_in.last
    assert page is not None
    assert f'value="http://falconframework.org/scim/v2/{server_id}"' in page.text
    assert "shown once" in page.text
    assert scim_get(signed_in, f"/scim/v2/{server_id}/Users", token).status_code == 200
    overview = signed_in.get(f"/console/servers/{server_id}")
    assert overview.status_code == 200 and token not in overview.text
    [added] = [e for e in AuditLog(database).for_server(server_id) if e.action == "server added"]
    assert (added.actor, added.origin, added.address) == ("glpi", "console", "127.0.0.1")
    assert "security: bearer" in (added.detail or "")
    assert "server added" in overview.text and "token issued" in overview.text


def test_bad_input_is_a_clear_error_and_changes_nothing(
    database: Database, signed_in: ConsoleClient
) -> None:
    signed_in.get("/console/servers/new")
    page = signed_in.post(
        "/console/servers/new", {**NEW_SERVER, "networks": "10.0.0.0/33", "name": "Okta"}
    )
    assert page.status_code == 400
    assert any("10.0.0.0/33" in error for error in errors_of(page.text))
    assert 'value="Okta"' in page.text  # the form keeps what was typed
    signed_in.get("/console/servers/new")
    bad_json = signed_in.post("/console/servers/new", {**NEW_SERVER, "options": "{not json"})
    assert bad_json.status_code == 400 and "options: not a JSON object" in bad_json.text
    with database.read() as connection:
        servers = connection.execute(select(func.count()).select_from(tables.identity_servers))
        assert servers.scalar_one() == 0


def test_taking_the_default_from_another_server_is_asked_first(
    database: Database, signed_in: ConsoleClient
) -> None:
    ServerService(database).add(
        ServerInput(name="Okta", applied_user="glpi", security="bearer", default=True)
    )
    signed_in.get("/console/servers/new")
    asked = signed_in.post("/console/servers/new", {**NEW_SERVER, "default": "on"})
    assert asked.status_code == 200 and 'id="confirm-box"' in asked.text
    assert "'Okta' (id 1) stops being the default server" in html.unescape(asked.text)
    assert len(ServerService(database).list_all()) == 1  # nothing changed yet
    done = signed_in.post(
        "/console/servers/new",
        {**NEW_SERVER, "default": "on", "confirmed": confirmation(asked.text)},
    )
    assert done.status_code == 200 and "Identity server Entra created" in done.text
    defaults = [s.name for s in ServerService(database).list_all() if s.is_default]
    assert defaults == ["Entra"]


def test_leaving_bearer_is_asked_and_revokes_the_tokens(
    database: Database, signed_in: ConsoleClient
) -> None:
    server_id, token = add_entra(signed_in)
    edit = signed_in.get(f"/console/servers/{server_id}/edit")
    assert 'value="Entra"' in edit.text
    form = {**NEW_SERVER, "applied_user": "2", "security": "basic"}
    asked = signed_in.post(f"/console/servers/{server_id}/edit", form)
    assert "changes from bearer to basic security" in html.unescape(asked.text)
    assert scim_get(signed_in, f"/scim/v2/{server_id}/Users", token).status_code == 200
    done = signed_in.post(
        f"/console/servers/{server_id}/edit", {**form, "confirmed": confirmation(asked.text)}
    )
    assert done.status_code == 200
    assert 'id="cred-password"' in done.text  # the generated password, once
    assert scim_get(signed_in, f"/scim/v2/{server_id}/Users", token).status_code == 401
    [edited] = [e for e in AuditLog(database).for_server(server_id) if e.action == "server edited"]
    assert "security: bearer -> basic" in (edited.detail or "")
    assert "credentials changed" in (edited.detail or "")


def test_saving_an_unchanged_form_changes_nothing(
    database: Database, signed_in: ConsoleClient
) -> None:
    server_id, _ = add_entra(signed_in)
    before = len(AuditLog(database).for_server(server_id))
    page = signed_in.get(f"/console/servers/{server_id}/edit")
    values = dict(re.findall(r'<input id="([a-z_]+)" name="\1" value="([^"]*)"', page.text))
    form = {**NEW_SERVER, **values, "applied_user": "2"}
    result = signed_in.post(f"/console/servers/{server_id}/edit", form)
    assert result.status_code == 303 and result.headers["Location"].endswith("notice=unchanged")
    assert len(AuditLog(database).for_server(server_id)) == before


def test_a_revoked_token_is_refused_and_the_revocation_was_asked(
    database: Database, signed_in: ConsoleClient
) -> None:
    server_id, token = add_entra(signed_in)
    signed_in.get(f"/console/servers/{server_id}")
    issued = signed_in.post(
        f"/console/servers/{server_id}/tokens",
        {"action": "issue", "expires": "30d", "comment": "for Okta"},
    )
    second = shown_token(issued.text)
    assert scim_get(signed_in, f"/scim/v2/{server_id}/Users", second).status_code == 200
    form = {"action": "revoke", "token": "1"}
    asked = signed_in.post(f"/console/servers/{server_id}/tokens", form)
    assert "Revoke token 1?" in asked.text
    assert scim_get(signed_in, f"/scim/v2/{server_id}/Users", token).status_code == 200
    done = signed_in.post(
        f"/console/servers/{server_id}/tokens", {**form, "confirmed": confirmation(asked.text)}
    )
    assert done.status_code == 303
    assert scim_get(signed_in, f"/scim/v2/{server_id}/Users", token).status_code == 401
    assert scim_get(signed_in, f"/scim/v2/{server_id}/Users", second).status_code == 200
    actions = [e.action for e in AuditLog(database).for_server(server_id)]
    assert actions[:2] == ["token revoked", "token issued"]


def test_the_historical_tab_lists_filters_and_shows_redacted_requests(
    signed_in: ConsoleClient,
) -> None:
    server_id, token = add_entra(signed_in)
    assert scim_get(signed_in, f"/scim/v2/{server_id}/Users", token).status_code == 200
    assert scim_get(signed_in, f"/scim/v2/{server_id}/Groups", "not-a-token").status_code == 401
    signed_in.app.context.log_writer.flush()
    page = signed_in.get(f"/console/servers/{server_id}/history")
    assert page.status_code == 200
    assert (
        f"/scim/v2/{server_id}/Users" in page.text and f"/scim/v2/{server_id}/Groups" in page.text
    )
    refused = signed_in.get(f"/console/servers/{server_id}/history", status="401")
    assert "/Groups" in refused.text and f"/scim/v2/{server_id}/Users</code>" not in refused.text
    by_text = signed_in.get(f"/console/servers/{server_id}/history", q="Users", method="GET")
    assert "/Users" in by_text.text and "/Groups</code>" not in by_text.text
    bad = signed_in.get(f"/console/servers/{server_id}/history", status="abc")
    assert bad.status_code == 400
    links = re.findall(rf'href="(/console/servers/{server_id}/history/\d+)"', page.text)
    assert len(links) == 2
    details = [signed_in.get(link) for link in links]
    assert [detail.status_code for detail in details] == [200, 200]
    for detail in details:
        assert token not in detail.text and "not-a-token" not in detail.text
    refusal, success = (html.unescape(detail.text) for detail in details)  # newest first
    assert "refused before authentication" in refusal
    assert "Bearer [REDACTED]" in success and '"totalResults":' in success
    other = signed_in.get(f"/console/servers/{server_id + 1}/history/1")
    assert other.status_code == 404


def test_the_owned_page_lists_what_the_server_created(signed_in: ConsoleClient) -> None:
    server_id, token = add_entra(signed_in)
    created = falcon.testing.TestClient(signed_in.app).simulate_post(
        f"/scim/v2/{server_id}/Users",
        body=json.dumps(
            {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "ada"}
        ),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"},
    )
    assert created.status_code == 201
    page = signed_in.get(f"/console/servers/{server_id}/owned")
    assert '<th scope="row">ada</th>' in page.text and "Users (1)" in page.text


def test_cli_changes_are_audited_with_the_os_user(database: Database, isolated_cli: None) -> None:
    import getpass

    from glpi_scim.cli.main import cli

    def run(*args: str) -> str:
        result = CliRunner().invoke(cli, ["--database", database.url, *args])
        assert result.exit_code == 0, result.output
        return result.stdout

    run("server", "add", "Okta", "--applied-user", "glpi")
    run("server", "edit", "Okta", "--log-requests", "--allow-network", "10.0.0.0/8")
    run("token", "revoke", "Okta", "1", "--yes")
    entries = json.loads(run("server", "audit", "Okta", "--json"))
    assert [entry["action"] for entry in entries] == [
        "token revoked",
        "server edited",
        "token issued",
        "server added",
    ]
    assert {(entry["actor"], entry["origin"]) for entry in entries} == {(getpass.getuser(), "cli")}
    assert entries[1]["detail"] == "log requests: no -> yes; allowed networks: none -> 10.0.0.0/8"
    assert "server edited" in run("server", "audit", "Okta")


def test_oauth_clients_are_registered_with_their_secret_once_and_removed_after_asking(
    database: Database, signed_in: ConsoleClient
) -> None:
    server_id, _ = add_entra(signed_in)
    signed_in.get(f"/console/servers/{server_id}")
    registered = signed_in.post(
        f"/console/servers/{server_id}/clients",
        {"action": "register", "name": "Okta", "grant_client_credentials": "on"},
    )
    assert registered.status_code == 200
    client_id = re.search(r'id="client-id"[^>]*value="([^"]+)"', registered.text).group(1)  # type: ignore[union-attr]
    secret = re.search(r'id="client-secret"[^>]*value="([^"]+)"', registered.text).group(1)  # type: ignore[union-attr]
    overview = signed_in.get(f"/console/servers/{server_id}")
    assert f"<code>{client_id}</code>" in overview.text and secret not in overview.text
    refused = signed_in.post(
        f"/console/servers/{server_id}/clients",
        {"action": "register", "redirect_uris": "http://evil.example/cb"},
    )
    assert refused.status_code == 400  # the repository's rule: https or loopback only
    form = {"action": "remove", "client_id": client_id}
    asked = signed_in.post(f"/console/servers/{server_id}/clients", form)
    assert "Remove the OAuth client?" in asked.text
    done = signed_in.post(
        f"/console/servers/{server_id}/clients", {**form, "confirmed": confirmation(asked.text)}
    )
    assert done.status_code == 303
    assert f"<code>{client_id}</code>" not in signed_in.get(f"/console/servers/{server_id}").text
    actions = [e.action for e in AuditLog(database).for_server(server_id)]
    assert actions[:2] == ["OAuth client removed", "OAuth client registered"]


def test_removing_a_server_is_asked_and_its_audit_stays(
    database: Database, signed_in: ConsoleClient
) -> None:
    server_id, _ = add_entra(signed_in)
    signed_in.get(f"/console/servers/{server_id}")
    asked = signed_in.post(f"/console/servers/{server_id}/remove")
    assert asked.status_code == 200 and "its IdP gets 404" in html.unescape(asked.text)
    assert ServerService(database).list_all()
    done = signed_in.post(
        f"/console/servers/{server_id}/remove", {"confirmed": confirmation(asked.text)}
    )
    assert done.status_code == 303 and done.headers["Location"].endswith("notice=removed")
    assert ServerService(database).list_all() == []
    assert signed_in.get(f"/console/servers/{server_id}").status_code == 404
    assert AuditLog(database).for_server(server_id)[0].action == "server removed"


def test_the_historical_tab_pages_through_older_requests(
    database: Database, signed_in: ConsoleClient
) -> None:
    from datetime import datetime, timezone

    from glpi_scim.servers.requestlog import RequestLog, RequestLogEntry

    server_id, _ = add_entra(signed_in)
    log = RequestLog(database)
    for number in range(1, 61):
        log.record(
            RequestLogEntry(
                server_id=server_id,
                request_id=None,
                time=datetime.now(timezone.utc),
                client_ip="192.0.2.1",
                method="GET",
                path=f"/scim/v2/{server_id}/Users/{number}",
                query=None,
                status=200,
                duration_ms=1,
            )
        )
    first = signed_in.get(f"/console/servers/{server_id}/history")
    paths = re.findall(rf"/scim/v2/{server_id}/Users/(\d+)</code>", first.text)
    assert paths == [str(n) for n in range(60, 10, -1)]  # the newest 50
    older = re.search(r'href="([^"]+before=\d+)" id="older"', first.text)
    assert older
    second = signed_in.get(html.unescape(older.group(1)))
    paths = re.findall(rf"/scim/v2/{server_id}/Users/(\d+)</code>", second.text)
    assert paths == [str(n) for n in range(10, 0, -1)]
    assert 'id="older"' not in second.text and ">Newest</a>" in second.text
