"""`attributes` / `excludedAttributes` (RFC 7644 §3.9) and the `returned` characteristic
(RFC 7643 §2.2) applied to resources on output.

- `always` attributes (`id`) and `schemas` are always returned; `never` ones (`password`)
  never are.
- Without `attributes`, `default` and `always` attributes are returned, minus the excluded
  ones (an `always` attribute cannot be excluded).
- With `attributes`, only those (whole attributes, sub-attributes or a whole extension by its
  URN) plus the `always` ones are returned; `request` attributes only come this way.
- Names the resource type does not know are ignored.

A `Projection` is compiled once per set of parameters (`projection_for`) and applied to every
resource of a list.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

from glpi_scim.scim.ast import AttrPath
from glpi_scim.scim.attributes import Attribute, Schema
from glpi_scim.scim.schemas import ResourceType, resource_type
from glpi_scim.scim.store import Resource

# Per attribute: None = the whole value, else the sub-attribute names kept.
_Rule = frozenset[str] | None
_Plan = dict[str, tuple[Attribute, _Rule]]  # lower-case attribute name -> (definition, rule)

_NEVER_SKIPPED = frozenset({"id", "meta"})


class Projection:
    """Which attributes of a resource type a response carries."""

    def __init__(
        self,
        resource_type_: str | ResourceType,
        attributes: Sequence[AttrPath] = (),
        excluded: Sequence[AttrPath] = (),
    ) -> None:
        self.rt = rt = resource_type(resource_type_)
        requested = _requested(rt, attributes)
        removed = _requested(rt, excluded) if not attributes else {}
        self.core: _Plan = _plan(rt.core_attributes(), None, requested, removed, bool(attributes))
        self.extensions: dict[str, tuple[Schema, _Plan]] = {}
        for schema in rt.extensions:
            plan = _plan(schema.attributes, schema.id, requested, removed, bool(attributes))
            if plan:
                self.extensions[schema.key] = (schema, plan)

    @property
    def skip(self) -> frozenset[str]:
        """Lower-case top-level names (and extension URNs) this projection never returns."""
        names = {a.key for a in self.rt.core_attributes()} - set(self.core) - _NEVER_SKIPPED
        names |= {s.key for s in self.rt.extensions if s.key not in self.extensions}
        return frozenset(names)

    def __call__(self, resource: Mapping[str, Any]) -> Resource:
        out: Resource = {"schemas": []}
        if "id" in resource:
            out["id"] = resource["id"]
        for key, value in resource.items():
            lowered = key.lower()
            if lowered == "schemas" or value is None or value == [] or value == {}:
                continue
            extension = self.extensions.get(lowered)
            if extension is not None:
                if isinstance(value, Mapping):
                    kept = _apply(extension[1], value)
                    if kept:
                        out[extension[0].id] = kept
                continue
            entry = self.core.get(lowered)
            if entry is not None:
                out[entry[0].name] = _project_value(entry[0], entry[1], value)
        schemas = resource.get("schemas") or [self.rt.schema.id]
        out["schemas"] = [
            s
            for s in schemas
            if self.rt.schema_by_urn(s) is self.rt.schema or s in out or s.lower() in out
        ]
        return out


@functools.lru_cache(maxsize=512)
def projection_for(
    resource_type_: str | ResourceType,
    attributes: tuple[AttrPath, ...] = (),
    excluded: tuple[AttrPath, ...] = (),
) -> Projection:
    """The Projection of these parameters, built once: nearly every request of an IdP asks for
    the same few, and a plan costs more than applying it. A Projection is never changed."""
    return Projection(resource_type_, attributes, excluded)


def project(
    resource: Mapping[str, Any],
    resource_type_: str | ResourceType,
    attributes: Sequence[AttrPath] = (),
    excluded: Sequence[AttrPath] = (),
) -> Resource:
    """One resource with attributes/excludedAttributes and `returned` applied."""
    return projection_for(resource_type_, tuple(attributes), tuple(excluded))(resource)


def skipped_attributes(
    resource_type_: str | ResourceType,
    attributes: Sequence[AttrPath] = (),
    excluded: Sequence[AttrPath] = (),
) -> frozenset[str]:
    """For ListQuery.skip: top-level attributes a response with these parameters omits."""
    return projection_for(resource_type_, tuple(attributes), tuple(excluded)).skip


_ALL: frozenset[str] = frozenset({"*"})


def _requested(
    rt: ResourceType, paths: Sequence[AttrPath]
) -> dict[tuple[str | None, str], set[str]]:
    """(container, attribute key) -> requested sub-attribute keys, or {"*"} for the whole."""
    out: dict[tuple[str | None, str], set[str]] = {}
    for path in paths:
        if path.schema is None and path.sub_attr is None:
            schema = rt.schema_by_urn(path.attr)
            if schema is not None:
                container = None if schema is rt.schema else schema.id
                attrs = rt.core_attributes() if schema is rt.schema else schema.attributes
                for attribute in attrs:
                    out[(container, attribute.key)] = set(_ALL)
                continue
        resolved = rt.resolve(path)
        if resolved is None:
            continue
        key = (resolved.container, resolved.attribute.key)
        subs = out.setdefault(key, set())
        subs.add(resolved.sub.key if resolved.sub is not None else "*")
    return out


def _plan(
    attributes: Sequence[Attribute],
    container: str | None,
    requested: Mapping[tuple[str | None, str], set[str]],
    removed: Mapping[tuple[str | None, str], set[str]],
    only_requested: bool,
) -> _Plan:
    plan: _Plan = {}
    for attribute in attributes:
        if attribute.returned == "never":
            continue
        key = (container, attribute.key)
        if attribute.returned == "always":
            plan[attribute.key] = (attribute, _subs(attribute, None, None))
        elif only_requested:
            asked = requested.get(key)
            if asked is not None:
                plan[attribute.key] = (attribute, _subs(attribute, asked, None))
        elif attribute.returned == "default":
            dropped = removed.get(key)
            if dropped is not None and "*" in dropped:
                continue
            plan[attribute.key] = (attribute, _subs(attribute, None, dropped))
    return plan


def _subs(attribute: Attribute, asked: set[str] | None, dropped: set[str] | None) -> _Rule:
    """The sub-attributes kept, or None when the value is kept whole."""
    if not attribute.sub_attributes:
        return None
    kept: set[str] = set()
    whole = True
    for sub in attribute.sub_attributes:
        if sub.returned == "never":
            whole = False
            continue
        if (
            asked is not None
            and "*" not in asked
            and sub.key not in asked
            and sub.returned != "always"
        ):
            whole = False
            continue
        if dropped is not None and sub.key in dropped and sub.returned != "always":
            whole = False
            continue
        if asked is None and sub.returned == "request":
            whole = False
            continue
        kept.add(sub.key)
    return None if whole else frozenset(kept)


def _apply(plan: _Plan, data: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        entry = plan.get(key.lower())
        if entry is not None and value is not None and value != [] and value != {}:
            out[entry[0].name] = _project_value(entry[0], entry[1], value)
    return out


def _project_value(attribute: Attribute, rule: _Rule, value: Any) -> Any:
    if rule is None:
        return value
    if isinstance(value, list):
        kept = [_keep(rule, v) for v in value]
        return [v for v in kept if v]
    return _keep(rule, value)


def _keep(rule: frozenset[str], value: Any) -> Any:
    if not isinstance(value, Mapping):
        return value
    return {k: v for k, v in value.items() if k.lower() in rule}
