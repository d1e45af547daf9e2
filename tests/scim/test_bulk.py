"""Bulk requests (RFC 7644 §3.7)."""

from __future__ import annotations

from typing import Any

import pytest

from glpi_scim.scim.errors import (
    InvalidSyntax,
    InvalidValue,
    NotImplementedByServer,
    PayloadTooLarge,
)
from glpi_scim.scim.memory import InMemoryStore
from glpi_scim.scim.service import ScimService, ServiceSettings
from glpi_scim.scim.store import GROUP, USER

from .helpers import BASE, BULK_REQUEST, patch_op

BULK_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"


def bulk(service: ScimService, *operations: dict[str, Any], **extra: Any) -> list[dict[str, Any]]:
    response = service.bulk({"schemas": [BULK_REQUEST], "Operations": list(operations), **extra})
    assert response.status == 200
    assert response.body is not None and response.body["schemas"] == [BULK_RESPONSE]
    results: list[dict[str, Any]] = response.body["Operations"]
    return results


def test_rfc_example_with_bulk_id_references(service: ScimService) -> None:
    results = bulk(
        service,
        {"method": "POST", "path": "/Users", "bulkId": "qwerty", "data": {"userName": "Alice"}},
        {
            "method": "POST",
            "path": "/Groups",
            "bulkId": "ytrewq",
            "data": {
                "displayName": "Tour Guides",
                "members": [{"type": "User", "value": "bulkId:qwerty"}],
            },
        },
    )
    assert results == [
        {
            "method": "POST",
            "bulkId": "qwerty",
            "status": "201",
            "location": f"{BASE}/Users/1",
            "version": 'W/"1"',
        },
        {
            "method": "POST",
            "bulkId": "ytrewq",
            "status": "201",
            "location": f"{BASE}/Groups/2",
            "version": 'W/"2"',
        },
    ]
    group = service.get(GROUP, "2").body
    assert group is not None and group["members"][0]["value"] == "1"


def test_forward_references_are_processed_first(service: ScimService) -> None:
    results = bulk(
        service,
        {
            "method": "POST",
            "path": "/Groups",
            "bulkId": "g",
            "data": {"displayName": "G", "members": [{"value": "bulkId:u"}]},
        },
        {
            "method": "PATCH",
            "path": "/Users/bulkId:u",
            "data": patch_op({"op": "add", "path": "title", "value": "T"}),
        },
        {"method": "POST", "path": "/Users", "bulkId": "u", "data": {"userName": "u"}},
    )
    assert [(r["method"], r["status"]) for r in results] == [
        ("POST", "201"),
        ("POST", "201"),
        ("PATCH", "200"),
    ]
    assert results[0]["bulkId"] == "u"
    assert results[2]["location"] == f"{BASE}/Users/1"
    assert service.get(USER, "1").body["title"] == "T"  # type: ignore[index]


def test_all_methods(service: ScimService) -> None:
    service.create(USER, {"userName": "a"})
    service.create(USER, {"userName": "b"})
    service.create(GROUP, {"displayName": "G"})
    version = service.get(USER, "1").headers["ETag"]
    results = bulk(
        service,
        {"method": "put", "path": "/Users/1", "version": version, "data": {"userName": "a2"}},
        {
            "method": "PATCH",
            "path": "Groups/3",
            "data": patch_op({"op": "add", "path": "members", "value": [{"value": "1"}]}),
        },
        {"method": "DELETE", "path": "/Users/2"},
    )
    assert [r["status"] for r in results] == ["200", "204", "204"]
    assert results[2]["location"] == f"{BASE}/Users/2"
    assert service.get(USER, "1").body["userName"] == "a2"  # type: ignore[index]


def test_errors_are_reported_per_operation(service: ScimService) -> None:
    results = bulk(
        service,
        {"method": "POST", "path": "/Users", "bulkId": "1", "data": {"name": {}}},
        {"method": "DELETE", "path": "/Users/404"},
        {"method": "GET", "path": "/Users"},
        {"method": "POST", "path": "/Devices", "data": {}},
        {"method": "POST", "path": "/Users/5", "data": {"userName": "x"}},
        {"method": "PUT", "path": "/Users/1", "version": 'W/"0"', "data": {"userName": "x"}},
        {"method": "POST", "path": "/Users", "bulkId": "ok", "data": {"userName": "ok"}},
    )
    assert [r["status"] for r in results] == ["400", "404", "400", "400", "400", "404", "201"]
    first = results[0]
    assert first["bulkId"] == "1"
    assert first["response"]["scimType"] == "invalidValue"
    assert first["response"]["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]


def test_fail_on_errors_stops_processing(service: ScimService) -> None:
    results = bulk(
        service,
        {"method": "DELETE", "path": "/Users/1"},
        {"method": "DELETE", "path": "/Users/2"},
        {"method": "POST", "path": "/Users", "data": {"userName": "never"}},
        failOnErrors=2,
    )
    assert [r["status"] for r in results] == ["404", "404"]
    assert service.list(USER).body["totalResults"] == 0  # type: ignore[index]


def test_reference_to_a_failed_or_unknown_bulk_id(service: ScimService) -> None:
    results = bulk(
        service,
        {"method": "POST", "path": "/Users", "bulkId": "bad", "data": {}},
        {
            "method": "POST",
            "path": "/Groups",
            "data": {"displayName": "G", "members": [{"value": "bulkId:bad"}]},
        },
        {
            "method": "POST",
            "path": "/Groups",
            "data": {"displayName": "H", "members": [{"value": "bulkId:nope"}]},
        },
    )
    assert [r["status"] for r in results] == ["400", "409", "400"]
    assert "failed" in results[1]["response"]["detail"]
    assert "not defined" in results[2]["response"]["detail"]


def test_circular_references_are_409(service: ScimService) -> None:
    results = bulk(
        service,
        {
            "method": "POST",
            "path": "/Groups",
            "bulkId": "a",
            "data": {"displayName": "A", "members": [{"value": "bulkId:b"}]},
        },
        {
            "method": "POST",
            "path": "/Groups",
            "bulkId": "b",
            "data": {"displayName": "B", "members": [{"value": "bulkId:a"}]},
        },
        {"method": "POST", "path": "/Users", "data": {"userName": "fine"}},
    )
    assert [(r.get("bulkId"), r["status"]) for r in results] == [
        (None, "201"),
        ("a", "409"),
        ("b", "409"),
    ]


def test_limits() -> None:
    service = ScimService(
        InMemoryStore(), ServiceSettings(bulk_max_operations=2, bulk_max_payload_size=100)
    )
    operation = {"method": "DELETE", "path": "/Users/1"}
    with pytest.raises(PayloadTooLarge) as caught:
        service.bulk({"Operations": [operation] * 3})
    assert caught.value.status == 413
    with pytest.raises(PayloadTooLarge):
        service.bulk({"Operations": [operation]}, payload_size=101)
    assert service.bulk({"Operations": [operation]}, payload_size=100).status == 200


def test_bulk_can_be_switched_off() -> None:
    with pytest.raises(NotImplementedByServer) as caught:
        ScimService(InMemoryStore(), ServiceSettings(bulk=False)).bulk({"Operations": []})
    assert caught.value.status == 501


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ([], InvalidSyntax),
        ({"schemas": ["urn:x"], "Operations": []}, InvalidSyntax),
        ({"Operations": {}}, InvalidSyntax),
        ({"Operations": [], "failOnErrors": 0}, InvalidValue),
        ({"Operations": [], "failOnErrors": "1"}, InvalidValue),
    ],
)
def test_bad_requests(service: ScimService, body: Any, error: type[Exception]) -> None:
    with pytest.raises(error):
        service.bulk(body)
