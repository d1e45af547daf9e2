"""SCIM attributes <-> GLPI columns: one declaration for reads, writes and filters.

A User or Group resource is split into what GLPI has a column for (glpi_users, glpi_useremails,
glpi_usertitles, ...) and the rest, which is kept verbatim in the tool's per-server resource row
so that a GET returns what the identity provider sent. Reading joins them back, GLPI's columns
winning: a value changed in GLPI's UI shows through SCIM.

Pure functions and data only: the SQL lives in users.py, groups.py and sqlfilter.py.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from glpi_scim.glpi import ids as resource_ids
from glpi_scim.glpi.attributes import registry
from glpi_scim.glpi.attributes.active import ACTIVE_UNASSIGNED as ACTIVE_UNASSIGNED
from glpi_scim.glpi.attributes.active import (
    ACTIVE_UNASSIGNED_INACTIVE as ACTIVE_UNASSIGNED_INACTIVE,
)
from glpi_scim.glpi.attributes.active import MARKERS
from glpi_scim.glpi.attributes.column import TextColumn, text_value
from glpi_scim.glpi.attributes.emails import EmailValue as EmailValue
from glpi_scim.glpi.attributes.registry import BY_KEY, LOGIN, RENDERS_SENT, TEXT_COLUMNS
from glpi_scim.glpi.attributes.registry import PHONES as PHONES
from glpi_scim.glpi.validation import check_length, is_id_text
from glpi_scim.scim.errors import InvalidValue
from glpi_scim.scim.schemas import ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA
from glpi_scim.scim.store import GROUP, USER, Resource
from glpi_scim.scim.values import format_datetime, get_ci

ENTERPRISE = ENTERPRISE_USER_SCHEMA

# SCIM attribute -> glpi_users text column, from the registry (glpi/attributes/registry.py).
USER_TEXT: dict[tuple[str | None, str, str | None], TextColumn] = {
    column.key: column for column in (LOGIN, *TEXT_COLUMNS)
}

# Top-level User attributes with a GLPI home (wholly or partly) and not kept as sent; everything
# else is verbatim.
_USER_OWNED = frozenset(
    {"id", "meta", "schemas", "externalId", "password", "groups", *MARKERS}
    | {attr for container, attr, _ in BY_KEY if container is None and attr not in RENDERS_SENT}
) - {"name"}
# Sub-attributes of `name` and of the enterprise extension that have a GLPI home.
_NAME_OWNED = frozenset(sub.lower() for container, attr, sub in BY_KEY if attr == "name" and sub)
_ENTERPRISE_OWNED = frozenset(
    attr.lower() for container, attr, _ in BY_KEY if container == ENTERPRISE
)
# What the stored copy leaves to the declarations (and to the two containers they write into).
_NOT_COPIED = frozenset({"name", ENTERPRISE, *MARKERS} | RENDERS_SENT)
_GROUP_OWNED = frozenset({"id", "meta", "schemas", "externalId", "displayName", "members"})


# ---------------------------------------------------------------------------------------------
# Writing: a validated SCIM resource -> GLPI values
# ---------------------------------------------------------------------------------------------


@dataclass
class UserValues:
    """What a User resource asks GLPI to hold (texts decoded; encoding happens on write)."""

    values: dict[str, Any]  # by declaration name (registry.USER)
    password: str | None
    external_id: str | None
    stored: dict[str, Any]  # verbatim attributes for the tool's resource row

    @property
    def login(self) -> str:
        return str(self.values[LOGIN.name])

    @property
    def active(self) -> bool | None:
        """None: unassigned (see attributes/active.py)."""
        active: bool | None = self.values[registry.ACTIVE.name]
        return active


_text = text_value


def _stored_user(resource: Mapping[str, Any]) -> dict[str, Any]:
    stored: dict[str, Any] = {}
    for key, value in resource.items():
        if key in _USER_OWNED:
            continue
        if key == "name" and isinstance(value, Mapping):
            rest = {k: v for k, v in value.items() if k.lower() not in _NAME_OWNED}
            if rest:
                stored[key] = copy.deepcopy(rest)
        elif key.lower() == ENTERPRISE.lower() and isinstance(value, Mapping):
            rest = {k: v for k, v in value.items() if k.lower() not in _ENTERPRISE_OWNED}
            if rest:
                stored[ENTERPRISE] = copy.deepcopy(rest)
        else:
            stored[key] = copy.deepcopy(value)
    return stored


def split_user(resource: Mapping[str, Any]) -> UserValues:
    """The GLPI values of a validated User resource; InvalidValue for what GLPI cannot hold."""
    values = {declared.name: declared.split(resource) for declared in registry.USER}
    password = get_ci(resource, "password")
    if password is not None and not isinstance(password, str):
        raise InvalidValue("password must be a string")
    external_id = _text(get_ci(resource, "externalId"), "externalId")
    if external_id is not None:
        check_length("externalId", external_id)
    stored = _stored_user(resource)
    for declared in registry.USER:
        declared.mark(values[declared.name], stored)
    return UserValues(values=values, password=password, external_id=external_id, stored=stored)


@dataclass
class GroupValues:
    name: str
    member_ids: list[int]  # the whole membership: a resource without `members` has none
    external_id: str | None
    stored: dict[str, Any]


def member_id(entry: Any) -> int:
    """The GLPI user id a `members` value names; InvalidValue for anything else."""
    if isinstance(entry, Mapping):
        kind = entry.get("type")
        if isinstance(kind, str) and kind.lower() == "group":
            raise InvalidValue("members: GLPI groups cannot contain groups, only users")
        value = entry.get("value")
    else:
        value = entry
    text = _text(value, "members.value")
    if text is None or not is_id_text(text):
        raise InvalidValue(f"members: {value!r} is not the id of a user of this GLPI")
    return int(text)


def member_ids(values: Any) -> list[int]:
    ids: dict[int, None] = {}
    for entry in values if isinstance(values, list) else []:
        ids[member_id(entry)] = None
    return list(ids)


def removed_ids(values: Sequence[Any]) -> list[int]:
    """The GLPI ids a member edit removes: a value that is no id names no member (no change)."""
    return [int(value) for value in values if is_id_text(str(value))]


def group_name(value: Any) -> str:
    name = _text(value, "displayName")
    name = name.strip() if name else ""
    if not name:
        raise InvalidValue("displayName is required and must not be blank")
    check_length("displayName", name)
    return name


def split_group(resource: Mapping[str, Any]) -> GroupValues:
    external_id = _text(get_ci(resource, "externalId"), "externalId")
    if external_id is not None:
        check_length("externalId", external_id)
    return GroupValues(
        name=group_name(get_ci(resource, "displayName")),
        member_ids=member_ids(get_ci(resource, "members")),
        external_id=external_id,
        stored={k: copy.deepcopy(v) for k, v in resource.items() if k not in _GROUP_OWNED},
    )


# ---------------------------------------------------------------------------------------------
# Reading: GLPI rows -> a SCIM resource
# ---------------------------------------------------------------------------------------------


@dataclass
class UserRecord:
    """A user as read from GLPI (texts decoded) and from the tool's row for this server."""

    id: int
    values: dict[str, Any]  # by declaration name (registry.USER)
    date_creation: datetime | None
    date_mod: datetime | None
    groups: list[tuple[int, str]] | None = None  # None: not read
    membership: tuple[int, ...] = ()  # changes whenever its memberships change
    external_id: str | None = None
    stored: dict[str, Any] = field(default_factory=dict)


@dataclass
class GroupRecord:
    id: int
    name: str
    date_creation: datetime | None
    date_mod: datetime | None
    members: list[tuple[int, str]] | None = None  # (user id, display name); None: not read
    membership: tuple[int, ...] = ()
    external_id: str | None = None
    stored: dict[str, Any] = field(default_factory=dict)


def user_resource(record: UserRecord) -> Resource:
    """The SCIM User for a GLPI user, `meta` included (without `location`)."""
    stored = record.stored
    out: dict[str, Any] = {"schemas": [USER_SCHEMA], "id": resource_ids.user_id(record.id)}
    if record.external_id is not None:
        out["externalId"] = record.external_id
    name = dict(stored.get("name") or {})
    if name:
        out["name"] = name
    for key, value in stored.items():
        if key not in _NOT_COPIED:
            out[key] = copy.deepcopy(value)
    enterprise = copy.deepcopy(stored.get(ENTERPRISE) or {})
    if enterprise:
        out[ENTERPRISE] = enterprise
    # GLPI's values over what was sent: a value changed in GLPI's UI shows through.
    for declared in registry.USER:
        declared.render(record.values[declared.name], out, stored)
    if record.groups:
        out["groups"] = [
            {"value": resource_ids.group_id(gid), "display": name, "type": "direct"}
            for gid, name in record.groups
        ]
    enterprise = out.pop(ENTERPRISE, {})
    if enterprise:
        out[ENTERPRISE] = enterprise
        out["schemas"] = [USER_SCHEMA, ENTERPRISE]
    out["meta"] = meta(USER, record.date_creation, record.date_mod, out, record.membership)
    return out


def group_resource(record: GroupRecord) -> Resource:
    out: dict[str, Any] = {"schemas": [GROUP_SCHEMA], "id": resource_ids.group_id(record.id)}
    if record.external_id is not None:
        out["externalId"] = record.external_id
    out["displayName"] = record.name
    for key, value in record.stored.items():
        out[key] = copy.deepcopy(value)
    if record.members:
        out["members"] = [
            {"value": str(uid), "type": "User", "display": name} for uid, name in record.members
        ]
    out["meta"] = meta(GROUP, record.date_creation, record.date_mod, out, record.membership)
    return out


# Attributes left out of the version hash: they are read from other rows, and a change to them
# shows in the membership fingerprint instead (so that a page need not read them to be versioned).
_UNVERSIONED = frozenset({"meta", "groups", "members"})


def version(resource: Mapping[str, Any], membership: tuple[int, ...]) -> str:
    """A weak ETag: hash of the representation and of the membership fingerprint.

    The membership fingerprint (a user's: count and highest row id of its links; a group's:
    see memberships.fingerprint_columns) changes whenever a membership is added or removed,
    since ids only grow; a resource whose members were read or skipped gets the same version.
    """
    body = {k: v for k, v in resource.items() if k not in _UNVERSIONED}
    payload = json.dumps([body, list(membership)], sort_keys=True, ensure_ascii=False)
    digest = hashlib.sha256(payload.encode("utf-8")).hexdigest()[:20]
    return f'W/"{digest}"'


def meta(
    resource_type: str,
    created: datetime | None,
    modified: datetime | None,
    resource: Mapping[str, Any],
    membership: tuple[int, ...],
) -> dict[str, Any]:
    out: dict[str, Any] = {"resourceType": resource_type}
    first = created or modified
    last = modified or created
    if first is not None:
        out["created"] = format_datetime(_utc(first))
    if last is not None:
        out["lastModified"] = format_datetime(_utc(last))
    out["version"] = version(resource, membership)
    return out


def _utc(moment: datetime) -> datetime:
    from datetime import timezone

    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment
