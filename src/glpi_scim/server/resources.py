"""The SCIM endpoints: HTTP in, ScimService call, HTTP out. No protocol logic lives here.

Each route exists twice: `{prefix}/v2/{server}/...` (an identity server by id) and
`{prefix}/v2/...` (the default server). The middleware has resolved and authenticated the
server before a responder runs; a responder reads the request, calls the identity server's
ScimService and writes its ScimResponse.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import falcon

from glpi_scim.identity.models import IdentityServer
from glpi_scim.scim.errors import NotImplementedByServer
from glpi_scim.scim.service import ScimResponse, ScimService
from glpi_scim.scim.store import GROUP, USER
from glpi_scim.server.context import AppContext
from glpi_scim.server.media import (
    RESPONSE_CONTENT_TYPE,
    check_content_type,
    dump_json,
    parse_json_object,
    read_body,
)
from glpi_scim.server.urls import request_base_url, scim_base_url

IGNORED_PASSWORD_NOTE = (
    "the request carries a password, which was ignored: password sync is off for this server"  # noqa: S105
)


class ScimEndpoint:
    """Base of every SCIM resource: the middleware resolves and authenticates its server."""

    scim_endpoint = True

    def __init__(self, context: AppContext) -> None:
        self.context = context

    def service(self, req: falcon.Request) -> ScimService:
        server: IdentityServer = req.context.server
        settings = self.context.settings
        base_url = scim_base_url(request_base_url(req, settings), settings.url_prefix, server.id)
        return self.context.scim.service(server, base_url, req.context.notes)

    def read_document(self, req: falcon.Request) -> dict[str, Any]:
        """The request's JSON object: 415 for another media type, 413 above the size limit."""
        check_content_type(req.content_type)
        raw = read_body(
            req.bounded_stream, req.content_length, self.context.settings.max_body_bytes
        )
        req.context.raw_body = raw
        document = parse_json_object(raw)
        server: IdentityServer = req.context.server
        if not server.password_sync and _mentions_password(document):
            req.context.notes.append(IGNORED_PASSWORD_NOTE)
        return document


def params_of(req: falcon.Request) -> Mapping[str, Any]:
    return req.params


def send(resp: falcon.Response, result: ScimResponse) -> None:
    resp.status = result.status
    for name, value in result.headers.items():
        resp.set_header(name, value)
    if result.body is None:
        resp.data = b""
        return
    resp.content_type = RESPONSE_CONTENT_TYPE
    resp.data = dump_json(result.body)


class Collection(ScimEndpoint):
    """`/Users`, `/Groups`: list (GET) and create (POST)."""

    def __init__(self, context: AppContext, resource_type: str) -> None:
        super().__init__(context)
        self.resource_type = resource_type

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        send(resp, self.service(req).list(self.resource_type, params_of(req)))

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        document = self.read_document(req)
        send(resp, self.service(req).create(self.resource_type, document, params_of(req)))


class Item(ScimEndpoint):
    """`/Users/{id}`, `/Groups/{id}`: GET, PUT, PATCH, DELETE, with ETag preconditions."""

    def __init__(self, context: AppContext, resource_type: str) -> None:
        super().__init__(context)
        self.resource_type = resource_type

    def on_get(self, req: falcon.Request, resp: falcon.Response, id: str) -> None:
        result = self.service(req).get(
            self.resource_type,
            id,
            params_of(req),
            if_none_match=req.get_header("If-None-Match"),
        )
        send(resp, result)

    def on_put(self, req: falcon.Request, resp: falcon.Response, id: str) -> None:
        document = self.read_document(req)
        result = self.service(req).replace(
            self.resource_type, id, document, params_of(req), if_match=req.get_header("If-Match")
        )
        send(resp, result)

    def on_patch(self, req: falcon.Request, resp: falcon.Response, id: str) -> None:
        document = self.read_document(req)
        result = self.service(req).patch(
            self.resource_type, id, document, params_of(req), if_match=req.get_header("If-Match")
        )
        send(resp, result)

    def on_delete(self, req: falcon.Request, resp: falcon.Response, id: str) -> None:
        result = self.service(req).delete(
            self.resource_type, id, if_match=req.get_header("If-Match")
        )
        send(resp, result)


class Search(ScimEndpoint):
    """`/.search`, `/Users/.search`, `/Groups/.search` (POST only)."""

    def __init__(self, context: AppContext, resource_type: str | None) -> None:
        super().__init__(context)
        self.resource_type = resource_type

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        document = self.read_document(req)
        send(resp, self.service(req).search(self.resource_type, document))


class Bulk(ScimEndpoint):
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        document = self.read_document(req)
        raw: bytes = req.context.raw_body
        send(resp, self.service(req).bulk(document, payload_size=len(raw)))


class ServiceProviderConfig(ScimEndpoint):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        send(resp, self.service(req).service_provider_config(params_of(req)))


class ResourceTypes(ScimEndpoint):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        send(resp, self.service(req).resource_types(params_of(req)))


class ResourceTypeItem(ScimEndpoint):
    def on_get(self, req: falcon.Request, resp: falcon.Response, id: str) -> None:
        send(resp, self.service(req).resource_type(id))


class Schemas(ScimEndpoint):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        send(resp, self.service(req).schemas(params_of(req)))


class SchemaItem(ScimEndpoint):
    def on_get(self, req: falcon.Request, resp: falcon.Response, id: str) -> None:
        send(resp, self.service(req).schema(id))


class Me(ScimEndpoint):
    """`/Me` (RFC 7644 §3.11): an IdP connection is not a user, so there is no "me"."""

    def _refuse(self, req: falcon.Request, resp: falcon.Response) -> None:
        raise NotImplementedByServer(
            "/Me is not supported: requests are authenticated as an identity server, not as "
            "a user; use /Users/{id}"
        )

    on_get = on_post = on_put = on_patch = on_delete = _refuse


def add_scim_routes(app: falcon.App[falcon.Request, falcon.Response], context: AppContext) -> None:
    root = f"{context.settings.url_prefix}/v2"
    routes: list[tuple[str, object]] = [
        ("/Users", Collection(context, USER)),
        ("/Users/{id}", Item(context, USER)),
        ("/Users/.search", Search(context, USER)),
        ("/Groups", Collection(context, GROUP)),
        ("/Groups/{id}", Item(context, GROUP)),
        ("/Groups/.search", Search(context, GROUP)),
        ("/.search", Search(context, None)),
        ("/Bulk", Bulk(context)),
        ("/ServiceProviderConfig", ServiceProviderConfig(context)),
        ("/ResourceTypes", ResourceTypes(context)),
        ("/ResourceTypes/{id}", ResourceTypeItem(context)),
        ("/Schemas", Schemas(context)),
        ("/Schemas/{id}", SchemaItem(context)),
        ("/Me", Me(context)),
    ]
    for suffix, resource in routes:
        app.add_route(root + suffix, resource)
        app.add_route(root + "/{server}" + suffix, resource)


def _mentions_password(document: Mapping[str, Any]) -> bool:
    """True when a password travels in a resource, a PATCH operation or a bulk operation."""
    stack: list[Any] = [document]
    while stack:
        value = stack.pop()
        if isinstance(value, Mapping):
            for key, item in value.items():
                if key.lower() == "password":
                    return True
                if key.lower() == "path" and isinstance(item, str) and item.lower() == "password":
                    return True
                stack.append(item)
        elif isinstance(value, list):
            stack.extend(value)
    return False
