"""List and search parameters (RFC 7644 §3.4.2 and §3.4.3) -> store.ListQuery.

From a query string (`GET /Users?filter=...`) or a SearchRequest body (`POST /.search`).
Parameter names match case-insensitively. A bad value is a 400 invalidValue (a bad filter is
a 400 invalidFilter), never another kind of exception.

- startIndex: 1-based; below 1 reads as 1.
- count: negative reads as 0; above the server's maxResults reads as maxResults; absent means
  the server's default page size.
- sortBy: any attribute or sub-attribute with a single comparable value; a multi-valued
  complex attribute sorts by its `value` (RFC 7644 §3.4.2.3). sortOrder: ascending (default)
  or descending.
- attributes / excludedAttributes: comma-separated in a query string, lists in a body.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from glpi_scim.scim.ast import AttrPath
from glpi_scim.scim.documents import SEARCH_REQUEST_SCHEMA
from glpi_scim.scim.errors import InvalidPath, InvalidSyntax, InvalidValue
from glpi_scim.scim.evaluate import comparison_attribute
from glpi_scim.scim.filter import (
    DEFAULT_MAX_CLAUSES,
    DEFAULT_MAX_DEPTH,
    DEFAULT_MAX_LENGTH,
    parse_filter,
)
from glpi_scim.scim.paths import parse_attr_path
from glpi_scim.scim.projection import skipped_attributes
from glpi_scim.scim.schemas import RESOURCE_TYPES, ResourceType, resource_type
from glpi_scim.scim.store import ListQuery
from glpi_scim.scim.values import get_ci


@dataclass(frozen=True)
class QueryLimits:
    max_results: int = 200
    default_count: int | None = None  # None: max_results
    max_filter_length: int = DEFAULT_MAX_LENGTH
    max_filter_depth: int = DEFAULT_MAX_DEPTH
    max_filter_clauses: int = DEFAULT_MAX_CLAUSES


_PARAMS = (
    "filter",
    "sortBy",
    "sortOrder",
    "startIndex",
    "count",
    "attributes",
    "excludedAttributes",
)


def parse_list_query(
    params: Mapping[str, Any],
    resource_type_: str | ResourceType | None,
    limits: QueryLimits | None = None,
) -> ListQuery:
    """Query-string parameters (values are strings, or lists of strings) -> ListQuery.

    With `resource_type_` None (a search at the server root), the filter is only checked for
    syntax; the caller restricts it to each type (filter.restrict).
    """
    values = _collect(params, from_body=False)
    return _build(values, resource_type_, limits or QueryLimits())


def parse_search_request(
    body: Any,
    resource_type_: str | ResourceType | None,
    limits: QueryLimits | None = None,
) -> ListQuery:
    """A SearchRequest body (RFC 7644 §3.4.3) -> ListQuery."""
    if not isinstance(body, Mapping):
        raise InvalidSyntax("the request body must be a SearchRequest JSON object")
    schemas = get_ci(body, "schemas")
    if schemas is not None and not (
        isinstance(schemas, list)
        and any(isinstance(s, str) and s.lower() == SEARCH_REQUEST_SCHEMA.lower() for s in schemas)
    ):
        raise InvalidSyntax(f"'schemas' must be [\"{SEARCH_REQUEST_SCHEMA}\"]")
    values = _collect(body, from_body=True)
    return _build(values, resource_type_, limits or QueryLimits())


def _collect(source: Mapping[str, Any], *, from_body: bool) -> dict[str, Any]:
    wanted = {name.lower(): name for name in _PARAMS}
    values: dict[str, Any] = {}
    for key, value in source.items():
        name = wanted.get(key.lower()) if isinstance(key, str) else None
        if name is None:
            continue
        if not from_body and isinstance(value, list | tuple):
            value = value[0] if value else None
        values[name] = value
    return values


def _build(
    values: dict[str, Any], resource_type_: str | ResourceType | None, limits: QueryLimits
) -> ListQuery:
    rt = resource_type(resource_type_) if resource_type_ is not None else None
    filter_text = values.get("filter")
    filter_ = None
    if filter_text is not None:
        if not isinstance(filter_text, str):
            raise InvalidValue("'filter' must be a string")
        if filter_text.strip():
            filter_ = parse_filter(
                filter_text,
                rt,
                max_length=limits.max_filter_length,
                max_depth=limits.max_filter_depth,
                max_clauses=limits.max_filter_clauses,
            )
    start_index = max(1, _integer(values.get("startIndex"), "startIndex", 1))
    default_count = limits.default_count if limits.default_count is not None else limits.max_results
    count = _integer(values.get("count"), "count", default_count)
    count = min(max(0, count), limits.max_results)
    sort_by = _sort_by(values.get("sortBy"), rt)
    descending = _descending(values.get("sortOrder"))
    attributes = _attr_list(values.get("attributes"), "attributes", rt)
    excluded = _attr_list(values.get("excludedAttributes"), "excludedAttributes", rt)
    skip = skipped_attributes(rt, attributes, excluded) if rt is not None else frozenset()
    return ListQuery(
        filter=filter_,
        sort_by=sort_by,
        descending=descending if sort_by is not None else False,
        start_index=start_index,
        count=count,
        attributes=attributes,
        excluded_attributes=excluded,
        skip=skip,
    )


def _integer(value: Any, name: str, default: int) -> int:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise InvalidValue(f"'{name}' must be an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        digits = text[1:] if text[:1] in "+-" else text
        if digits.isascii() and digits.isdigit():
            return int(text)
    raise InvalidValue(f"'{name}' must be an integer, not {value!r}")


def _descending(value: Any) -> bool:
    if value is None or value == "":
        return False
    if isinstance(value, str) and value.strip().lower() in ("ascending", "descending"):
        return value.strip().lower() == "descending"
    raise InvalidValue(f"'sortOrder' must be 'ascending' or 'descending', not {value!r}")


def _sort_by(value: Any, rt: ResourceType | None) -> AttrPath | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidValue("'sortBy' must be an attribute name")
    try:
        path = parse_attr_path(value, rt)
    except InvalidPath as exc:
        raise InvalidValue(f"'sortBy': {exc.detail}") from None
    candidates = [rt] if rt is not None else list(RESOURCE_TYPES.values())
    for candidate in candidates:
        sort_path = sort_path_for(path, candidate)
        if sort_path is not None:
            return sort_path if rt is not None else path
    raise InvalidValue(f"'sortBy': '{value}' is not an attribute")


def sort_path_for(path: AttrPath, rt: ResourceType) -> AttrPath | None:
    """The canonical path to sort `rt` by (`emails` -> `emails.value`), None when unknown.

    Raises InvalidValue for an attribute with no single comparable value (`name`, `password`).
    """
    resolved = rt.resolve(path)
    if resolved is None:
        return None
    target = comparison_attribute(resolved.target)
    if target.is_complex or target.returned == "never":
        raise InvalidValue(f"'sortBy': '{path}' has no single value to sort by")
    sub = target.name if target is not resolved.attribute else None
    schema = resolved.schema.id if resolved.extension else None
    return AttrPath(resolved.attribute.name, sub, schema)


def parse_projection(
    params: Mapping[str, Any] | None, resource_type_: str | ResourceType
) -> tuple[tuple[AttrPath, ...], tuple[AttrPath, ...]]:
    """`attributes` and `excludedAttributes` of a query string (for GET, POST, PUT, PATCH)."""
    values = _collect(params or {}, from_body=False)
    rt = resource_type(resource_type_)
    return (
        _attr_list(values.get("attributes"), "attributes", rt),
        _attr_list(values.get("excludedAttributes"), "excludedAttributes", rt),
    )


def _attr_list(value: Any, name: str, rt: ResourceType | None) -> tuple[AttrPath, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        parts = value.split(",")
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        parts = [p for v in value for p in v.split(",")]
    else:
        raise InvalidValue(f"'{name}' must be a list of attribute names")
    try:
        return tuple(parse_attr_path(p, rt) for p in parts if p.strip())
    except InvalidPath as exc:
        raise InvalidValue(f"'{name}': {exc.detail}") from None
