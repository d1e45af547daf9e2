"""One request pipeline for SCIM and OAuth2 routes: the same server resolution, inactive check,
network check and body limit, each route family answering in its own format."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import falcon.testing
import pytest

from glpi_scim.db.database import Database
from glpi_scim.identity.models import IdentityServer
from glpi_scim.security.credentials import new_signing_key
from glpi_scim.server.app import ScimApp
from glpi_scim.servers.repository import ServerRepository

from .support import Api, assert_scim_error

FORM = "application/x-www-form-urlencoded"
GLPI_USER_ID = 2  # "glpi", the Super-Admin of a fresh install


def create_server(
    database: Database, name: str, *, method: str = "bearer", **settings: Any
) -> IdentityServer:
    server = IdentityServer(
        id=0,
        name=name,
        users_id_applied=GLPI_USER_ID,
        auth_method=method,  # type: ignore[arg-type]
        signing_key=new_signing_key(),
        **settings,
    )
    return ServerRepository(database).create(server)


@pytest.fixture
def client(make_app: Callable[..., ScimApp]) -> falcon.testing.TestClient:
    return falcon.testing.TestClient(make_app(max_body_bytes=2000))


def oauth_error(result: falcon.testing.Result, status: int) -> str:
    assert result.status_code == status, result.text
    assert result.headers["content-type"] == "application/json"
    assert result.headers["cache-control"] == "no-store"
    error: str = result.json["error"]
    return error


def token_request(
    client: falcon.testing.TestClient, ref: str, **kw: object
) -> falcon.testing.Result:
    return client.simulate_post(
        f"/oauth2/{ref}/token",
        headers={"Content-Type": FORM},
        body=kw.pop("body", "grant_type=client_credentials"),  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )


def test_a_server_is_named_by_its_id_as_printed_on_both_route_families(
    database: Database, client: falcon.testing.TestClient
) -> None:
    server = create_server(database, "okta", method="oauth2")
    assert server.id == 1
    # "01" and other scripts' digits would give one server many URLs.
    for ref in ("01", "\u0661", "okta", "99"):
        assert oauth_error(token_request(client, ref), 404) == "invalid_request"
        scim = client.simulate_get(f"/scim/v2/{ref}/Users")
        assert_scim_error(scim, 404, "no identity server with id")


def test_oauth2_routes_serve_only_oauth2_servers(
    database: Database, client: falcon.testing.TestClient
) -> None:
    bearer = create_server(database, "entra")
    refused = token_request(client, str(bearer.id))
    assert oauth_error(refused, 404) == "invalid_request"
    assert "does not use OAuth 2" in refused.json["error_description"]


def test_an_inactive_server_is_refused_by_both(
    database: Database, client: falcon.testing.TestClient
) -> None:
    server = create_server(database, "okta", method="oauth2", is_active=False)
    refused = token_request(client, str(server.id))
    assert oauth_error(refused, 403) == "access_denied"
    assert "inactive" in refused.json["error_description"]
    assert_scim_error(client.simulate_get(f"/scim/v2/{server.id}/Users"), 403, "inactive")


def test_the_allowed_networks_apply_to_both_before_any_credential(
    database: Database, client: falcon.testing.TestClient
) -> None:
    server = create_server(database, "okta", method="oauth2", allowed_networks=("203.0.113.0/24",))
    outside = {"remote_addr": "198.51.100.7"}
    refused = token_request(client, str(server.id), **outside)
    assert oauth_error(refused, 403) == "access_denied"
    assert "198.51.100.7" in refused.json["error_description"]
    scim = client.simulate_get(f"/scim/v2/{server.id}/Users", **outside)  # type: ignore[arg-type]
    assert_scim_error(scim, 403, "198.51.100.7", "allowed networks")
    # From inside, the request reaches the endpoint, which wants client credentials.
    inside = token_request(client, str(server.id), remote_addr="203.0.113.9")
    assert oauth_error(inside, 401) == "invalid_client"


def test_a_body_above_the_limit_is_413_in_each_family_s_format(
    database: Database, client: falcon.testing.TestClient, make_api: Callable[..., Api]
) -> None:
    server = create_server(database, "okta", method="oauth2")
    big = "grant_type=client_credentials&pad=" + "x" * 3000
    refused = token_request(client, str(server.id), body=big)
    assert oauth_error(refused, 413) == "invalid_request"
    api = make_api(settings={"max_body_bytes": 2000})
    assert_scim_error(api.post("/Users", {"userName": "x" * 3000}), 413, "2000 bytes")
