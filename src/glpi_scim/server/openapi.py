"""The OpenAPI 3.0 description of the SCIM API, served at `/openapi.json`.

Built from the same schema definitions the SCIM core validates with (glpi_scim.scim.schemas)
and from the settings that bound requests, so that it cannot drift from what the server does.
`python -m glpi_scim.server.openapi` prints it (docs/openapi.json is that output with the
default settings).

Paths are relative to the SCIM root of one identity server, `{url_prefix}/v2/{server}` (the
`servers` entry); the same operations answer under `{url_prefix}/v2` for the default server.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from typing import Any

import falcon

from glpi_scim import __version__
from glpi_scim.config import Settings
from glpi_scim.glpi.mapping import PHONES, USER_TEXT
from glpi_scim.glpi.validation import MAX_TEXT
from glpi_scim.scim.attributes import Attribute, Schema
from glpi_scim.scim.errors import ERROR_SCHEMA
from glpi_scim.scim.schemas import (
    COMMON_ATTRIBUTES,
    ENTERPRISE_USER,
    GROUP_CORE,
    USER_CORE,
)
from glpi_scim.security.methods.registry import openapi_security

SCIM_JSON = "application/scim+json"
LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SEARCH_REQUEST = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
BULK_REQUEST = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
BULK_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"
SCIM_TYPES = (
    "invalidFilter",
    "tooMany",
    "uniqueness",
    "mutability",
    "invalidSyntax",
    "invalidPath",
    "noTarget",
    "invalidValue",
    "invalidVers",
    "sensitive",
)
# Statuses every authenticated SCIM operation may answer besides its own.
COMMON_ERRORS = (400, 401, 403, 404, 429, 503)
_ERROR_MEANINGS = {
    400: "Bad request: the detail and scimType say what to fix",
    401: "Missing or wrong credentials (WWW-Authenticate gives the challenge)",
    403: "Identity server inactive, or client address not allowed",
    404: "No such resource or identity server",
    405: "Method not allowed on this endpoint",
    409: "Uniqueness conflict (userName, displayName, externalId)",
    412: "If-Match does not match the resource's current version",
    413: "Body larger than max_body_bytes, or too many operations (a chunked body far "
    "larger is refused by the HTTP server itself, in text/plain)",
    415: "Body not application/scim+json (or application/json) in UTF-8",
    429: "Too many failed authentications from this address, or too many requests of this "
    "identity server in progress (see Retry-After)",
    501: "Not supported by this server",
    503: "Database unreachable or busy, a statement stopped at statement_timeout, or "
    "(deactivations and deletions) the server's mass-change guard tripped; retry after "
    "Retry-After seconds",
}


def _glpi_lengths() -> dict[tuple[str, str, str | None], int]:
    """Longest value GLPI's column holds, per (schema URN, attribute, sub-attribute)."""
    core = USER_CORE.id
    lengths: dict[tuple[str, str, str | None], int] = {
        (urn or core, name, sub): column.max_length
        for (urn, name, sub), column in USER_TEXT.items()
    }
    lengths.update(
        {
            (core, "externalId", None): MAX_TEXT,
            (core, "title", None): MAX_TEXT,
            (core, "userType", None): MAX_TEXT,
            (core, "emails", "value"): MAX_TEXT,
            (GROUP_CORE.id, "displayName", None): MAX_TEXT,
            (GROUP_CORE.id, "externalId", None): MAX_TEXT,
        }
    )
    if PHONES:
        lengths[(core, "phoneNumbers", "value")] = max(c.max_length for c in PHONES.values())
    return lengths


GLPI_LENGTHS = _glpi_lengths()


# ---------------------------------------------------------------------------------------------
# Schemas of resources, from the SCIM attribute definitions
# ---------------------------------------------------------------------------------------------


def _scalar(attribute: Attribute) -> dict[str, Any]:
    kind = attribute.type
    if kind == "boolean":
        return {"type": "boolean"}
    if kind == "integer":
        return {"type": "integer"}
    if kind == "decimal":
        return {"type": "number"}
    if kind == "dateTime":
        return {"type": "string", "format": "date-time"}
    if kind == "binary":
        return {"type": "string", "format": "byte"}
    schema: dict[str, Any] = {"type": "string"}
    if kind == "reference":
        schema["format"] = "uri-reference"
    return schema


def _attribute_schema(
    attribute: Attribute, urn: str, *, request: bool, parent: str | None = None
) -> dict[str, Any]:
    if attribute.is_complex:
        properties: dict[str, Any] = {}
        required: list[str] = []
        for sub in _visible(attribute.sub_attributes, request):
            properties[sub.name] = _attribute_schema(
                sub, urn, request=request, parent=attribute.name
            )
            if request and sub.required:
                required.append(sub.name)
        schema: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            schema["required"] = required
    else:
        schema = _scalar(attribute)
        key = (urn, parent, attribute.name) if parent else (urn, attribute.name, None)
        limit = GLPI_LENGTHS.get(key)
        if limit is not None and request:
            schema["maxLength"] = limit
    if attribute.multi_valued:
        schema = {"type": "array", "items": schema}
    if attribute.description:
        schema["description"] = attribute.description
    if not request and attribute.read_only:
        schema["readOnly"] = True
    if attribute.mutability == "writeOnly":
        schema["writeOnly"] = True
    return schema


def _visible(attributes: Iterable[Attribute], request: bool) -> list[Attribute]:
    """Attributes a request may send (not readOnly), or a response may carry (not never)."""
    if request:
        return [a for a in attributes if not a.read_only]
    return [a for a in attributes if a.returned != "never" and a.mutability != "writeOnly"]


def _resource_schema(
    core: Schema, extensions: Sequence[Schema], *, request: bool
) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "schemas": {
            "type": "array",
            "items": {"type": "string"},
            "description": f"{core.id}, plus the URN of each extension present",
        }
    }
    required = ["schemas"]
    for attribute in _visible((*COMMON_ATTRIBUTES, *core.attributes), request):
        properties[attribute.name] = _attribute_schema(attribute, core.id, request=request)
        if (request and attribute.required) or (not request and attribute.returned == "always"):
            required.append(attribute.name)
    for extension in extensions:
        inner = {
            attribute.name: _attribute_schema(attribute, extension.id, request=request)
            for attribute in _visible(extension.attributes, request)
        }
        properties[extension.id] = {
            "type": "object",
            "description": extension.description,
            "properties": inner,
        }
    return {
        "type": "object",
        "description": (
            f"{core.description}. Attribute names are case-insensitive; unknown extension "
            "URNs are refused (400 invalidValue) unless the identity server tolerates them."
        ),
        "properties": properties,
        "required": required,
    }


def _list_response(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["schemas", "totalResults"],
        "properties": {
            "schemas": {"type": "array", "items": {"type": "string", "enum": [LIST_RESPONSE]}},
            "totalResults": {"type": "integer", "minimum": 0},
            "startIndex": {"type": "integer", "minimum": 1},
            "itemsPerPage": {"type": "integer", "minimum": 0},
            "Resources": {"type": "array", "items": item},
        },
    }


def _message(urn: str, properties: dict[str, Any], required: Sequence[str]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["schemas", *required],
        "properties": {
            "schemas": {"type": "array", "items": {"type": "string", "enum": [urn]}},
            **properties,
        },
    }


def _components(settings: Settings) -> dict[str, Any]:
    ref = _ref
    error = {
        "type": "object",
        "required": ["schemas", "status"],
        "properties": {
            "schemas": {"type": "array", "items": {"type": "string", "enum": [ERROR_SCHEMA]}},
            "status": {"type": "string", "pattern": "^[1-5][0-9][0-9]$"},
            "scimType": {"type": "string", "enum": list(SCIM_TYPES)},
            "detail": {"type": "string"},
        },
    }
    patch_operation = {
        "type": "object",
        "required": ["op"],
        "properties": {
            "op": {
                "type": "string",
                "enum": ["add", "remove", "replace"],
                "description": "Case-insensitive (Add, Replace, Remove are accepted).",
            },
            "path": {
                "type": "string",
                "description": 'Attribute path, e.g. emails[type eq "work"].value',
            },
            "value": {"description": "Any JSON value; required except for remove."},
        },
    }
    search_request = _message(
        SEARCH_REQUEST,
        {
            "filter": {"type": "string", "maxLength": 4096},
            "sortBy": {"type": "string"},
            "sortOrder": {"type": "string", "enum": ["ascending", "descending"]},
            "startIndex": {"type": "integer"},
            "count": {"type": "integer", "description": f"Capped at {settings.max_results}."},
            "attributes": {"type": "array", "items": {"type": "string"}},
            "excludedAttributes": {"type": "array", "items": {"type": "string"}},
        },
        (),
    )
    bulk_operation = {
        "type": "object",
        "required": ["method"],
        "properties": {
            "method": {"type": "string", "enum": ["POST", "PUT", "PATCH", "DELETE"]},
            "bulkId": {"type": "string"},
            "version": {"type": "string"},
            "path": {"type": "string"},
            "data": {"description": "The resource, or the PatchOp of a PATCH."},
        },
    }
    bulk_result = {
        "type": "object",
        "required": ["method", "status"],
        "properties": {
            "method": {"type": "string"},
            "bulkId": {"type": "string"},
            "version": {"type": "string"},
            "location": {"type": "string"},
            "status": {"type": "string"},
            "response": {"description": "An Error document when the operation failed."},
        },
    }
    discovery = {"type": "object", "required": ["schemas"], "additionalProperties": True}
    return {
        "schemas": {
            "User": _resource_schema(USER_CORE, (ENTERPRISE_USER,), request=False),
            "UserInput": _resource_schema(USER_CORE, (ENTERPRISE_USER,), request=True),
            "Group": _resource_schema(GROUP_CORE, (), request=False),
            "GroupInput": _resource_schema(GROUP_CORE, (), request=True),
            "UserList": _list_response(ref("User")),
            "GroupList": _list_response(ref("Group")),
            "ResourceList": _list_response({"anyOf": [ref("User"), ref("Group")]}),
            "DiscoveryList": _list_response(discovery),
            "Discovery": discovery,
            "Error": error,
            "PatchOp": _message(
                PATCH_OP,
                {
                    "Operations": {
                        "type": "array",
                        "minItems": 1,
                        "maxItems": settings.max_patch_operations,
                        "items": patch_operation,
                    }
                },
                ("Operations",),
            ),
            "SearchRequest": search_request,
            "BulkRequest": _message(
                BULK_REQUEST,
                {
                    "failOnErrors": {"type": "integer", "minimum": 1},
                    "Operations": {
                        "type": "array",
                        "maxItems": settings.max_bulk_operations,
                        "items": bulk_operation,
                    },
                },
                ("Operations",),
            ),
            "BulkResponse": _message(
                BULK_RESPONSE,
                {"Operations": {"type": "array", "items": bulk_result}},
                ("Operations",),
            ),
        },
        "responses": {
            str(status): {
                "description": meaning,
                "content": _error_content(status),
            }
            for status, meaning in _ERROR_MEANINGS.items()
        },
        "parameters": {
            "id": {
                "name": "id",
                "in": "path",
                "required": True,
                "schema": {"type": "string"},
                "description": "The resource's id, as the server gave it.",
            },
            "attributes": _query("attributes", "Comma-separated attribute paths to return."),
            "excludedAttributes": _query(
                "excludedAttributes", "Comma-separated attribute paths to leave out."
            ),
            "filter": _query("filter", "RFC 7644 §3.4.2.2 filter (at most 4096 characters)."),
            "sortBy": _query("sortBy", "Attribute path to sort on."),
            "sortOrder": {
                **_query("sortOrder", "ascending (default) or descending."),
                "schema": {"type": "string", "enum": ["ascending", "descending"]},
            },
            "startIndex": {
                **_query("startIndex", "1-based index of the first result."),
                "schema": {"type": "integer"},
            },
            "count": {
                **_query("count", f"Page size, capped at {settings.max_results}."),
                "schema": {"type": "integer"},
            },
            "If-Match": _header("If-Match", "Apply only if the resource still has this ETag."),
            "If-None-Match": _header(
                "If-None-Match", "Answer 304 when the resource still has this ETag."
            ),
        },
        "headers": {
            "ETag": {"description": "Version of the resource", "schema": {"type": "string"}},
            "Location": {"description": "URL of the new resource", "schema": {"type": "string"}},
        },
        "securitySchemes": openapi_security()[0],
    }


def _error_content(status: int) -> dict[str, Any]:
    content: dict[str, Any] = {SCIM_JSON: {"schema": _ref("Error")}}
    if status in (400, 413):
        # Requests the HTTP server (waitress) refuses before the application sees them: a
        # malformed request line or header, or a body over 4 x max_body_bytes + 64 KiB.
        content["text/plain"] = {"schema": {"type": "string"}}
    return content


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _parameter(location: str, name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": location,
        "required": False,
        "schema": {"type": "string"},
        "description": description,
    }


def _query(name: str, description: str) -> dict[str, Any]:
    return _parameter("query", name, description)


def _header(name: str, description: str) -> dict[str, Any]:
    return _parameter("header", name, description)


# ---------------------------------------------------------------------------------------------
# Operations
# ---------------------------------------------------------------------------------------------


def _body(schema: str) -> dict[str, Any]:
    content = {"schema": _ref(schema)}
    return {"required": True, "content": {SCIM_JSON: content, "application/json": content}}


def _responses(
    success: dict[str, Any], errors: Iterable[int] = (), *, body_errors: bool = False
) -> dict[str, Any]:
    statuses = {*COMMON_ERRORS, *errors}
    if body_errors:
        statuses |= {413, 415}
    responses = dict(success)
    for status in sorted(statuses):
        responses[str(status)] = {"$ref": f"#/components/responses/{status}"}
    return responses


def _ok(schema: str, status: int = 200, *, etag: bool = False, location: bool = False) -> Any:
    headers = {}
    if etag:
        headers["ETag"] = {"$ref": "#/components/headers/ETag"}
    if location:
        headers["Location"] = {"$ref": "#/components/headers/Location"}
    response: dict[str, Any] = {
        "description": "Success",
        "content": {SCIM_JSON: {"schema": _ref(schema)}},
    }
    if headers:
        response["headers"] = headers
    return {str(status): response}


def _params(*names: str) -> list[dict[str, str]]:
    return [{"$ref": f"#/components/parameters/{name}"} for name in names]


_LIST_PARAMS = ("filter", "sortBy", "sortOrder", "startIndex", "count")
_PROJECTION = ("attributes", "excludedAttributes")
_NO_CONTENT = {"204": {"description": "Done; no body"}}


def _resource_paths(endpoint: str, name: str, tag: str) -> dict[str, Any]:
    item, listing, written = name, f"{name}List", f"{name}Input"
    return {
        endpoint: {
            "get": {
                "tags": [tag],
                "summary": f"List or filter {endpoint[1:]}",
                "operationId": f"list{name}s",
                "parameters": _params(*_LIST_PARAMS, *_PROJECTION),
                "responses": _responses(_ok(listing)),
            },
            "post": {
                "tags": [tag],
                "summary": f"Create a {name}",
                "operationId": f"create{name}",
                "parameters": _params(*_PROJECTION),
                "requestBody": _body(written),
                "responses": _responses(
                    _ok(item, 201, etag=True, location=True), (409,), body_errors=True
                ),
            },
        },
        f"{endpoint}/{{id}}": {
            "parameters": _params("id"),
            "get": {
                "tags": [tag],
                "summary": f"Read a {name}",
                "operationId": f"get{name}",
                "parameters": _params(*_PROJECTION, "If-None-Match"),
                "responses": _responses(
                    {
                        **_ok(item, etag=True),
                        "304": {"description": "Not modified (If-None-Match matched)"},
                    }
                ),
            },
            "put": {
                "tags": [tag],
                "summary": f"Replace a {name}",
                "operationId": f"replace{name}",
                "parameters": _params(*_PROJECTION, "If-Match"),
                "requestBody": _body(written),
                "responses": _responses(_ok(item, etag=True), (409, 412), body_errors=True),
            },
            "patch": {
                "tags": [tag],
                "summary": f"Modify a {name} (RFC 7644 §3.5.2)",
                "operationId": f"patch{name}",
                "parameters": _params(*_PROJECTION, "If-Match"),
                "requestBody": _body("PatchOp"),
                "responses": _responses(
                    {**_ok(item, etag=True), **_NO_CONTENT}, (409, 412), body_errors=True
                ),
            },
            "delete": {
                "tags": [tag],
                "summary": f"Delete a {name}",
                "operationId": f"delete{name}",
                "parameters": _params("If-Match"),
                "responses": _responses(_NO_CONTENT, (412,)),
            },
        },
        f"{endpoint}/.search": {
            "post": {
                "tags": [tag],
                "summary": f"Search {endpoint[1:]} (filter in the body)",
                "operationId": f"search{name}s",
                "requestBody": _body("SearchRequest"),
                "responses": _responses(_ok(listing), body_errors=True),
            }
        },
    }


def _discovery(path: str, operation_id: str, summary: str, schema: str) -> dict[str, Any]:
    return {
        path: {
            "get": {
                "tags": ["Discovery"],
                "summary": summary,
                "operationId": operation_id,
                "responses": _responses(_ok(schema)),
            }
        }
    }


def _paths() -> dict[str, Any]:
    paths: dict[str, Any] = {}
    paths.update(_resource_paths("/Users", "User", "Users"))
    paths.update(_resource_paths("/Groups", "Group", "Groups"))
    paths["/.search"] = {
        "post": {
            "tags": ["Search"],
            "summary": "Search users and groups at once",
            "operationId": "searchAll",
            "requestBody": _body("SearchRequest"),
            "responses": _responses(_ok("ResourceList"), body_errors=True),
        }
    }
    paths["/Bulk"] = {
        "post": {
            "tags": ["Bulk"],
            "summary": "Several operations in one request (RFC 7644 §3.7)",
            "operationId": "bulk",
            "requestBody": _body("BulkRequest"),
            "responses": _responses(_ok("BulkResponse"), (409,), body_errors=True),
        }
    }
    paths.update(
        _discovery(
            "/ServiceProviderConfig",
            "serviceProviderConfig",
            "What this server supports and its limits",
            "Discovery",
        )
    )
    paths.update(_discovery("/ResourceTypes", "resourceTypes", "User and Group", "DiscoveryList"))
    paths.update(_discovery("/Schemas", "schemas", "The schemas served", "DiscoveryList"))
    for path, operation_id, summary in (
        ("/ResourceTypes/{id}", "resourceType", "One resource type"),
        ("/Schemas/{id}", "schema", "One schema, by URN"),
    ):
        entry = _discovery(path, operation_id, summary, "Discovery")[path]
        entry["parameters"] = _params("id")
        paths[path] = entry
    paths["/Me"] = {
        method: {
            "tags": ["Users"],
            "summary": "Not supported: requests come from an identity server, not a user",
            "operationId": f"me{method.capitalize()}",
            "responses": _responses({"501": {"$ref": "#/components/responses/501"}}),
        }
        for method in ("get", "post", "put", "patch", "delete")
    }
    return paths


def _health_paths() -> dict[str, Any]:
    status = {
        "type": "object",
        "required": ["status"],
        "properties": {"status": {"type": "string", "enum": ["ok", "unavailable"]}},
    }
    content = {"application/json": {"schema": status}}
    return {
        "/healthz": {
            "servers": [{"url": "/"}],
            "get": {
                "tags": ["Operations"],
                "summary": "Liveness: 200 when the database answers, else 503",
                "operationId": "health",
                "security": [],
                "responses": {
                    "200": {"description": "Up", "content": content},
                    "503": {"description": "Database unreachable", "content": content},
                },
            },
        },
        "/openapi.json": {
            "servers": [{"url": "/"}],
            "get": {
                "tags": ["Operations"],
                "summary": "This description",
                "operationId": "openapi",
                "security": [],
                "responses": {
                    "200": {
                        "description": "OpenAPI 3.0 document",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }
                },
            },
        },
    }


def build_openapi(settings: Settings | None = None) -> dict[str, Any]:
    """The OpenAPI document for a server running with `settings` (defaults when None)."""
    settings = settings or Settings()
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "glpi-scim SCIM 2.0 API",
            "version": __version__,
            "description": (
                "SCIM 2.0 (RFC 7643/7644) service provider writing users and groups into "
                "GLPI. Every path below is relative to the SCIM root of one identity server; "
                f"the default server answers the same paths under {settings.url_prefix}/v2. "
                "Every error is a SCIM Error document (application/scim+json). Limits: bodies "
                f"up to {settings.max_body_bytes} bytes, JSON nesting up to 64 levels, "
                f"{settings.max_patch_operations} PATCH operations, "
                f"{settings.max_bulk_operations} Bulk operations, filters up to 4096 "
                f"characters and 32 levels, pages of at most {settings.max_results} resources."
            ),
        },
        "servers": [
            {
                "url": f"{settings.url_prefix}/v2/{{server}}",
                "variables": {
                    "server": {"default": "1", "description": "The identity server's id"}
                },
            }
        ],
        "security": openapi_security()[1],
        "tags": [
            {"name": name}
            for name in ("Users", "Groups", "Search", "Bulk", "Discovery", "Operations")
        ],
        "paths": {**_paths(), **_health_paths()},
        "components": _components(settings),
    }


def openapi_json(settings: Settings | None = None) -> bytes:
    """The document as served and as kept in docs/openapi.json."""
    text = json.dumps(build_openapi(settings), indent=2, ensure_ascii=False)
    return (text + "\n").encode("utf-8")


class OpenApiDocument:
    """`GET /openapi.json`: public, like /healthz; it describes the API and holds no data."""

    def __init__(self, settings: Settings) -> None:
        self._body = openapi_json(settings)

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.content_type = falcon.MEDIA_JSON
        resp.data = self._body

    on_head = on_get


def main(argv: Sequence[str] | None = None) -> None:
    """Print the document for the default settings (regenerates docs/openapi.json)."""
    del argv
    sys.stdout.write(openapi_json().decode("utf-8"))


if __name__ == "__main__":
    main()
