"""Validation and normalisation of the resources clients send (POST, PUT; values in PATCH).

Policy (RFC 7643 §2 and §7, RFC 7644 §3.3 and §3.5.1):
- Attribute names match case-insensitively and come out in canonical case (`USERNAME` ->
  `userName`); extension attributes live under their schema URN, canonically spelled.
- Unknown attributes of a known schema are ignored. An unknown schema URN (in `schemas`, as a
  key, or qualifying a key) is a 400 invalidValue unless the caller lists it in
  `tolerated_extensions`, in which case its data is dropped.
- readOnly attributes (`id`, `meta`, `groups`, `members.display`...) are ignored on input.
- null, `[]` and `{}` mean unassigned (RFC 7643 §2.5) and are dropped.
- Types: booleans also as the strings "true"/"false" in any case; numbers sent for a string
  attribute become strings; dateTime must be xsd:dateTime; a scalar sent for a multi-valued
  attribute is a one-element list, and a scalar sent for a complex attribute that has a `value`
  sub-attribute becomes `{"value": scalar}` (Entra sends `manager` that way).
- Values matching a canonical value case-insensitively take its spelling (`"Work"` ->
  `"work"`, `"user"` -> `"User"`). userName and other free text are never changed.
- A multi-valued attribute has at most one `primary: true` value (else invalidValue);
  exact duplicate values are kept once.
- Required attributes (userName, Group displayName) must be non-blank strings.
- On PUT, an immutable attribute that has a value must keep it (else 400 mutability); one that
  is omitted keeps its old value.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Collection, Mapping
from typing import Any

from glpi_scim.scim.attributes import Attribute, Schema
from glpi_scim.scim.errors import InvalidSyntax, InvalidValue, Mutability
from glpi_scim.scim.schemas import Resolved, ResourceType, resource_type
from glpi_scim.scim.store import Resource
from glpi_scim.scim.values import fold, get_ci, parse_boolean, parse_datetime

__all__ = [
    "check_unknown_key",
    "coerce",
    "coerce_single",
    "is_tolerated",
    "same_element",
    "schemas_for",
    "validate_resource",
]


def validate_resource(
    body: Any,
    resource_type_: str | ResourceType,
    *,
    old: Resource | None = None,
    tolerated_extensions: Collection[str] = (),
) -> Resource:
    """A POST or PUT body checked and normalised into a resource without readOnly attributes.

    `old` is the current resource on PUT (immutable attributes are compared with it).
    """
    rt = resource_type(resource_type_)
    if not isinstance(body, Mapping):
        raise InvalidSyntax("the request body must be a JSON object")
    tolerated = _lowered(tolerated_extensions)
    check_schemas(body, rt, tolerated)
    out: Resource = {}
    for key, value in body.items():
        if not isinstance(key, str) or key.lower() == "schemas":
            continue
        target = rt.resolve_key(key)
        if target is None:
            check_unknown_key(rt, key, tolerated)
            continue
        if isinstance(target, Schema):
            _assign_container(out, rt, target, value, key)
        else:
            _assign(out, target, value, key)
    if old is not None:
        _keep_immutable(out, old, rt)
    check_required(out, rt)
    out["schemas"] = schemas_for(out, rt)
    return out


def check_schemas(body: Mapping[str, Any], rt: ResourceType, tolerated: frozenset[str]) -> None:
    """`schemas` may be absent; when given it must name the core schema and known extensions."""
    schemas = get_ci(body, "schemas")
    if schemas is None:
        return
    if isinstance(schemas, str):
        schemas = [schemas]
    if not isinstance(schemas, list) or not all(isinstance(s, str) for s in schemas):
        raise InvalidValue("'schemas' must be a list of schema URNs")
    has_core = False
    for urn in schemas:
        schema = rt.schema_by_urn(urn)
        if schema is rt.schema:
            has_core = True
        elif schema is None and not is_tolerated(urn, tolerated):
            raise InvalidValue(f"'schemas' lists '{urn}', which is not a schema of {rt.name}")
    if not has_core:
        raise InvalidValue(f"'schemas' must include '{rt.schema.id}'")


def check_unknown_key(rt: ResourceType, key: str, tolerated: Collection[str]) -> None:
    """An unknown name is ignored, unless it names (or is qualified by) an unknown schema."""
    if key[:4].lower() != "urn:" or is_tolerated(key, tolerated):
        return
    schema_urn = key.rpartition(":")[0]
    if rt.schema_by_urn(schema_urn) is None:
        raise InvalidValue(f"'{key}' is not an attribute or extension of {rt.name}")


def is_tolerated(urn_or_key: str, tolerated: Collection[str]) -> bool:
    """Whether a URN, or a name qualified by a URN, belongs to a tolerated extension."""
    lowered = urn_or_key.lower()
    return any(lowered == t or lowered.startswith(t + ":") for t in tolerated)


def _lowered(urns: Collection[str]) -> frozenset[str]:
    return frozenset(u.lower() for u in urns)


def schemas_for(resource: Resource, rt: ResourceType) -> list[str]:
    """The `schemas` value: the core schema, then each extension the resource holds."""
    return [rt.schema.id] + [ext.id for ext in rt.extensions if resource.get(ext.id)]


def _assign_container(
    out: Resource, rt: ResourceType, schema: Schema, value: Any, key: str
) -> None:
    if value is None:
        return
    if not isinstance(value, Mapping):
        raise InvalidValue(f"'{key}' must be a JSON object of {schema.name} attributes")
    for name, item in value.items():
        attribute = schema.attribute(name) if isinstance(name, str) else None
        if schema is rt.schema and attribute is None and isinstance(name, str):
            resolved = rt.resolve_key(name)  # common attributes (externalId) under the core URN
            if isinstance(resolved, Resolved) and not resolved.extension:
                _assign(out, resolved, item, f"{key}:{name}")
            continue
        if attribute is not None:
            resolved = Resolved(schema, attribute, None, schema is not rt.schema)
            _assign(out, resolved, item, f"{key}:{name}")


def _assign(out: Resource, resolved: Resolved, value: Any, where: str) -> None:
    attribute, sub = resolved.attribute, resolved.sub
    if attribute.read_only or (sub is not None and sub.read_only):
        return
    container = out
    if resolved.extension:
        container = out.setdefault(resolved.schema.id, {})
    if sub is not None:
        if attribute.multi_valued:
            raise InvalidValue(f"'{where}': give '{attribute.name}' as a list of values")
        coerced = coerce_single(sub, value, where)
        if coerced is not None:
            container.setdefault(attribute.name, {})[sub.name] = coerced
    else:
        coerced = coerce(attribute, value, where)
        if coerced is None:
            container.pop(attribute.name, None)
        elif attribute.is_complex and not attribute.multi_valued:
            container.setdefault(attribute.name, {}).update(coerced)
        else:
            container[attribute.name] = coerced
    if resolved.extension and not container:
        del out[resolved.schema.id]


def coerce(attribute: Attribute, value: Any, where: str) -> Any:
    """`value` normalised for `attribute`: a list for multi-valued ones; None when unassigned."""
    if value is None:
        return None
    if not attribute.multi_valued:
        return coerce_single(attribute, value, where)
    items = value if isinstance(value, list) else [value]
    out: list[Any] = []
    seen: set[Any] = set()
    primaries = 0
    for index, item in enumerate(items):
        coerced = coerce_single(attribute, item, f"{where}[{index}]")
        if coerced is None:
            continue
        key = _hashable(coerced)
        if key in seen:
            continue
        seen.add(key)
        if isinstance(coerced, dict) and coerced.get("primary") is True:
            primaries += 1
        out.append(coerced)
    if primaries > 1:
        raise InvalidValue(f"'{where}': at most one value may have primary set to true")
    return out or None


def coerce_single(attribute: Attribute, value: Any, where: str, *, partial: bool = False) -> Any:
    """One value (or one element of a multi-valued attribute) normalised for `attribute`.

    `partial` is for a complex value merged into an existing one: its required sub-attributes
    may be missing.
    """
    if value is None:
        return None
    kind = attribute.type
    if kind == "complex":
        return _coerce_complex(attribute, value, where, partial)
    if kind == "string":
        if isinstance(value, str):
            return attribute.canonical(value) if attribute.canonical_values else value
        # An integer has one decimal text (IdPs send employee numbers as numbers); any other
        # number has several (1e3, 1000.0), so it is refused rather than guessed.
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        if isinstance(value, float):
            raise InvalidValue(f"'{where}' must be a string, not the number {value!r}")
        raise InvalidValue(f"'{where}' must be a string")
    if kind == "boolean":
        flag = parse_boolean(value)
        if flag is None:
            raise InvalidValue(f"'{where}' must be a boolean (true or false)")
        return flag
    if kind == "reference":
        if not isinstance(value, str):
            raise InvalidValue(f"'{where}' must be a reference (a string)")
        return value
    if kind == "dateTime":
        if not isinstance(value, str) or parse_datetime(value) is None:
            raise InvalidValue(f"'{where}' must be a dateTime such as 2011-05-13T04:42:34Z")
        return value
    if kind == "integer":
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidValue(f"'{where}' must be an integer")
        return value
    if kind == "decimal":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidValue(f"'{where}' must be a number")
        return value
    return _coerce_binary(value, where)


def _coerce_complex(
    attribute: Attribute, value: Any, where: str, partial: bool
) -> dict[str, Any] | None:
    if not isinstance(value, Mapping):
        value_sub = attribute.sub("value")
        if value_sub is None or isinstance(value, list):
            raise InvalidValue(f"'{where}' must be a JSON object")
        value = {"value": value}
    out: dict[str, Any] = {}
    for name, item in value.items():
        sub = attribute.sub(name) if isinstance(name, str) else None
        if sub is None or sub.read_only:
            continue
        coerced = coerce_single(sub, item, f"{where}.{sub.name}")
        if coerced is not None:
            out[sub.name] = coerced
    if out and not partial:
        for sub in attribute.sub_attributes:
            if sub.required and sub.name not in out:
                raise InvalidValue(f"'{where}.{sub.name}' is required")
    return out or None


def _coerce_binary(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise InvalidValue(f"'{where}' must be base64 text")
    try:
        base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidValue(f"'{where}' must be base64 text") from None
    return value


def _hashable(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    return value


def same_element(attribute: Attribute, a: Any, b: Any) -> bool:
    """Whether two values of a multi-valued attribute designate the same entry.

    Complex values with a `value` are the same entry when their values are equal (per
    caseExact) and their `type`s agree where both have one; other values must be equal.
    """
    value_sub = attribute.sub("value") if attribute.is_complex else None
    if value_sub is None or not isinstance(a, Mapping) or not isinstance(b, Mapping):
        return bool(a == b)
    left, right = a.get("value"), b.get("value")
    if left is None or right is None:
        return bool(a == b)
    if isinstance(left, str) and isinstance(right, str):
        if fold(left, value_sub.case_exact) != fold(right, value_sub.case_exact):
            return False
    elif left != right:
        return False
    type_a, type_b = a.get("type"), b.get("type")
    if isinstance(type_a, str) and isinstance(type_b, str):
        return type_a.lower() == type_b.lower()
    return True


def check_required(resource: Resource, rt: ResourceType) -> None:
    """Required attributes (userName, Group displayName) must have a non-blank value."""
    for attribute in rt.schema.attributes:
        if attribute.required and not _has_value(resource.get(attribute.name)):
            raise InvalidValue(f"'{attribute.name}' is required")
    for extension in rt.extensions:
        data = resource.get(extension.id)
        if not data:
            continue
        for attribute in extension.attributes:
            if attribute.required and not _has_value(data.get(attribute.name)):
                raise InvalidValue(f"'{extension.id}:{attribute.name}' is required")


def _has_value(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip() != ""
    return value is not None and value != [] and value != {}


def _keep_immutable(new: Resource, old: Resource, rt: ResourceType) -> None:
    for schema in (rt.schema, *rt.extensions):
        new_container = new if schema is rt.schema else new.get(schema.id, {})
        old_container = old if schema is rt.schema else (get_ci(old, schema.id) or {})
        for attribute in schema.attributes:
            before = old_container.get(attribute.name)
            if before is None:
                continue
            after = new_container.get(attribute.name)
            if attribute.mutability == "immutable":
                if after is None:
                    new_container[attribute.name] = before
                    if schema is not rt.schema:
                        new[schema.id] = new_container
                elif after != before:
                    raise Mutability(f"'{attribute.name}' is immutable and cannot be changed")
            elif attribute.multi_valued and isinstance(after, list):
                _check_immutable_elements(attribute, before, after)


def _check_immutable_elements(attribute: Attribute, before: Any, after: list[Any]) -> None:
    """Elements kept across a PUT (same `value`) keep their immutable sub-attributes."""
    immutable = [s for s in attribute.sub_attributes if s.mutability == "immutable"]
    if not immutable or not isinstance(before, list) or attribute.sub("value") is None:
        return
    previous = {e.get("value"): e for e in before if isinstance(e, Mapping)}
    for element in after:
        old = previous.get(element.get("value"))
        if old is None:
            continue
        for sub in immutable:
            was, now = old.get(sub.name), element.get(sub.name)
            if was is not None and now is not None and was != now:
                raise Mutability(
                    f"'{attribute.name}.{sub.name}' is immutable and cannot be changed"
                )


def check_value_counts(resource: Resource, limits: Mapping[str, int]) -> None:
    """Refuse a resource with more values of a multi-valued attribute than `limits` allows
    (`{"emails": 100}`): each value is work on every later request about the resource."""
    for name, limit in limits.items():
        values = resource.get(name)
        if isinstance(values, list) and len(values) > limit:
            raise InvalidValue(
                f"'{name}' has {len(values)} values; this server keeps at most {limit} "
                f"{name} per resource"
            )
