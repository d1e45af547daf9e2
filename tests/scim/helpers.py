"""Constants and builders shared by the SCIM tests."""

from __future__ import annotations

from typing import Any

BASE = "https://glpi.example.com/scim/v2/3"
USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
SEARCH_REQUEST = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
BULK_REQUEST = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"


def patch_op(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH_OP], "Operations": list(operations)}


def user(**attributes: Any) -> dict[str, Any]:
    """A stored-looking User resource (id, schemas, meta) with the given attributes."""
    resource: dict[str, Any] = {
        "schemas": [USER_URN],
        "id": "1",
        "userName": "bjensen",
        "meta": {"resourceType": "User", "version": 'W/"1"'},
    }
    resource.update(attributes)
    return resource


def group(**attributes: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "schemas": [GROUP_URN],
        "id": "10",
        "displayName": "Ops",
        "meta": {"resourceType": "Group", "version": 'W/"1"'},
    }
    resource.update(attributes)
    return resource
