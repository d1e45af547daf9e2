"""The framework ceiling: a bare falcon app on waitress answering every benchmark request with a
fixed, pre-serialised SCIM document. No parsing, no storage, no authentication: whatever
glpi-scim does beyond this is the cost of doing the actual work.

    python -m benchmarks.ceiling --port 8099 --threads 8
"""

from __future__ import annotations

import json

import click
import falcon

SCIM_JSON = "application/scim+json"
BASE = "http://127.0.0.1/scim/v2"

USER = {
    "schemas": [
        "urn:ietf:params:scim:schemas:core:2.0:User",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
    ],
    "id": "42",
    "externalId": "0b5c7a1e-6a1d-5d9a-9f3e-1c2b3a4d5e6f",
    "userName": "user000042@bench.example",
    "name": {"givenName": "Given42", "familyName": "Family42", "formatted": "Given42 Family42"},
    "displayName": "Given42 Family42",
    "active": True,
    "emails": [{"value": "mail000042@bench.example", "type": "work", "primary": True}],
    "phoneNumbers": [
        {"value": "+33 1 00 00 42 00", "type": "work"},
        {"value": "+33 6 00 00 42 11", "type": "mobile"},
    ],
    "title": "Engineer",
    "groups": [{"value": "g1", "display": "All staff", "$ref": f"{BASE}/Groups/g1"}],
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": "E0000042"},
    "meta": {
        "resourceType": "User",
        "created": "2025-01-01T00:00:00Z",
        "lastModified": "2025-01-01T00:00:00Z",
        "version": 'W/"1"',
        "location": f"{BASE}/Users/42",
    },
}
GROUP = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
    "id": "g1",
    "displayName": "All staff",
    "meta": {
        "resourceType": "Group",
        "created": "2025-01-01T00:00:00Z",
        "lastModified": "2025-01-01T00:00:00Z",
        "version": 'W/"1"',
        "location": f"{BASE}/Groups/g1",
    },
}


def _list_response(n: int) -> bytes:
    return json.dumps(
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
            "totalResults": n,
            "startIndex": 1,
            "itemsPerPage": n,
            "Resources": [USER] * n,
        }
    ).encode()


USER_BODY = json.dumps(USER).encode()
GROUP_BODY = json.dumps(GROUP).encode()
ONE_MATCH = _list_response(1)
PAGE = _list_response(100)


def _reply(resp: falcon.Response, body: bytes, status: int = 200) -> None:
    resp.status = status
    resp.content_type = SCIM_JSON
    resp.data = body


class Users:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        _reply(resp, ONE_MATCH if req.get_param("filter") else PAGE)

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        req.bounded_stream.read()
        _reply(resp, USER_BODY, 201)


class User:
    def on_get(self, _req: falcon.Request, resp: falcon.Response, user_id: str) -> None:
        _reply(resp, USER_BODY)

    def on_put(self, req: falcon.Request, resp: falcon.Response, user_id: str) -> None:
        req.bounded_stream.read()
        _reply(resp, USER_BODY)

    on_patch = on_put

    def on_delete(self, _req: falcon.Request, resp: falcon.Response, user_id: str) -> None:
        resp.status = 204


class Group:
    def on_get(self, _req: falcon.Request, resp: falcon.Response, group_id: str) -> None:
        _reply(resp, GROUP_BODY)

    def on_patch(self, req: falcon.Request, resp: falcon.Response, group_id: str) -> None:
        req.bounded_stream.read()
        resp.status = 204


def create_app(prefix: str = "/scim/v2") -> falcon.App:  # type: ignore[type-arg]
    app = falcon.App()
    app.add_route(f"{prefix}/Users", Users())
    app.add_route(f"{prefix}/Users/{{user_id}}", User())
    app.add_route(f"{prefix}/Groups/{{group_id}}", Group())
    app.add_route("/healthz", _Health())
    return app


class _Health:
    def on_get(self, _req: falcon.Request, resp: falcon.Response) -> None:
        resp.content_type = "text/plain"
        resp.text = "ok"


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8099, show_default=True)
@click.option("--threads", default=8, show_default=True)
def main(host: str, port: int, threads: int) -> None:
    """Serve the ceiling app on waitress."""
    import waitress

    waitress.serve(create_app(), host=host, port=port, threads=threads, ident="ceiling")


if __name__ == "__main__":
    main()
