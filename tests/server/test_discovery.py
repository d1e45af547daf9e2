"""Discovery documents as served, and the URLs they (and every resource) advertise."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from glpi_scim.db.database import Database

from .support import Api, assert_scim_error

SPC_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"


@pytest.fixture
def database(sqlite_database: Database) -> Database:
    """HTTP-level behaviour: the store's dialect does not matter, SQLite is enough."""
    return sqlite_database


def test_service_provider_config_describes_this_server(make_api: Callable[..., Api]) -> None:
    api = make_api(settings={"max_results": 250, "max_body_bytes": 200_000})
    result = api.get("/ServiceProviderConfig")
    assert result.status_code == 200
    assert result.headers["content-type"] == "application/scim+json; charset=utf-8"
    doc = result.json
    assert doc["schemas"] == [SPC_SCHEMA]
    assert doc["patch"] == {"supported": True}
    assert doc["filter"] == {"supported": True, "maxResults": 250}
    assert doc["bulk"]["supported"] is True
    assert doc["bulk"]["maxPayloadSize"] == 200_000
    assert doc["etag"] == {"supported": True}
    assert doc["changePassword"] == {"supported": False}
    [scheme] = doc["authenticationSchemes"]
    assert scheme["type"] == "oauthbearertoken" and scheme["primary"] is True
    assert doc["meta"]["location"] == (
        f"http://falconframework.org/scim/v2/{api.server.id}/ServiceProviderConfig"
    )


def test_the_config_follows_the_servers_security_and_password_sync(
    make_api: Callable[..., Api],
) -> None:
    api = make_api(security="none", password_sync=True)
    doc = api.get("/ServiceProviderConfig", auth=False).json
    assert doc["authenticationSchemes"] == []
    assert doc["changePassword"] == {"supported": True}


def test_resource_types_and_schemas(api: Api) -> None:
    types = api.get("/ResourceTypes").json
    assert types["schemas"] == [LIST_SCHEMA]
    assert {t["name"] for t in types["Resources"]} == {"User", "Group"}
    user_type = api.get("/ResourceTypes/User").json
    assert user_type["endpoint"] == "/Users"
    assert user_type["meta"]["location"].endswith(f"/scim/v2/{api.server.id}/ResourceTypes/User")
    assert_scim_error(api.get("/ResourceTypes/Printer"), 404)

    schemas = api.get("/Schemas").json
    ids = {s["id"] for s in schemas["Resources"]}
    assert USER_URN in ids
    assert "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User" in ids
    user_schema = api.get(f"/Schemas/{USER_URN}").json
    assert user_schema["id"] == USER_URN
    assert any(a["name"] == "userName" for a in user_schema["attributes"])
    assert_scim_error(api.get("/Schemas/urn:example:nothing"), 404)


def test_discovery_refuses_filters(api: Api) -> None:
    assert_scim_error(api.get("/Schemas", params={"filter": 'id eq "x"'}), 403)


def test_discovery_needs_authentication_like_everything_else(api: Api) -> None:
    assert_scim_error(api.get("/ServiceProviderConfig", auth=False), 401)


def test_public_url_wins_for_every_advertised_url(make_api: Callable[..., Api]) -> None:
    api = make_api(settings={"public_url": "https://glpi.example.com/"})
    created = api.post("/Users", {"schemas": [USER_URN], "userName": "pub.url"})
    expected = f"https://glpi.example.com/scim/v2/{api.server.id}/Users/{created.json['id']}"
    assert created.headers["location"] == expected
    assert created.json["meta"]["location"] == expected
    spc = api.get("/ServiceProviderConfig", headers={"Host": "evil.example"}).json
    assert spc["meta"]["location"].startswith("https://glpi.example.com/scim/v2/")


def test_forwarded_host_and_proto_are_believed_only_from_trusted_proxies(
    make_api: Callable[..., Api],
) -> None:
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "idp-facing.example"}
    plain = make_api()
    location = plain.get("/ServiceProviderConfig", headers=forwarded).json["meta"]["location"]
    assert location.startswith("http://falconframework.org/")
    proxied = make_api(settings={"trusted_proxies": ("127.0.0.0/8",)})
    location = proxied.get("/ServiceProviderConfig", headers=forwarded).json["meta"]["location"]
    assert location.startswith("https://idp-facing.example/scim/v2/")
    odd = proxied.get(
        "/ServiceProviderConfig", headers={"X-Forwarded-Host": "a.example/evil?x"}
    ).json["meta"]["location"]
    assert odd.startswith("http://falconframework.org/")
