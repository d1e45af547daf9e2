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

from glpi_scim.glpi import history, languages
from glpi_scim.glpi import ids as resource_ids
from glpi_scim.glpi.attributes.column import TextColumn, sub_value, text_value
from glpi_scim.glpi.attributes.registry import BY_KEY, DROPDOWNS, LOGIN, TEXT_COLUMNS
from glpi_scim.glpi.attributes.registry import PHONES as PHONES
from glpi_scim.glpi.validation import (
    MAX_TEXT,
    check_email,
    check_length,
    check_login,
    is_id_text,
)
from glpi_scim.scim.errors import InvalidValue
from glpi_scim.scim.schemas import ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA
from glpi_scim.scim.store import GROUP, USER, Resource
from glpi_scim.scim.values import format_datetime, get_ci

ENTERPRISE = ENTERPRISE_USER_SCHEMA


@dataclass(frozen=True)
class Column:
    """A glpi_users column with rules of its own (is_active, language)."""

    column: str
    option: int | None
    max_length: int = MAX_TEXT


# SCIM attribute -> glpi_users column, from the registry (glpi/attributes/registry.py).
USER_TEXT: dict[tuple[str | None, str, str | None], TextColumn] = {
    column.key: column for column in (LOGIN, *TEXT_COLUMNS)
}
ACTIVE = Column("is_active", history.USER_ACTIVE)
LANGUAGE = Column("language", history.USER_LANGUAGE, 10)
SUPERVISOR_OPTION = history.USER_SUPERVISOR

# Key of the tool's resource row marking `active` as unassigned while glpi_users.is_active is 1.
# Not a valid SCIM attribute name (RFC 7643 §2.1), so it never meets one sent by a client.
ACTIVE_UNASSIGNED = "#activeUnassigned"
# The same while glpi_users.is_active is 0: `active` was removed from an inactive account, which
# stays inactive (unassigned never re-enables). A later change of is_active in GLPI shows.
ACTIVE_UNASSIGNED_INACTIVE = "#activeUnassignedInactive"

# Top-level User attributes with a GLPI home (wholly or partly); everything else is verbatim.
_USER_OWNED = frozenset(
    {"id", "meta", "schemas", "externalId", "active", "password", "groups"}
    | {attr for container, attr, sub in BY_KEY if container is None and sub is None}
)
# Sub-attributes of `name` and of the enterprise extension that have a GLPI home.
_NAME_OWNED = frozenset(sub.lower() for container, attr, sub in BY_KEY if attr == "name" and sub)
_ENTERPRISE_OWNED = frozenset(
    {"manager"} | {attr.lower() for container, attr, _ in BY_KEY if container == ENTERPRISE}
)
_GROUP_OWNED = frozenset({"id", "meta", "schemas", "externalId", "displayName", "members"})


def _lower_map(keys: Sequence[str]) -> dict[str, str]:
    return {key.lower(): key for key in keys}


# ---------------------------------------------------------------------------------------------
# Writing: a validated SCIM resource -> GLPI values
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EmailValue:
    address: str
    primary: bool


@dataclass
class UserValues:
    """What a User resource asks GLPI to hold (texts decoded; encoding happens on write)."""

    login: str
    columns: dict[str, Any]  # glpi_users text columns and language
    # None: unassigned; GLPI's is_active cannot be NULL, so the user is active (GLPI's default)
    # and ACTIVE_UNASSIGNED in `stored` keeps `active` out of the resource.
    active: bool | None
    dropdowns: dict[str, str | None]  # by SCIM attribute (registry.DROPDOWNS), trimmed names
    manager_id: int  # 0: none
    emails: list[EmailValue]
    password: str | None
    external_id: str | None
    stored: dict[str, Any]  # verbatim attributes for the tool's resource row


_text = text_value


def _phones(values: Any) -> dict[str, str]:
    found: dict[str, str] = {}
    for entry in values if isinstance(values, list) else []:
        if not isinstance(entry, Mapping):
            continue
        kind = str(entry.get("type") or "").lower()
        number = _text(entry.get("value"), "phoneNumbers.value")
        if kind in PHONES and number is not None and kind not in found:
            check_length(f'phoneNumbers[type eq "{kind}"].value', number)
            found[kind] = number
    return found


def _emails(values: Any) -> list[EmailValue]:
    emails: list[EmailValue] = []
    seen: set[str] = set()
    for entry in values if isinstance(values, list) else []:
        raw = entry.get("value") if isinstance(entry, Mapping) else entry
        address = _text(raw, "emails.value")
        if address is None:
            continue
        address = check_email(address)
        if address.lower() in seen:
            continue
        seen.add(address.lower())
        primary = bool(isinstance(entry, Mapping) and entry.get("primary") is True)
        emails.append(EmailValue(address, primary))
    return emails


def _language(resource: Mapping[str, Any]) -> str | None:
    """GLPI's language: preferredLanguage's, else locale's (a value GLPI has no language for is
    skipped; it is kept verbatim)."""
    for attr in ("preferredLanguage", "locale"):
        value = _text(get_ci(resource, attr), attr)
        code = languages.to_glpi(value) if value is not None else None
        if code is not None:
            return code
    return None


def _manager_id(resource: Mapping[str, Any]) -> int:
    manager = sub_value(resource, (ENTERPRISE, "manager", None))
    value = get_ci(manager, "value") if isinstance(manager, Mapping) else manager
    text = _text(value, "manager.value")
    if text is None:
        return 0
    if not is_id_text(text):
        raise InvalidValue(f"manager.value {text!r} is not the id of a user of this GLPI")
    return int(text)


def _stored_user(resource: Mapping[str, Any]) -> dict[str, Any]:
    stored: dict[str, Any] = {}
    for key, value in resource.items():
        if key in _USER_OWNED or key in (ACTIVE_UNASSIGNED, ACTIVE_UNASSIGNED_INACTIVE):
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
    login = _text(get_ci(resource, "userName"), "userName")
    if login is None:
        raise InvalidValue("userName is required")
    login = check_login(login)
    columns: dict[str, Any] = {column.column: column.split(resource) for column in TEXT_COLUMNS}
    phones = _phones(get_ci(resource, "phoneNumbers"))
    for kind, column in PHONES.items():
        columns[column.column] = phones.get(kind)
    columns[LANGUAGE.column] = _language(resource)
    active = get_ci(resource, "active")
    if active is not None and not isinstance(active, bool):
        raise InvalidValue("active must be true or false")
    chosen = {dropdown.attribute: dropdown.split(resource) for dropdown in DROPDOWNS}
    password = get_ci(resource, "password")
    if password is not None and not isinstance(password, str):
        raise InvalidValue("password must be a string")
    external_id = _text(get_ci(resource, "externalId"), "externalId")
    if external_id is not None:
        check_length("externalId", external_id)
    stored = _stored_user(resource)
    if active is None:
        stored[ACTIVE_UNASSIGNED] = True
    return UserValues(
        login=login,
        columns=columns,
        active=active,
        dropdowns=chosen,
        manager_id=_manager_id(resource),
        emails=_emails(get_ci(resource, "emails")),
        password=password,
        external_id=external_id,
        stored=stored,
    )


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
    login: str
    columns: dict[str, Any]
    is_active: bool
    dropdowns: dict[str, str | None]  # by SCIM attribute (registry.DROPDOWNS), decoded names
    supervisor_id: int
    supervisor_name: str | None  # GLPI's formatted name of the supervisor, when it exists
    date_creation: datetime | None
    date_mod: datetime | None
    emails: list[tuple[str, bool]] = field(default_factory=list)  # (address, is_default)
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


def _emails_out(record: UserRecord) -> list[dict[str, Any]]:
    sent = {
        str(e.get("value")).lower(): e
        for e in record.stored.get("emails", [])
        if isinstance(e, Mapping) and isinstance(e.get("value"), str)
    }
    out: list[dict[str, Any]] = []
    for address, is_default in record.emails:
        entry: dict[str, Any] = {"value": address}
        original = sent.get(address.lower())
        if original is not None:
            for key in ("type", "display"):
                if original.get(key) is not None:
                    entry[key] = original[key]
            # `primary` as the client sent it; GLPI's is_default may differ (GLPI needs one).
            if isinstance(original.get("primary"), bool):
                entry["primary"] = original["primary"]
        elif is_default:
            entry["primary"] = True
        out.append(entry)
    return out


def _phones_out(record: UserRecord) -> list[dict[str, Any]]:
    sent = [e for e in record.stored.get("phoneNumbers", []) if isinstance(e, Mapping)]
    out: list[dict[str, Any]] = []
    mapped: set[str] = set()
    for kind, column in PHONES.items():
        number = record.columns.get(column.column)
        if not number:
            continue
        mapped.add(kind)
        entry: dict[str, Any] = {"value": number, "type": kind}
        for original in sent:
            if str(original.get("type") or "").lower() == kind and original.get("value") == number:
                for key in ("display", "primary"):
                    if original.get(key) is not None:
                        entry[key] = original[key]
                break
        out.append(entry)
    out.extend(dict(e) for e in sent if str(e.get("type") or "").lower() not in PHONES)
    return out


def _language_out(record: UserRecord, out: dict[str, Any]) -> None:
    code = record.columns.get(LANGUAGE.column)
    any_sent = False
    for attr in ("preferredLanguage", "locale"):
        sent = record.stored.get(attr)
        if not isinstance(sent, str):
            continue
        any_sent = True
        sent_code = languages.to_glpi(sent)
        if sent_code is None or sent_code == code:
            # As sent: GLPI has no language for it, or holds the one it names.
            out[attr] = sent
        elif code:
            out[attr] = languages.to_scim(code)
    if not any_sent and code:
        out["preferredLanguage"] = languages.to_scim(code)


def user_resource(record: UserRecord) -> Resource:
    """The SCIM User for a GLPI user, `meta` included (without `location`)."""
    stored = record.stored
    out: dict[str, Any] = {"schemas": [USER_SCHEMA], "id": resource_ids.user_id(record.id)}
    if record.external_id is not None:
        out["externalId"] = record.external_id
    out["userName"] = record.login
    name = dict(stored.get("name") or {})
    if name:
        out["name"] = name
    for key, value in stored.items():
        if key in (
            "name",
            "emails",
            "phoneNumbers",
            "preferredLanguage",
            "locale",
            ENTERPRISE,
            ACTIVE_UNASSIGNED,
            ACTIVE_UNASSIGNED_INACTIVE,
        ):
            continue
        out[key] = copy.deepcopy(value)
    enterprise = copy.deepcopy(stored.get(ENTERPRISE) or {})
    if enterprise:
        out[ENTERPRISE] = enterprise
    for column in TEXT_COLUMNS:
        column.render(record.columns.get(column.column), out)
    for dropdown in DROPDOWNS:
        dropdown.render(record.dropdowns.get(dropdown.attribute), out)
    _language_out(record, out)
    marker = ACTIVE_UNASSIGNED if record.is_active else ACTIVE_UNASSIGNED_INACTIVE
    if stored.get(marker) is not True:
        out["active"] = record.is_active  # a deactivation made in GLPI shows through
    emails = _emails_out(record)
    if emails:
        out["emails"] = emails
    phones = _phones_out(record)
    if phones:
        out["phoneNumbers"] = phones
    if record.groups:
        out["groups"] = [
            {"value": resource_ids.group_id(gid), "display": name, "type": "direct"}
            for gid, name in record.groups
        ]
    enterprise = out.pop(ENTERPRISE, {})
    if record.supervisor_id and record.supervisor_name is not None:
        manager: dict[str, Any] = {"value": str(record.supervisor_id)}
        if record.supervisor_name:
            manager["displayName"] = record.supervisor_name
        enterprise["manager"] = manager
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
