"""Message documents (RFC 7644 §3.4.2, §3.5.2, §3.7, §3.12) and resource URLs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from glpi_scim.scim.errors import ERROR_SCHEMA, ScimError
from glpi_scim.scim.schemas import ENTERPRISE_USER_SCHEMA, RESOURCE_TYPES, ResourceType
from glpi_scim.scim.store import GROUP, USER, Resource

LIST_RESPONSE_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
SEARCH_REQUEST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
PATCH_OP_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
BULK_REQUEST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
BULK_RESPONSE_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"

__all__ = [
    "BULK_REQUEST_SCHEMA",
    "BULK_RESPONSE_SCHEMA",
    "ERROR_SCHEMA",
    "LIST_RESPONSE_SCHEMA",
    "PATCH_OP_SCHEMA",
    "SEARCH_REQUEST_SCHEMA",
    "bulk_response",
    "error_document",
    "list_response",
    "location",
    "with_urls",
]


def list_response(
    resources: Iterable[Mapping[str, Any]], *, total: int, start_index: int = 1
) -> dict[str, Any]:
    """A ListResponse (RFC 7644 §3.4.2): `itemsPerPage` is the number of resources returned."""
    items = [dict(r) for r in resources]
    return {
        "schemas": [LIST_RESPONSE_SCHEMA],
        "totalResults": total,
        "startIndex": start_index,
        "itemsPerPage": len(items),
        "Resources": items,
    }


def error_document(error: ScimError) -> dict[str, Any]:
    """The Error body (RFC 7644 §3.12) for an error."""
    return error.to_document()


def bulk_response(operations: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    return {"schemas": [BULK_RESPONSE_SCHEMA], "Operations": [dict(op) for op in operations]}


def location(base_url: str, resource_type_: str | ResourceType, resource_id: str) -> str:
    """`{base_url}/Users/{id}` or `{base_url}/Groups/{id}`."""
    rt = (
        resource_type_
        if isinstance(resource_type_, ResourceType)
        else RESOURCE_TYPES[resource_type_]
    )
    return f"{base_url.rstrip('/')}{rt.endpoint}/{resource_id}"


def with_urls(resource: Resource, resource_type_: str, base_url: str | None) -> Resource:
    """A copy of a stored resource with `meta.location` and the `$ref` of members, groups and
    manager filled in for the URL the client used. Nothing changes without a base URL."""
    if base_url is None:
        return resource
    out = dict(resource)
    resource_id = out.get("id")
    if resource_id is not None:
        meta = dict(out.get("meta") or {})
        meta["location"] = location(base_url, resource_type_, str(resource_id))
        out["meta"] = meta
    if resource_type_ == GROUP and isinstance(out.get("members"), list):
        out["members"] = [_with_ref(m, base_url, _member_type(m)) for m in out["members"]]
    if resource_type_ == USER:
        if isinstance(out.get("groups"), list):
            out["groups"] = [_with_ref(g, base_url, GROUP) for g in out["groups"]]
        enterprise = out.get(ENTERPRISE_USER_SCHEMA)
        if isinstance(enterprise, Mapping) and isinstance(enterprise.get("manager"), Mapping):
            enterprise = dict(enterprise)
            enterprise["manager"] = _with_ref(enterprise["manager"], base_url, USER)
            out[ENTERPRISE_USER_SCHEMA] = enterprise
    return out


def _member_type(member: Any) -> str:
    kind = member.get("type") if isinstance(member, Mapping) else None
    return GROUP if isinstance(kind, str) and kind.lower() == "group" else USER


def _with_ref(value: Any, base_url: str, resource_type_: str) -> Any:
    if not isinstance(value, Mapping) or not value.get("value"):
        return value
    out = dict(value)
    out["$ref"] = location(base_url, resource_type_, str(value["value"]))
    return out
