"""`glpi-scim users show LOGIN --scim`: the SCIM document an IdP reads, without the HTTP server."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import falcon.testing

from glpi_scim.config import Settings
from glpi_scim.db import tables
from glpi_scim.db.database import Database
from glpi_scim.glpi.store import GlpiStore
from glpi_scim.server.app import create_app
from glpi_scim.server.context import AppContext
from glpi_scim.servers.repository import ServerRepository

from .conftest import Run

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
PUBLIC_URL = "https://glpi.example.com"


def scim(run: Run, *args: str) -> Any:
    return json.loads(run("users", "show", *args, "--scim").stdout)


def endpoint_get(database: Database, path: str) -> tuple[int, Any]:
    """GET through the real falcon app, as the IdP would (public_url set like the server's)."""
    settings = dataclasses.replace(
        Settings(database_url=database.url, sources={"database_url": "cli"}),
        public_url=PUBLIC_URL,
    )
    context = AppContext.create(settings, database)
    try:
        client = falcon.testing.TestClient(create_app(settings, context=context))
        result = client.simulate_get(path)
        return result.status_code, result.json
    finally:
        context.log_writer.close()
        context.stats.close()


def test_the_document_is_the_one_the_endpoint_answers(run: Run, database: Database) -> None:
    run("server", "add", "Okta", "--applied-user", "glpi", "--security", "none",
        "--public-url", PUBLIC_URL, "--yes")  # fmt: skip
    okta = ServerRepository(database).get("Okta")
    created = GlpiStore(database, okta).create(
        "User",
        {
            "schemas": [USER_SCHEMA],
            "userName": "alice",
            "name": {"givenName": "Alice", "familyName": "Liddell"},
            "emails": [{"value": "alice@example.com", "primary": True}],
            "title": "Clerk",
        },
    )

    document = scim(run, "alice")

    status, answered = endpoint_get(database, f"/scim/v2/{okta.id}/Users/{created['id']}")
    assert status == 200
    assert document == answered
    assert document["userName"] == "alice" and document["title"] == "Clerk"
    assert document["emails"][0]["value"] == "alice@example.com"
    assert document["meta"]["location"] == (f"{PUBLIC_URL}/scim/v2/{okta.id}/Users/{created['id']}")
    only = scim(run, "ALICE", "--attributes", "userName")
    assert only["userName"] == "alice" and only["id"] == created["id"]
    assert "emails" not in only and "title" not in only


def test_the_server_whose_view_is_printed(run: Run, database: Database) -> None:
    with database.begin() as connection:
        connection.execute(
            tables.entities.insert().values(
                id=1, name="Sales", entities_id=0, completename="Root entity > Sales", level=2
            )
        )
    run("server", "add", "Okta", "--applied-user", "glpi")
    run("server", "add", "Sales", "--applied-user", "glpi", "--entity", "Sales")
    sales = ServerRepository(database).get("Sales")

    # Nobody owns 'tech' and there is no default server: which view is meant must be said.
    refused = run("users", "show", "tech", "--scim", expect=1)
    assert "no identity server owns GLPI user 'tech' and none is the default" in refused.stderr
    assert scim(run, "tech", "--server", "Okta")["userName"] == "tech"

    # 'tech' holds its authorization in the root entity: outside the Sales server's scope.
    hidden = run("users", "show", "tech", "--scim", "--server", "Sales", expect=1)
    assert f"identity server 'Sales' (id {sales.id}) does not see GLPI user 'tech'" in (
        hidden.stderr
    )
    assert "(answer 404)" in hidden.stderr

    run("server", "edit", "Okta", "--default")
    assert scim(run, "tech")["userName"] == "tech"
    unknown = run("users", "show", "tech", "--scim", "--server", "Nope", expect=1)
    assert "no identity server with id or name 'Nope'" in unknown.stderr
    missing = run("users", "show", "nobody", "--scim", expect=1)
    assert "no GLPI user has the login 'nobody'" in missing.stderr


def test_scim_only_options_need_scim(run: Run) -> None:
    misuse = run("users", "show", "tech", "--server", "Okta", expect=2)
    assert "--server and --attributes go with --scim" in misuse.stderr
