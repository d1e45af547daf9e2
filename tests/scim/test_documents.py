"""Message documents (RFC 7644 §3.4.2, §3.7, §3.12) and resource URLs."""

from __future__ import annotations

from glpi_scim.scim.documents import (
    bulk_response,
    error_document,
    list_response,
    location,
    with_urls,
)
from glpi_scim.scim.errors import Conflict, NotModified, ServiceUnavailable, Uniqueness
from glpi_scim.scim.store import GROUP, USER

from .helpers import ENTERPRISE, LIST_RESPONSE, group, user


def test_list_response() -> None:
    assert list_response([{"id": "1"}], total=5, start_index=3) == {
        "schemas": [LIST_RESPONSE],
        "totalResults": 5,
        "startIndex": 3,
        "itemsPerPage": 1,
        "Resources": [{"id": "1"}],
    }


def test_error_documents() -> None:
    assert error_document(Uniqueness("userName taken")) == {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
        "status": "409",
        "scimType": "uniqueness",
        "detail": "userName taken",
    }
    assert "scimType" not in error_document(Conflict("circular"))
    assert NotModified("x").status == 304
    unavailable = ServiceUnavailable("database down", retry_after=7)
    assert (unavailable.status, unavailable.headers) == (503, {"Retry-After": "7"})


def test_bulk_response() -> None:
    assert bulk_response([{"status": "201"}]) == {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkResponse"],
        "Operations": [{"status": "201"}],
    }


def test_location() -> None:
    assert location("https://h/scim/v2/3/", USER, "7") == "https://h/scim/v2/3/Users/7"
    assert location("https://h/scim/v2", GROUP, "8") == "https://h/scim/v2/Groups/8"


def test_with_urls() -> None:
    resource = user(
        groups=[{"value": "10", "display": "Ops"}],
        **{ENTERPRISE: {"manager": {"value": "2"}}},
    )
    out = with_urls(resource, USER, "https://h/v2")
    assert out["meta"]["location"] == "https://h/v2/Users/1"
    assert out["groups"][0]["$ref"] == "https://h/v2/Groups/10"
    assert out[ENTERPRISE]["manager"]["$ref"] == "https://h/v2/Users/2"
    assert "location" not in resource["meta"]  # the input is not changed
    members = with_urls(
        group(members=[{"value": "1", "type": "User"}, {"value": "9", "type": "Group"}]),
        GROUP,
        "https://h/v2",
    )
    assert [m["$ref"] for m in members["members"]] == [
        "https://h/v2/Users/1",
        "https://h/v2/Groups/9",
    ]
    assert with_urls(resource, USER, None) is resource
