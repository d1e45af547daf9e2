"""What the replay suites share: GLPI row readers, an IdP client on the real app, constants."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from falcon import testing
from sqlalchemy import func, select
from sqlalchemy.engine import RowMapping

from glpi_scim.db import tables
from glpi_scim.db.database import Database
from glpi_scim.identity.models import IdentityServer

SCIM_JSON = "application/scim+json"
LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
APPLIED_USER = "glpi"  # user 2 of a fresh GLPI install
APPLIED_USER_LOG_NAME = "glpi (2)"

# GLPI's history: linked_action values and search option ids (design.md section 4).
CREATED, FIELD, TRASHED, RESTORED, MEMBER_ADDED, MEMBER_REMOVED = 20, 0, 13, 14, 15, 16
OPTION_LOGIN, OPTION_REALNAME, OPTION_FIRSTNAME, OPTION_ACTIVE, OPTION_TITLE = 1, 34, 9, 8, 81


def glpi_id(scim_id: int | str) -> int:
    """GLPI's id behind a SCIM id: a group's SCIM id is its GLPI id behind "g" ("g12")."""
    return int(str(scim_id).removeprefix("g"))


class Glpi:
    """Reads GLPI's rows, the way GLPI itself would see them."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def _rows(self, query: Any) -> list[RowMapping]:
        with self.database.begin() as connection:
            return list(connection.execute(query).mappings().all())

    def user(self, user_id: int | str) -> RowMapping:
        rows = self._rows(select(tables.users).where(tables.users.c.id == int(user_id)))
        assert rows, f"no glpi_users row {user_id}"
        return rows[0]

    def user_by_login(self, login: str) -> RowMapping | None:
        rows = self._rows(select(tables.users).where(tables.users.c.name == login))
        return rows[0] if rows else None

    def user_count(self) -> int:
        with self.database.begin() as connection:
            query = select(func.count()).select_from(tables.users)
            return int(connection.execute(query).scalar_one())

    def emails(self, user_id: int | str) -> dict[str, tuple[int, int]]:
        """email -> (is_default, is_dynamic)."""
        table = tables.useremails
        rows = self._rows(select(table).where(table.c.users_id == int(user_id)))
        return {row["email"]: (int(row["is_default"]), int(row["is_dynamic"])) for row in rows}

    def profiles(self, user_id: int | str) -> list[RowMapping]:
        table = tables.profiles_users
        return self._rows(select(table).where(table.c.users_id == int(user_id)))

    def group(self, group_id: int | str) -> RowMapping | None:
        rows = self._rows(select(tables.groups).where(tables.groups.c.id == glpi_id(group_id)))
        return rows[0] if rows else None

    def members(self, group_id: int | str) -> dict[int, int]:
        """users_id -> is_dynamic for the group's glpi_groups_users rows."""
        table = tables.groups_users
        rows = self._rows(select(table).where(table.c.groups_id == glpi_id(group_id)))
        return {int(row["users_id"]): int(row["is_dynamic"]) for row in rows}

    def user_groups(self, user_id: int | str) -> set[int]:
        table = tables.groups_users
        rows = self._rows(select(table).where(table.c.users_id == int(user_id)))
        return {int(row["groups_id"]) for row in rows}

    def title(self, user: RowMapping) -> str | None:
        table = tables.usertitles
        rows = self._rows(select(table.c.name).where(table.c.id == user["usertitles_id"]))
        return rows[0]["name"] if rows else None

    def category(self, user: RowMapping) -> str | None:
        table = tables.usercategories
        rows = self._rows(select(table.c.name).where(table.c.id == user["usercategories_id"]))
        return rows[0]["name"] if rows else None

    def logs(self, itemtype: str, items_id: int | str, **match: Any) -> list[RowMapping]:
        table = tables.logs
        query = select(table).where(
            table.c.itemtype == itemtype, table.c.items_id == glpi_id(items_id)
        )
        for column, value in match.items():
            query = query.where(table.c[column] == value)
        return self._rows(query.order_by(table.c.id))


class Result:
    """One HTTP exchange, with its decoded body."""

    def __init__(self, method: str, path: str, result: testing.Result) -> None:
        self.method = method
        self.path = path
        self.status = result.status_code
        self.headers = result.headers
        self.text = result.text
        try:
            self.body: Any = json.loads(result.text) if result.text else None
        except ValueError:
            self.body = None

    def expect(self, *statuses: int) -> Any:
        assert self.status in statuses, (
            f"{self.method} {self.path}: got {self.status}, expected {statuses}: {self.text}"
        )
        if self.status != 204 and self.text:
            content_type = self.headers.get("content-type", "")
            assert content_type.startswith(SCIM_JSON), content_type
        return self.body

    def expect_error(self, status: int, scim_type: str | None = None) -> dict[str, Any]:
        body = self.expect(status)
        assert ERROR in body["schemas"], body
        assert body["status"] == str(status), body
        assert body.get("detail"), body
        if scim_type is not None:
            assert body.get("scimType") == scim_type, body
        return dict(body)


class Idp:
    """An identity provider talking to one identity server through the real WSGI app."""

    def __init__(
        self,
        client: testing.TestClient,
        server: IdentityServer,
        authorization: str | None,
        *,
        user_agent: str,
        base: str | None = None,
    ) -> None:
        self.client = client
        self.server = server
        self.authorization = authorization
        self.user_agent = user_agent
        self.base = base if base is not None else f"/scim/v2/{server.id}"

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        params: Mapping[str, str] | None = None,
        content_type: str = SCIM_JSON,
        authorization: str | bool | None = True,
    ) -> Result:
        headers = {"User-Agent": self.user_agent, "Accept": SCIM_JSON}
        header = self.authorization if authorization is True else authorization
        if isinstance(header, str):
            headers["Authorization"] = header
        url = self.base + path
        query = urlencode(params) if params else None
        if body is not None:
            headers["Content-Type"] = content_type
        result = self.client.simulate_request(
            method,
            url,
            query_string=query,
            headers=headers,
            body=json.dumps(body) if body is not None else None,
        )
        return Result(method, url + (f"?{query}" if query else ""), result)

    def get(self, path: str, **params: str) -> Result:
        return self.request("GET", path, params=params or None)

    def post(self, path: str, body: Any, **options: Any) -> Result:
        return self.request("POST", path, body, **options)

    def put(self, path: str, body: Any, **options: Any) -> Result:
        return self.request("PUT", path, body, **options)

    def patch(self, path: str, *operations: dict[str, Any], **options: Any) -> Result:
        body = {"schemas": [PATCH_OP], "Operations": list(operations)}
        return self.request("PATCH", path, body, **options)

    def delete(self, path: str) -> Result:
        return self.request("DELETE", path)

    def request_log(self) -> list[RowMapping]:
        """This server's request log, once the background writer has written everything."""
        self.client.app.context.log_writer.flush()
        table = tables.request_logs
        query = select(table).where(table.c.servers_id == self.server.id).order_by(table.c.id)
        with self.client.app.context.database.begin() as connection:
            return list(connection.execute(query).mappings().all())

    def find_users(self, expression: str, **params: str) -> list[dict[str, Any]]:
        body = self.get("/Users", filter=expression, **params).expect(200)
        assert LIST_RESPONSE in body["schemas"]
        assert isinstance(body["totalResults"], int)
        assert body["totalResults"] == len(body.get("Resources", []))
        return list(body.get("Resources", []))

    def find_groups(self, expression: str, **params: str) -> list[dict[str, Any]]:
        body = self.get("/Groups", filter=expression, **params).expect(200)
        assert LIST_RESPONSE in body["schemas"]
        return list(body.get("Resources", []))


def basic_header(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
