"""Bulk requests (RFC 7644 §3.7) on top of ScimService (any `ResourceWrites`).

- Limits: more than `bulk_max_operations` operations, or a body over `bulk_max_payload_size`
  bytes, is a 413 for the whole request; bulk switched off is a 501.
- `bulkId:<id>` strings anywhere in `data` and in `path` are replaced by the id of the
  resource the POST with that bulkId created. Operations run in request order, except that an
  operation waits for the POSTs whose bulkIds it references. A reference to a bulkId no
  operation defines is a 400 invalidValue; to a POST that failed, or a circular reference, a
  409 for that operation.
- `failOnErrors`: processing stops once that many operations have failed.
- Each result carries method, bulkId, location, version and status (as a string); a failed one
  also carries its Error document as `response`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from glpi_scim.scim.contract import ResourceWrites, ScimResponse
from glpi_scim.scim.documents import BULK_REQUEST_SCHEMA, bulk_response, location
from glpi_scim.scim.errors import (
    Conflict,
    InvalidSyntax,
    InvalidValue,
    NotImplementedByServer,
    PayloadTooLarge,
    ScimError,
)
from glpi_scim.scim.schemas import RESOURCE_TYPES
from glpi_scim.scim.values import get_ci

_BULK_REF = re.compile(r"^bulkId:(.+)$")
_METHODS = ("POST", "PUT", "PATCH", "DELETE")
_ENDPOINTS = {rt.endpoint.strip("/").lower(): rt.name for rt in RESOURCE_TYPES.values()}


@dataclass
class _Op:
    index: int
    raw: Mapping[str, Any]
    method: str
    bulk_id: str | None
    references: set[str]


def run_bulk(
    service: ResourceWrites, body: Any, *, base_url: str | None, payload_size: int | None
) -> ScimResponse:
    settings = service.settings
    if not settings.bulk:
        raise NotImplementedByServer("bulk operations are not supported")
    if payload_size is not None and payload_size > settings.bulk_max_payload_size:
        raise PayloadTooLarge(
            f"the bulk request has {payload_size} bytes; at most "
            f"{settings.bulk_max_payload_size} allowed"
        )
    raw_ops, fail_on_errors = _parse_request(body)
    if len(raw_ops) > settings.bulk_max_operations:
        raise PayloadTooLarge(
            f"the bulk request has {len(raw_ops)} operations; at most "
            f"{settings.bulk_max_operations} allowed"
        )
    ops = [_parse_op(raw, i) for i, raw in enumerate(raw_ops)]
    defined = {op.bulk_id: op.index for op in ops if op.method == "POST" and op.bulk_id}
    order, circular = _order(ops, defined)
    created: dict[str, str] = {}
    failed: set[str] = set()
    results: list[dict[str, Any]] = []
    errors = 0
    circular_indexes = {op.index for op in circular}
    for op in [*order, *circular]:
        if fail_on_errors is not None and errors >= fail_on_errors:
            break
        try:
            if op.index in circular_indexes:
                raise Conflict("circular bulkId reference")
            result = _run(service, op, created, failed, defined, base_url)
        except ScimError as exc:
            errors += 1
            if op.bulk_id:
                failed.add(op.bulk_id)
            result = _result(op)
            result["status"] = str(exc.status)
            result["response"] = exc.to_document()
        results.append(result)
    return ScimResponse(200, bulk_response(results))


def _parse_request(body: Any) -> tuple[list[Any], int | None]:
    if not isinstance(body, Mapping):
        raise InvalidSyntax("the request body must be a BulkRequest JSON object")
    schemas = get_ci(body, "schemas")
    if schemas is not None and not (
        isinstance(schemas, list)
        and any(isinstance(s, str) and s.lower() == BULK_REQUEST_SCHEMA.lower() for s in schemas)
    ):
        raise InvalidSyntax(f"'schemas' must be [\"{BULK_REQUEST_SCHEMA}\"]")
    operations = get_ci(body, "Operations")
    if not isinstance(operations, list):
        raise InvalidSyntax("'Operations' must be a list")
    fail_on_errors = get_ci(body, "failOnErrors")
    if fail_on_errors is not None and (
        isinstance(fail_on_errors, bool)
        or not isinstance(fail_on_errors, int)
        or fail_on_errors < 1
    ):
        raise InvalidValue("'failOnErrors' must be an integer of at least 1")
    return operations, fail_on_errors


def _parse_op(raw: Any, index: int) -> _Op:
    if not isinstance(raw, Mapping):
        raw = {}
    method = get_ci(raw, "method")
    method = method.upper() if isinstance(method, str) else ""
    bulk_id = get_ci(raw, "bulkId")
    references: set[str] = set()
    _collect_references(get_ci(raw, "path"), references)
    _collect_references(get_ci(raw, "data"), references)
    return _Op(index, raw, method, bulk_id if isinstance(bulk_id, str) else None, references)


def _collect_references(value: Any, found: set[str]) -> None:
    if isinstance(value, str):
        match = _BULK_REF.match(value.rsplit("/", 1)[-1])
        if match:
            found.add(match.group(1))
    elif isinstance(value, Mapping):
        for item in value.values():
            _collect_references(item, found)
    elif isinstance(value, list):
        for item in value:
            _collect_references(item, found)


def _order(ops: list[_Op], defined: Mapping[str, int]) -> tuple[list[_Op], list[_Op]]:
    """Request order, moving an operation after the POSTs it references; cycles apart."""
    depends = {op.index: {defined[r] for r in op.references if r in defined} for op in ops}
    done: set[int] = set()
    order: list[_Op] = []
    remaining = list(ops)
    while remaining:
        ready = next((op for op in remaining if depends[op.index] <= done), None)
        if ready is None:
            break
        order.append(ready)
        done.add(ready.index)
        remaining.remove(ready)
    return order, remaining


def _run(
    service: ResourceWrites,
    op: _Op,
    created: dict[str, str],
    failed: set[str],
    defined: Mapping[str, int],
    base_url: str | None,
) -> dict[str, Any]:
    if op.method not in _METHODS:
        raise InvalidSyntax(f"'method' must be one of {', '.join(_METHODS)}")
    for reference in op.references:
        if reference not in defined:
            raise InvalidValue(f"bulkId {reference!r} is not defined by a POST in this request")
        if reference in failed or reference not in created:
            raise Conflict(f"the operation with bulkId {reference!r} failed")
    path = _substitute(get_ci(op.raw, "path"), created)
    if not isinstance(path, str):
        raise InvalidSyntax("'path' must be a string such as /Users or /Groups/{id}")
    parts = [p for p in path.split("/") if p]
    rt_name = _ENDPOINTS.get(parts[0].lower()) if parts else None
    if rt_name is None or len(parts) > 2:
        raise InvalidValue(f"'path' {path!r} is not /Users[/id] or /Groups[/id]")
    resource_id = parts[1] if len(parts) == 2 else None
    if (op.method == "POST") != (resource_id is None):
        raise InvalidValue(
            f"{op.method} needs a path {'without' if op.method == 'POST' else 'with'} an id"
        )
    data = _substitute(get_ci(op.raw, "data"), created)
    version = get_ci(op.raw, "version")
    if_match = version if isinstance(version, str) else None
    if op.method == "POST":
        response = service.create(rt_name, data, base_url=base_url)
    elif resource_id is None:  # pragma: no cover - excluded above
        raise InvalidValue("missing id")
    elif op.method == "PUT":
        response = service.replace(rt_name, resource_id, data, base_url=base_url, if_match=if_match)
    elif op.method == "PATCH":
        response = service.patch(rt_name, resource_id, data, base_url=base_url, if_match=if_match)
    else:
        response = service.delete(rt_name, resource_id, if_match=if_match)
    result = _result(op)
    result["status"] = str(response.status)
    new_location = response.headers.get("Location")
    if new_location is None and resource_id is not None and base_url is not None:
        new_location = location(base_url, rt_name, resource_id)
    if new_location:
        result["location"] = new_location
    if response.headers.get("ETag"):
        result["version"] = response.headers["ETag"]
    if op.method == "POST" and op.bulk_id and response.body is not None:
        created_id = response.body.get("id")
        if isinstance(created_id, str):
            created[op.bulk_id] = created_id
    return result


def _result(op: _Op) -> dict[str, Any]:
    result: dict[str, Any] = {"method": op.method or str(get_ci(op.raw, "method"))}
    if op.bulk_id:
        result["bulkId"] = op.bulk_id
    return result


def _substitute(value: Any, created: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        head, slash, tail = value.rpartition("/")
        match = _BULK_REF.match(tail)
        if match and match.group(1) in created:
            return f"{head}{slash}{created[match.group(1)]}"
        return value
    if isinstance(value, Mapping):
        return {k: _substitute(v, created) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, created) for v in value]
    return value
