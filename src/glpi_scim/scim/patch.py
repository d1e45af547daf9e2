"""PATCH (RFC 7644 §3.5.2): apply a PatchOp document to a resource, returning a new resource.

Semantics:
- add: a single-valued attribute is set; a complex one gets the given sub-attributes merged;
  a multi-valued one gets the values appended (a value already there is merged, not doubled).
- replace: as add, except that a multi-valued attribute (without filter) takes exactly the
  given values; null or [] unassigns.
- remove: needs a path (else noTarget); removes the attribute, the sub-attribute, or the
  values a filter selects. With a `value` list on a multi-valued attribute it removes only the
  listed values (Entra and others remove group members this way). Removing what is not there
  is a no-op.
- `primary`: a value made primary clears `primary` on the attribute's other values.
- readOnly targets, and immutable ones that already have a value, are 400 mutability.
- After all operations, required attributes must still be set (400 invalidValue).

Tolerated client forms (each has a unit test): op names in any case; booleans as strings;
path-less values keyed `name.givenName` or by a fully-qualified extension attribute (or the
extension URN itself); add/replace through a value filter that matches nothing creates the value
from the filter's `eq` terms (`emails[type eq "work"].value`); `id`, `schemas`, `meta` echoed
unchanged in a path-less value; a PatchOp without `schemas`; legacy `urn:scim:schemas:core:2.0`
URNs.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from glpi_scim.scim.ast import And, AttrPath, Compare, Filter, Or, PatchPath
from glpi_scim.scim.attributes import Attribute, Schema
from glpi_scim.scim.documents import PATCH_OP_SCHEMA
from glpi_scim.scim.errors import (
    InvalidPath,
    InvalidSyntax,
    InvalidValue,
    Mutability,
    NoTarget,
    PayloadTooLarge,
    ScimError,
)
from glpi_scim.scim.evaluate import element_matches
from glpi_scim.scim.paths import parse_path
from glpi_scim.scim.resources import (
    check_required,
    check_unknown_key,
    check_value_counts,
    coerce,
    coerce_single,
    is_tolerated,
    same_element,
    schemas_for,
)
from glpi_scim.scim.schemas import GROUP_TYPE, Resolved, ResourceType, resource_type
from glpi_scim.scim.store import MemberChange, Resource
from glpi_scim.scim.values import fold, get_ci

OpName = Literal["add", "replace", "remove"]
_OP_NAMES: dict[str, OpName] = {"add": "add", "replace": "replace", "remove": "remove"}

# A PATCH with more operations is refused with 413, the status RFC 7644 §3.7.4 gives a bulk
# request over its limits: both are requests too large to process.
DEFAULT_MAX_OPERATIONS = 1000

__all__ = [
    "DEFAULT_MAX_OPERATIONS",
    "Operation",
    "apply_operations",
    "apply_patch",
    "member_change",
    "parse_patch",
]


@dataclass(frozen=True)
class Operation:
    """One parsed PATCH operation. `path` is None for a path-less add/replace."""

    op: OpName
    path: PatchPath | None
    value: Any
    index: int
    has_value: bool = True


def parse_patch(
    document: Any,
    resource_type_: str | ResourceType,
    *,
    max_operations: int = DEFAULT_MAX_OPERATIONS,
) -> tuple[Operation, ...]:
    """Check a PatchOp document and parse its paths (against the schema) without applying it."""
    rt = resource_type(resource_type_)
    if not isinstance(document, Mapping):
        raise InvalidSyntax("the request body must be a PatchOp JSON object")
    schemas = get_ci(document, "schemas")
    if schemas is not None and not (
        isinstance(schemas, list)
        and any(isinstance(s, str) and s.lower() == PATCH_OP_SCHEMA.lower() for s in schemas)
    ):
        raise InvalidSyntax(f"'schemas' must be [\"{PATCH_OP_SCHEMA}\"]")
    raw_operations = get_ci(document, "Operations")
    if not isinstance(raw_operations, list) or not raw_operations:
        raise InvalidSyntax("'Operations' must be a list of one or more operations")
    if len(raw_operations) > max_operations:
        raise PayloadTooLarge(
            f"the PatchOp has {len(raw_operations)} operations; at most {max_operations} allowed"
        )
    return tuple(_parse_operation(raw, index, rt) for index, raw in enumerate(raw_operations))


def _parse_operation(raw: Any, index: int, rt: ResourceType) -> Operation:
    where = f"Operations[{index}]"
    if not isinstance(raw, Mapping):
        raise InvalidSyntax(f"{where} must be a JSON object")
    name = get_ci(raw, "op")
    op = _OP_NAMES.get(name.strip().lower()) if isinstance(name, str) else None
    if op is None:
        raise InvalidSyntax(f"{where}: 'op' must be add, replace or remove, not {name!r}")
    path_text = get_ci(raw, "path")
    path: PatchPath | None = None
    if path_text is not None and not (isinstance(path_text, str) and not path_text.strip()):
        if not isinstance(path_text, str):
            raise InvalidPath(f"{where}: 'path' must be a string")
        try:
            path = parse_path(path_text, rt)
        except InvalidPath as exc:
            raise InvalidPath(f"{where}: {exc.detail}") from None
        bare = path.path.sub_attr is None and path.path.schema is None
        if bare and rt.schema_by_urn(path.path.attr) is rt.schema:
            path = None  # the core schema URN as a path: the whole resource
    has_value = any(isinstance(k, str) and k.lower() == "value" for k in raw)
    if op != "remove" and not has_value:
        raise InvalidValue(f"{where}: '{op}' needs a 'value'")
    if op == "remove" and path is None:
        raise NoTarget(f"{where}: 'remove' needs a 'path' (RFC 7644 §3.5.2.2)")
    return Operation(op, path, get_ci(raw, "value"), index, has_value)


def apply_patch(
    resource: Resource,
    document: Any,
    resource_type_: str | ResourceType,
    *,
    max_operations: int = DEFAULT_MAX_OPERATIONS,
    tolerated_extensions: Collection[str] = (),
) -> Resource:
    """Parse and apply a PatchOp document; the input resource is left untouched."""
    operations = parse_patch(document, resource_type_, max_operations=max_operations)
    return apply_operations(
        resource, operations, resource_type_, tolerated_extensions=tolerated_extensions
    )


def apply_operations(
    resource: Resource,
    operations: Sequence[Operation],
    resource_type_: str | ResourceType,
    *,
    tolerated_extensions: Collection[str] = (),
    value_limits: Mapping[str, int] | None = None,
) -> Resource:
    """Apply parsed operations in order; all or nothing (the input is never modified).

    `value_limits` (`{"emails": 100}`) is checked after every operation, so that later
    operations never work on a list grown past it."""
    rt = resource_type(resource_type_)
    patcher = _Patcher(resource, rt, frozenset(t.lower() for t in tolerated_extensions))
    for operation in operations:
        try:
            patcher.apply(operation)
            if value_limits:
                check_value_counts(patcher.res, value_limits)
        except ScimError as exc:
            exc.detail = f"Operations[{operation.index}] ({operation.op}): {exc.detail}"
            exc.args = (exc.detail,)
            raise
    result = patcher.res
    for extension in rt.extensions:
        if extension.id in result and not result[extension.id]:
            del result[extension.id]
    check_required(result, rt)
    result["schemas"] = schemas_for(result, rt)
    return result


class _Patcher:
    """Applies operations to a copy-on-write view of the resource."""

    def __init__(self, resource: Resource, rt: ResourceType, tolerated: frozenset[str]) -> None:
        self.rt = rt
        self.res: Resource = dict(resource)
        self.tolerated = tolerated
        self.copied: set[tuple[str | None, str]] = set()

    # -- storage helpers
    def _container(self, resolved: Resolved, create: bool) -> dict[str, Any] | None:
        if not resolved.extension:
            return self.res
        urn = resolved.schema.id
        existing = self.res.get(urn)
        if (urn, "") not in self.copied:
            if existing is None and not create:
                return None
            existing = dict(existing or {})
            self.res[urn] = existing
            self.copied.add((urn, ""))
        return existing if isinstance(existing, dict) else None

    def current(self, resolved: Resolved) -> Any:
        """The attribute's value, copied so that it may be changed in place."""
        container = self._container(resolved, create=False)
        if container is None:
            return None
        name = resolved.attribute.name
        value = container.get(name)
        key = (resolved.container, name)
        if value is not None and key not in self.copied:
            value = copy.deepcopy(value)
            container[name] = value
            self.copied.add(key)
        return value

    def store(self, resolved: Resolved, value: Any) -> None:
        container = self._container(resolved, create=value is not None)
        if container is None:
            return
        name = resolved.attribute.name
        if value is None or value == [] or value == {}:
            container.pop(name, None)
        else:
            container[name] = value
            self.copied.add((resolved.container, name))

    # -- dispatch
    def apply(self, operation: Operation) -> None:
        path = operation.path
        if path is None:
            self.apply_pathless(operation)
            return
        attr_path = path.path
        if attr_path.schema is None and attr_path.sub_attr is None:
            schema = self.rt.schema_by_urn(attr_path.attr)
            if schema is not None:
                self.apply_to_extension(operation, schema)
                return
        resolved = self.rt.resolve(attr_path)
        if resolved is None:
            if attr_path.schema is not None and is_tolerated(attr_path.schema, self.tolerated):
                return
            raise InvalidPath(f"'{attr_path}' is not an attribute of {self.rt.name}")
        if path.value_filter is not None:
            self.apply_filtered(operation, resolved, path.value_filter, path.value_sub_attr)
        elif operation.op == "remove":
            self.remove(resolved, operation.value if operation.has_value else None)
        else:
            self.set_value(resolved, operation.value, operation.op == "replace", str(attr_path))

    def apply_pathless(self, operation: Operation) -> None:
        value = operation.value
        if not isinstance(value, Mapping):
            raise InvalidValue("without a 'path', 'value' must be a JSON object of attributes")
        for key, item in value.items():
            if not isinstance(key, str):
                continue
            target = self.rt.resolve_key(key)
            if target is None:
                if key.lower() == "schemas":
                    self.check_echoed_schemas(item)
                else:
                    check_unknown_key(self.rt, key, self.tolerated)
                continue
            if isinstance(target, Schema):
                if target is self.rt.schema:
                    self.apply_pathless(Operation(operation.op, None, item, operation.index))
                else:
                    self.apply_to_extension(
                        Operation(operation.op, None, item, operation.index), target
                    )
                continue
            if target.attribute.read_only and not target.extension and target.sub is None:
                self.check_echoed_read_only(target.attribute, item)
                continue
            self.set_value(target, item, operation.op == "replace", key)

    def apply_to_extension(self, operation: Operation, schema: Schema) -> None:
        if schema is self.rt.schema:
            if operation.op == "remove":
                raise NoTarget("the whole resource cannot be removed by PATCH")
            self.apply_pathless(Operation(operation.op, None, operation.value, operation.index))
            return
        if operation.op == "remove":
            self.res.pop(schema.id, None)
            return
        if operation.value is None:
            if operation.op == "replace":
                self.res.pop(schema.id, None)
            return
        if not isinstance(operation.value, Mapping):
            raise InvalidValue(f"the value for '{schema.id}' must be a JSON object")
        for key, item in operation.value.items():
            attribute = schema.attribute(key) if isinstance(key, str) else None
            if attribute is None:
                resolved = (
                    self.rt.resolve_key(f"{schema.id}:{key}") if isinstance(key, str) else None
                )
                if not isinstance(resolved, Resolved):
                    continue  # unknown attribute of a known extension: ignored, as on POST
            else:
                resolved = Resolved(schema, attribute, None, True)
            self.set_value(resolved, item, operation.op == "replace", f"{schema.id}:{key}")

    # -- echoed read-only attributes (Okta and others PATCH with the resource they read)
    def check_echoed_read_only(self, attribute: Attribute, value: Any) -> None:
        current = self.res.get(attribute.name)
        if attribute.name == "meta":
            if isinstance(value, Mapping) and isinstance(current, Mapping | None):
                current_meta = current or {}
                if all(k == "location" or current_meta.get(k) == v for k, v in value.items()):
                    return
        elif attribute.name == "id":
            if value is None or str(value) == str(current):
                return
        elif value == current or (value in (None, []) and current in (None, [])):
            return
        raise Mutability(f"'{attribute.name}' is readOnly")

    def check_echoed_schemas(self, value: Any) -> None:
        urns = [value] if isinstance(value, str) else value
        if not isinstance(urns, list):
            raise InvalidValue("'schemas' must be a list of schema URNs")
        for urn in urns:
            if not isinstance(urn, str) or (
                self.rt.schema_by_urn(urn) is None and not is_tolerated(urn, self.tolerated)
            ):
                raise InvalidValue(
                    f"'schemas' lists '{urn}', which is not a schema of {self.rt.name}"
                )

    # -- add / replace without filter
    def set_value(self, resolved: Resolved, value: Any, replace: bool, where: str) -> None:
        attribute, sub = resolved.attribute, resolved.sub
        _refuse_read_only(attribute, sub, where)
        if sub is not None:
            self.set_sub_value(resolved, attribute, sub, value, where)
            return
        current = self.current(resolved)
        if attribute.multi_valued:
            items = coerce(attribute, value, where) or []
            if replace:
                _refuse_immutable_change(attribute, current, items or None, where)
                self.store(resolved, items)
            else:
                self.store(resolved, _merge_values(attribute, current or [], items, where))
            return
        if attribute.is_complex:
            partial = coerce_single(attribute, value, where, partial=True)
            if partial is None:
                if replace:
                    _refuse_immutable_change(attribute, current, None, where)
                    self.store(resolved, None)
                return
            merged = dict(current or {})
            for name, item in partial.items():
                sub_attr = attribute.sub(name)
                if sub_attr is not None:
                    _refuse_immutable_change(sub_attr, merged.get(name), item, f"{where}.{name}")
                merged[name] = item
            _refuse_immutable_change(attribute, current, merged, where)
            self.store(resolved, merged)
            return
        coerced = coerce_single(attribute, value, where)
        if coerced is None and not replace:
            return
        _refuse_immutable_change(attribute, current, coerced, where)
        self.store(resolved, coerced)

    def set_sub_value(
        self, resolved: Resolved, attribute: Attribute, sub: Attribute, value: Any, where: str
    ) -> None:
        coerced = coerce_single(sub, value, where)
        current = self.current(resolved)
        if attribute.multi_valued:
            # `emails.type` without a filter: every value of the attribute.
            if not current:
                raise NoTarget(f"'{attribute.name}' has no values to set '{sub.name}' on")
            if sub.key == "primary" and coerced is True and len(current) > 1:
                raise InvalidValue(f"only one value of '{attribute.name}' can be primary")
            for element in current:
                _refuse_immutable_change(sub, element.get(sub.name), coerced, where)
                _set_or_pop(element, sub.name, coerced)
            self.store(resolved, [e for e in current if e])
            return
        element = dict(current or {})
        _refuse_immutable_change(sub, element.get(sub.name), coerced, where)
        _set_or_pop(element, sub.name, coerced)
        self.store(resolved, element or None)

    # -- remove without filter
    def remove(self, resolved: Resolved, value: Any) -> None:
        attribute, sub = resolved.attribute, resolved.sub
        where = str(resolved)
        _refuse_read_only(attribute, sub, where)
        current = self.current(resolved)
        if current is None:
            return
        if sub is not None:
            _refuse_immutable_change(sub, _sub_values(current, sub), None, where)
            if isinstance(current, list):
                for element in current:
                    element.pop(sub.name, None)
                self.store(resolved, [e for e in current if e])
            else:
                current.pop(sub.name, None)
                self.store(resolved, current or None)
            return
        if attribute.multi_valued and value is not None:
            listed = coerce(attribute, value, where) or []
            index = _ElementIndex(attribute, listed)
            self.store(resolved, [e for e in current if not index.contains(e)])
            return
        _refuse_immutable_change(attribute, current, None, where)
        self.store(resolved, None)

    # -- operations through a value filter: attr[filter] or attr[filter].sub
    def apply_filtered(
        self, operation: Operation, resolved: Resolved, value_filter: Filter, sub_name: str | None
    ) -> None:
        attribute = resolved.attribute
        where = str(resolved)
        sub: Attribute | None = None
        if sub_name is not None:
            sub = attribute.sub(sub_name)
            if sub is None:
                raise InvalidPath(f"'{attribute.name}' has no sub-attribute '{sub_name}'")
            where = f"{where}[...].{sub.name}"
        _refuse_read_only(attribute, sub, where)
        current: list[Any] = self.current(resolved) or []
        matched = [
            i for i, e in enumerate(current) if element_matches(value_filter, e, attribute, self.rt)
        ]
        if operation.op == "remove":
            self.store(resolved, _remove_matched(current, matched, sub, where))
            return
        if sub is not None:
            coerced = coerce_single(sub, operation.value, where)
            patch_value = {sub.name: coerced}
        else:
            coerced = coerce_single(attribute, operation.value, where, partial=True)
            if coerced is None:
                if operation.op == "replace":
                    self.store(resolved, [e for i, e in enumerate(current) if i not in matched])
                return
            patch_value = coerced
        if not matched:
            created = _element_from_filter(value_filter, attribute)
            if created is None:
                raise NoTarget(f"no value of '{attribute.name}' matches the filter")
            created.update({k: v for k, v in patch_value.items() if v is not None})
            _check_required_subs(attribute, created, where)
            current.append(created)
            matched = [len(current) - 1]
        else:
            for i in matched:
                element = current[i]
                for name, item in patch_value.items():
                    sub_attr = attribute.sub(name)
                    if sub_attr is not None:
                        _refuse_immutable_change(sub_attr, element.get(name), item, where)
                    _set_or_pop(element, name, item)
        if any(current[i].get("primary") is True for i in matched):
            if len(matched) > 1:
                raise InvalidValue(f"only one value of '{attribute.name}' can be primary")
            _clear_other_primaries(current, set(matched))
        self.store(resolved, [e for e in current if e])


class _ElementIndex:
    """Finds values of a multi-valued attribute by identity in O(1) for the common case
    (values with a string `value`): a group may have 50,000 members."""

    def __init__(self, attribute: Attribute, items: list[Any]) -> None:
        self.attribute = attribute
        value_sub = attribute.sub("value") if attribute.is_complex else None
        self.case_exact = value_sub.case_exact if value_sub is not None else True
        self.items = items
        self.by_value: dict[str, list[int]] = {}
        self.others: list[int] = []
        for position, item in enumerate(items):
            self.add(position, item)

    def add(self, position: int, item: Any) -> None:
        key = self._key(item)
        if key is None:
            self.others.append(position)
        else:
            self.by_value.setdefault(key, []).append(position)

    def _key(self, element: Any) -> str | None:
        if not isinstance(element, Mapping):
            return None
        value = element.get("value")
        return fold(value, self.case_exact) if isinstance(value, str) else None

    def find(self, element: Any) -> int | None:
        """The position of a value that is the same entry as `element`, or None."""
        key = self._key(element)
        candidates = self.by_value.get(key, []) if key is not None else []
        for position in (*candidates, *self.others):
            if same_element(self.attribute, self.items[position], element):
                return position
        return None

    def contains(self, element: Any) -> bool:
        return self.find(element) is not None


def _merge_values(
    attribute: Attribute, current: list[Any], items: list[Any], where: str
) -> list[Any]:
    """`add` to a multi-valued attribute: append new values, merge those already there."""
    index = _ElementIndex(attribute, current)
    touched: set[int] = set()
    for item in items:
        position = index.find(item)
        if position is None:
            current.append(item)
            position = len(current) - 1
            index.add(position, item)
        elif isinstance(item, Mapping):
            element = current[position]
            for name, value in item.items():
                sub = attribute.sub(name)
                if sub is not None:
                    _refuse_immutable_change(sub, element.get(name), value, where)
                element[name] = value
        touched.add(position)
    primaries = {
        i for i in touched if isinstance(current[i], Mapping) and current[i].get("primary") is True
    }
    if len(primaries) > 1:
        raise InvalidValue(f"only one value of '{attribute.name}' can be primary")
    if primaries:
        _clear_other_primaries(current, primaries)
    return current


def _clear_other_primaries(values: list[Any], keep: set[int]) -> None:
    for i, element in enumerate(values):
        if i not in keep and isinstance(element, dict) and element.get("primary") is True:
            del element["primary"]


def _remove_matched(
    current: list[Any], matched: list[int], sub: Attribute | None, where: str
) -> list[Any]:
    if sub is None:
        chosen = set(matched)
        return [e for i, e in enumerate(current) if i not in chosen]
    for i in matched:
        _refuse_immutable_change(sub, current[i].get(sub.name), None, where)
        current[i].pop(sub.name, None)
    return [e for e in current if e]


def _element_from_filter(value_filter: Filter, attribute: Attribute) -> dict[str, Any] | None:
    """The value described by a filter made only of `sub eq literal` terms joined by `and`."""
    element: dict[str, Any] = {}
    terms: list[Filter] = [value_filter]
    while terms:
        term = terms.pop()
        if isinstance(term, And):
            terms.extend((term.left, term.right))
            continue
        if not isinstance(term, Compare) or term.op != "eq" or term.value is None:
            return None
        sub = attribute.sub(term.path.attr)
        if sub is None or sub.read_only:
            return None
        element[sub.name] = coerce_single(sub, term.value, f"{attribute.name}.{sub.name}")
    return element


def _check_required_subs(attribute: Attribute, element: Mapping[str, Any], where: str) -> None:
    for sub in attribute.sub_attributes:
        if sub.required and element.get(sub.name) is None:
            raise InvalidValue(f"'{where}': a new value of '{attribute.name}' needs '{sub.name}'")


def _refuse_read_only(attribute: Attribute, sub: Attribute | None, where: str) -> None:
    if attribute.read_only or (sub is not None and sub.read_only):
        raise Mutability(f"'{where}' is readOnly")


def _refuse_immutable_change(attribute: Attribute, before: Any, after: Any, where: str) -> None:
    """An immutable attribute may be set while unassigned, never changed (RFC 7644 §3.5.2)."""
    if attribute.mutability != "immutable" or before in (None, [], {}):
        return
    if before != after:
        raise Mutability(f"'{where}' is immutable and already has a value")


def _sub_values(current: Any, sub: Attribute) -> Any:
    if isinstance(current, list):
        values = [e.get(sub.name) for e in current if isinstance(e, Mapping)]
        return [v for v in values if v is not None] or None
    return current.get(sub.name) if isinstance(current, Mapping) else None


def _set_or_pop(element: dict[str, Any], name: str, value: Any) -> None:
    if value is None:
        element.pop(name, None)
    else:
        element[name] = value


# -- group membership without loading the group


def member_change(operations: Sequence[Operation]) -> MemberChange | None:
    """The operations as a MemberChange when they only edit Group `members` in simple forms.

    Recognised: add `members` (path or path-less `{"members": [...]}`), remove `members` with a
    value list, remove `members[value eq "x"]` (or `or`-ed such terms), remove `members` (all),
    replace `members` with a list. Anything else gives None (apply the full PATCH instead).
    The result has disjoint `add` and `remove`; `replace` excludes both; `remove_all` comes
    with the `add` that followed it.
    """
    members = GROUP_TYPE.schema.attribute("members")
    assert members is not None
    adds: dict[str, dict[str, Any]] = {}
    removes: dict[str, None] = {}
    replace: dict[str, dict[str, Any]] | None = None
    remove_all = False
    for operation in operations:
        parsed = _member_operation(operation, members)
        if parsed is None:
            return None
        kind, listed = parsed
        if kind == "replace":
            replace = {m["value"]: m for m in listed}
            adds, removes, remove_all = {}, {}, False
        elif kind == "remove_all":
            replace = None
            adds, removes, remove_all = {}, {}, True
        elif kind == "add":
            for member in listed:
                if replace is not None:
                    replace[member["value"]] = member
                else:
                    removes.pop(member["value"], None)
                    adds[member["value"]] = member
        else:
            for member in listed:
                if replace is not None:
                    replace.pop(member["value"], None)
                else:
                    adds.pop(member["value"], None)
                    if not remove_all:
                        removes[member["value"]] = None
    if replace is not None:
        return MemberChange(replace=tuple(replace.values()))
    return MemberChange(add=tuple(adds.values()), remove=tuple(removes), remove_all=remove_all)


def _member_operation(
    operation: Operation, members: Attribute
) -> tuple[str, list[dict[str, Any]]] | None:
    path = operation.path
    value = operation.value
    where = "members"
    if path is None:
        if operation.op == "remove" or not isinstance(value, Mapping) or len(value) != 1:
            return None
        key, value = next(iter(value.items()))
        if not isinstance(key, str) or GROUP_TYPE.resolve_key(key) != _MEMBERS_RESOLVED:
            return None
    elif GROUP_TYPE.resolve(path.path) != _MEMBERS_RESOLVED or path.value_sub_attr is not None:
        return None
    if path is not None and path.value_filter is not None:
        ids = _member_ids_from_filter(path.value_filter)
        if operation.op != "remove" or ids is None:
            return None
        return "remove", [{"value": i} for i in ids]
    # Keycloak's plugin empties a group with `"value": null`: the same as no value.
    if operation.op == "remove" and (not operation.has_value or value is None):
        return "remove_all", []
    return operation.op, coerce(members, value, where) or []


def _member_ids_from_filter(value_filter: Filter) -> list[str] | None:
    """Member ids of `value eq "x"` terms joined by `or`; None for any other filter."""
    ids: list[str] = []
    terms: list[Filter] = [value_filter]
    while terms:
        term = terms.pop()
        if isinstance(term, Or):
            terms.extend((term.right, term.left))
            continue
        if (
            not isinstance(term, Compare)
            or term.op != "eq"
            or term.path.key != (None, "value", None)
            or not isinstance(term.value, str)
        ):
            return None
        ids.append(term.value)
    return ids


_MEMBERS_RESOLVED = GROUP_TYPE.resolve(AttrPath("members"))
