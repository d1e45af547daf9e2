"""What a PUT or PATCH will likely set, read from the request alone (store.Preview).

A store reads the current resource before the mutation runs; what the new state names (a
title GLPI keeps as a row of its own) is otherwise looked up after, in a statement of its own.
The preview lists the texts the request gives singular top-level attributes, so that the
store can read those rows with the resource. It is a hint: a PATCH's later operation or a
value filter may leave another value, and the store then looks that one up as before.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from glpi_scim.scim.ast import AttrPath
from glpi_scim.scim.patch import Operation
from glpi_scim.scim.schemas import ResourceType
from glpi_scim.scim.store import Preview, PreviewKey


def of_resource(resource: Mapping[str, Any], rt: ResourceType) -> Preview:
    """A PUT's: the texts of the resource it sends."""
    texts: dict[PreviewKey, tuple[str, ...]] = {}
    _collect(texts, resource, rt)
    return Preview(texts)


def of_operations(operations: Sequence[Operation], rt: ResourceType) -> Preview:
    """A PATCH's: the texts its add and replace operations give (every one, in order)."""
    texts: dict[PreviewKey, tuple[str, ...]] = {}
    for operation in operations:
        if operation.op == "remove":
            continue
        if operation.path is None:
            if isinstance(operation.value, Mapping):
                _collect(texts, operation.value, rt)
            continue
        path = operation.path
        if path.value_filter is None and path.path.sub_attr is None:
            key = _key(path.path, rt)
            if key is not None:
                _add(texts, key, [operation.value])
    return Preview(texts)


def _key(path: AttrPath, rt: ResourceType) -> PreviewKey | None:
    if path.schema is None:
        return (None, path.attr.lower())
    schema = rt.schema_by_urn(path.schema)
    if schema is None:
        return None
    return (None if schema is rt.schema else schema.id.lower(), path.attr.lower())


def _collect(
    texts: dict[PreviewKey, tuple[str, ...]], values: Mapping[str, Any], rt: ResourceType
) -> None:
    for name, value in values.items():
        if not isinstance(name, str):
            continue
        schema = rt.schema_by_urn(name)
        if schema is not None and rt.is_extension(schema) and isinstance(value, Mapping):
            urn = schema.id.lower()
            for sub, sub_value in value.items():
                if isinstance(sub, str):
                    _add(texts, (urn, sub.lower()), [sub_value])
        else:
            _add(texts, (None, name.lower()), [value])


def _add(texts: dict[PreviewKey, tuple[str, ...]], key: PreviewKey, values: Iterable[Any]) -> None:
    found = tuple(value for value in values if isinstance(value, str))
    if found:
        texts[key] = (*texts.get(key, ()), *found)
