"""An in-memory ResourceStore: the reference implementation of store.py, used by tests.

Thread-safe (one lock), with weak ETags that change on every real change, case-insensitive
uniqueness of userName and of Group displayName (trimmed), and the list semantics a real store
follows:
- filters evaluate as filter.matches does;
- sortBy compares like filters (caseExact, dateTime as instants); a multi-valued attribute
  sorts by its primary value, else its first; resources without a value come last in both
  orders; ties keep creation order;
- `skip` attributes are left out of listed resources (the filter still sees them).
User `groups` are computed from group memberships (type "direct"); member `display` and
`type` are filled from the member resource. Ids are numeric strings unique across types.
"""

from __future__ import annotations

import builtins
import copy
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from glpi_scim.scim.ast import AttrPath
from glpi_scim.scim.errors import InvalidValue, NotFound, PreconditionFailed, Uniqueness
from glpi_scim.scim.evaluate import matches
from glpi_scim.scim.schemas import ResourceType, resource_type
from glpi_scim.scim.store import (
    GROUP,
    USER,
    ListQuery,
    MemberChange,
    MemberReply,
    Mutation,
    Page,
    Preview,
    Resource,
)
from glpi_scim.scim.values import etag_matches, fold, format_datetime, get_ci, parse_datetime

_DERIVED = ("id", "meta", "groups")


class InMemoryStore:
    def __init__(self, *, clock: Callable[[], datetime] | None = None) -> None:
        self._lock = threading.RLock()
        self._data: dict[str, dict[str, Resource]] = {USER: {}, GROUP: {}}
        self._next_id = 1
        self._next_version = 1
        self._clock = clock or (lambda: datetime.now(timezone.utc))

    # -- ResourceStore
    def get(
        self, resource_type: str, resource_id: str, *, skip: frozenset[str] = frozenset()
    ) -> Resource:
        with self._lock:
            rt = self._type(resource_type)
            return _without(self._read(rt, self._stored(rt, resource_id)), skip)

    def list(self, resource_type: str, query: ListQuery) -> Page:
        with self._lock:
            rt = self._type(resource_type)
            resources = [self._read(rt, stored) for stored in self._data[rt.name].values()]
        if query.filter is not None:
            resources = [r for r in resources if matches(query.filter, r, rt)]
        if query.sort_by is not None:
            resources = sort_resources(resources, rt, query.sort_by, query.descending)
        start = query.start_index - 1
        page = resources[start : start + query.count]
        return Page(len(resources), [_without(r, query.skip) for r in page])

    def create(self, resource_type: str, resource: Resource) -> Resource:
        with self._lock:
            rt = self._type(resource_type)
            data = self._clean(rt, resource, None)
            self._check_unique(rt, data, None)
            resource_id = str(self._next_id)
            self._next_id += 1
            now = format_datetime(self._clock())
            data["id"] = resource_id
            data["meta"] = {
                "resourceType": rt.name,
                "created": now,
                "lastModified": now,
                "version": self._new_version(),
            }
            self._data[rt.name][resource_id] = data
            return self._read(rt, data)

    def update(
        self,
        resource_type: str,
        resource_id: str,
        mutate: Mutation,
        *,
        if_match: str | None = None,
        preview: Preview | None = None,
    ) -> Resource:
        del preview  # nothing to read ahead in memory
        with self._lock:
            rt = self._type(resource_type)
            stored = self._stored(rt, resource_id)
            _check_version(stored, if_match)
            current = self._read(rt, stored)
            new = mutate(copy.deepcopy(current))
            data = self._clean(rt, new, resource_id)
            if data == self._clean(rt, current, resource_id):
                return current  # nothing changed: same version (RFC 7644 §3.5.2)
            self._check_unique(rt, data, resource_id)
            self._save(rt, resource_id, data, stored["meta"])
            return self._read(rt, self._data[rt.name][resource_id])

    def change_members(
        self,
        group_id: str,
        change: MemberChange,
        *,
        if_match: str | None = None,
        reply: MemberReply | None = None,
    ) -> Resource | None:
        """Applies `replace` or `remove_all` first, then `remove`, then `add`."""
        with self._lock:
            rt = self._type(GROUP)
            stored = self._stored(rt, group_id)
            _check_version(stored, if_match)
            before = list(stored.get("members") or [])
            members = {m["value"]: m for m in before}
            if change.replace is not None:
                members = {m["value"]: m for m in self._members(change.replace, group_id)}
            elif change.remove_all:
                members = {}
            for member_id in change.remove:
                members.pop(member_id, None)
            for member in self._members(change.add, group_id):
                members.setdefault(member["value"], member)
            after = list(members.values())
            if after != before:
                data = {k: v for k, v in stored.items() if k not in _DERIVED and k != "members"}
                if after:
                    data["members"] = after
                self._save(rt, group_id, data, stored["meta"])
            if reply is None or not reply.wants(len(after)):
                return None
            return self.get(GROUP, group_id, skip=reply.skip)

    def delete(self, resource_type: str, resource_id: str, *, if_match: str | None = None) -> None:
        with self._lock:
            rt = self._type(resource_type)
            stored = self._stored(rt, resource_id)
            _check_version(stored, if_match)
            del self._data[rt.name][resource_id]
            for group_id, group in list(self._data[GROUP].items()):
                members = group.get("members") or []
                kept = [m for m in members if m["value"] != resource_id]
                if len(kept) != len(members):
                    data = {k: v for k, v in group.items() if k not in _DERIVED and k != "members"}
                    if kept:
                        data["members"] = kept
                    self._save(self._type(GROUP), group_id, data, group["meta"])

    # -- internals
    def _type(self, name: str) -> ResourceType:
        try:
            return resource_type(name)
        except ValueError:
            raise NotFound(f"no resource type {name!r}") from None

    def _stored(self, rt: ResourceType, resource_id: str) -> Resource:
        stored = self._data[rt.name].get(resource_id)
        if stored is None:
            raise NotFound(f"{rt.name} {resource_id} not found")
        return stored

    def _new_version(self) -> str:
        version = f'W/"{self._next_version}"'
        self._next_version += 1
        return version

    def _save(
        self, rt: ResourceType, resource_id: str, data: Resource, meta: Mapping[str, Any]
    ) -> None:
        data["id"] = resource_id
        data["meta"] = {
            **meta,
            "lastModified": format_datetime(self._clock()),
            "version": self._new_version(),
        }
        self._data[rt.name][resource_id] = data

    def _clean(self, rt: ResourceType, resource: Resource, resource_id: str | None) -> Resource:
        data = {k: copy.deepcopy(v) for k, v in resource.items() if k not in _DERIVED}
        if "schemas" not in data:
            data["schemas"] = [rt.schema.id]
        if rt.name == GROUP:
            members = self._members(data.get("members") or [], resource_id)
            if members:
                data["members"] = members
            else:
                data.pop("members", None)
        return data

    def _members(
        self, members: Iterable[Mapping[str, Any]], group_id: str | None
    ) -> builtins.list[Resource]:
        out: dict[str, Resource] = {}
        for member in members:
            member_id = member.get("value")
            if not isinstance(member_id, str):
                raise InvalidValue("a group member needs a 'value'")
            if member_id == group_id:
                raise InvalidValue("a group cannot be a member of itself")
            if member_id in self._data[USER]:
                kind = USER
            elif member_id in self._data[GROUP]:
                kind = GROUP
            else:
                raise InvalidValue(f"member {member_id!r} is neither a User nor a Group")
            out.setdefault(member_id, {"value": member_id, "type": kind})
        return list(out.values())

    def _check_unique(self, rt: ResourceType, data: Resource, resource_id: str | None) -> None:
        name = "userName" if rt.name == USER else "displayName"
        value = data.get(name)
        if not isinstance(value, str):
            return
        key = fold(value.strip(), case_exact=False)
        for other_id, other in self._data[rt.name].items():
            other_value = other.get(name)
            if (
                other_id != resource_id
                and isinstance(other_value, str)
                and fold(other_value.strip(), case_exact=False) == key
            ):
                raise Uniqueness(f"{name} {value!r} is already taken")

    def _read(self, rt: ResourceType, stored: Resource) -> Resource:
        resource = copy.deepcopy(stored)
        if rt.name == USER:
            groups = [
                {"value": gid, "display": g.get("displayName"), "type": "direct"}
                for gid, g in self._data[GROUP].items()
                if any(m["value"] == stored["id"] for m in g.get("members") or [])
            ]
            if groups:
                resource["groups"] = groups
        elif resource.get("members"):
            for member in resource["members"]:
                target = self._data[member["type"]].get(member["value"], {})
                display = target.get("displayName") or target.get("userName")
                if display:
                    member["display"] = display
        return resource


def _without(resource: Resource, skip: frozenset[str]) -> Resource:
    if not skip:
        return resource
    return {k: v for k, v in resource.items() if k.lower() not in skip}


def _check_version(stored: Resource, if_match: str | None) -> None:
    if if_match is None:
        return
    if not etag_matches(if_match, stored["meta"]["version"]):
        raise PreconditionFailed("the resource changed since the version given in If-Match")


def sort_resources(
    resources: Sequence[Resource], rt: ResourceType, path: AttrPath, descending: bool
) -> list[Resource]:
    resolved = rt.resolve(path)
    if resolved is None:
        return list(resources)
    keyed = [
        (_sort_key(r, resolved.schema.id if resolved.extension else None, path), r)
        for r in resources
    ]
    present = [(k, r) for k, r in keyed if k is not None]
    missing = [r for k, r in keyed if k is None]
    case_exact = (resolved.sub or resolved.attribute).case_exact
    kind = (resolved.sub or resolved.attribute).type

    def order(item: tuple[Any, Resource]) -> Any:
        value = item[0]
        if kind == "dateTime" and isinstance(value, str):
            return parse_datetime(value) or datetime.min.replace(tzinfo=timezone.utc)
        if isinstance(value, str):
            return fold(value, case_exact)
        return value

    present.sort(key=order, reverse=descending)
    return [r for _, r in present] + missing


def _sort_key(resource: Resource, container: str | None, path: AttrPath) -> Any:
    holder = get_ci(resource, container) if container else resource
    value = get_ci(holder, path.attr)
    if isinstance(value, list):
        if not value:
            return None
        primary = next(
            (v for v in value if isinstance(v, Mapping) and v.get("primary") is True), value[0]
        )
        value = primary
    if path.sub_attr is not None:
        value = get_ci(value, path.sub_attr)
    return None if value is None or value == "" else value
