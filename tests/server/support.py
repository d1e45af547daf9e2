"""Helpers of the HTTP tests: a client bound to one identity server."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import falcon.testing

from glpi_scim.config import Settings
from glpi_scim.db.database import Database
from glpi_scim.identity.models import IdentityServer
from glpi_scim.server.app import ScimApp
from glpi_scim.servers.service import ServerInput, ServerService

SCIM = "application/scim+json"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"


@dataclass
class Api:
    """A test client bound to one identity server: its URL prefix and credentials."""

    client: falcon.testing.TestClient
    app: ScimApp
    server: IdentityServer
    token: str | None
    root: str  # /scim/v2/<id>

    def headers(self, extra: dict[str, str] | None = None, *, auth: bool = True) -> dict[str, str]:
        headers = {"Accept": SCIM}
        if auth and self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        headers.update(extra or {})
        return headers

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        body: bytes | str | None = None,
        content_type: str | None = SCIM,
        headers: dict[str, str] | None = None,
        auth: bool = True,
        root: str | None = None,
        params: dict[str, str] | None = None,
    ) -> falcon.testing.Result:
        all_headers = self.headers(headers, auth=auth)
        if json is not None:
            import json as json_module

            body = json_module.dumps(json)
        if body is not None and content_type is not None:
            all_headers["Content-Type"] = content_type
        return self.client.simulate_request(
            method,
            (self.root if root is None else root) + path,
            headers=all_headers,
            body=body,
            params=params,
        )

    def get(self, path: str, **kw: Any) -> falcon.testing.Result:
        return self.request("GET", path, **kw)

    def post(self, path: str, json: Any = None, **kw: Any) -> falcon.testing.Result:
        return self.request("POST", path, json=json, **kw)

    def put(self, path: str, json: Any = None, **kw: Any) -> falcon.testing.Result:
        return self.request("PUT", path, json=json, **kw)

    def patch(self, path: str, json: Any = None, **kw: Any) -> falcon.testing.Result:
        return self.request("PATCH", path, json=json, **kw)

    def delete(self, path: str, **kw: Any) -> falcon.testing.Result:
        return self.request("DELETE", path, **kw)

    def flush_request_log(self) -> None:
        assert self.app.context.log_writer.flush(10)


def add_server(database: Database, **given: Any) -> tuple[IdentityServer, str | None]:
    """An identity server (bearer unless told otherwise) and its first token."""
    service = ServerService(database)
    given.setdefault("applied_user", "glpi")
    given.setdefault("security", "bearer")
    given.setdefault("name", f"idp-{len(service.list_all()) + 1}")
    outcome = service.add(ServerInput(**given))
    token = None
    if outcome.server.auth_method == "bearer":
        token = service.issue_token(outcome.server, issuer="https://test").token
    return outcome.server, token


def replace_settings(settings: Settings, **changes: Any) -> Settings:
    return dataclasses.replace(settings, **changes)


def assert_scim_error(result: falcon.testing.Result, status: int, *words: str) -> dict:
    assert result.status_code == status, result.text
    assert result.headers["content-type"] == "application/scim+json; charset=utf-8"
    body = result.json
    assert body["schemas"] == [ERROR_SCHEMA]
    assert body["status"] == str(status)
    for word in words:
        assert word in body["detail"], body["detail"]
    assert "Traceback" not in result.text
    return body
