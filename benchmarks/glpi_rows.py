"""GLPI rows of the benchmark's users and groups, built the way the GLPI store builds them.

The SCIM documents an identity provider would send (preload.user_document) go through the store's
own mapping (glpi_scim.glpi.mapping.split_user / split_group) and the same column rules as
glpi_scim.glpi.users and groups, so a seeded user reads back exactly like one created over SCIM
(tests/benchmarks compares the two). Only the history rows GLPI's UI shows are not written:
SCIM never reads them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from benchmarks import dataset as ds
from benchmarks.preload import group_document, user_document
from glpi_scim.glpi import text as glpi_text
from glpi_scim.glpi.attributes import registry
from glpi_scim.glpi.mapping import UserValues, split_group, split_user
from glpi_scim.glpi.verbatim import dump_attributes
from glpi_scim.identity.models import IdentityServer
from glpi_scim.scim.store import GROUP, USER


class UserRows:
    """User i's rows: glpi_users, glpi_useremails, glpi_profiles_users and the tool's table."""

    def __init__(
        self, i: int, user_id: int, server: IdentityServer, profile_id: int, now: datetime
    ):
        values: UserValues = split_user(user_document(i))
        user: dict[str, Any] = {
            "id": user_id,
            "name": glpi_text.encode(values.login),
            "password": "",
            "authtype": server.authtype,
            "auths_id": 0,
            "is_active": 1 if values.active is None else int(values.active),
            "is_deleted": 0,
            "entities_id": server.entities_id,
            "profiles_id": profile_id,
            "users_id_supervisor": values.values[registry.MANAGER.name],
            "usertitles_id": 0,
            "usercategories_id": 0,
            "date_creation": now,
            "date_mod": now,
        }
        for column in registry.TEXT_COLUMNS:
            user[column.column] = glpi_text.encode_optional(values.values[column.name])
        phones = values.values[registry.PHONE_NUMBERS.name]
        for kind, column in registry.PHONES.items():
            user[column.column] = glpi_text.encode_optional(phones.get(kind))
        user[registry.LANGUAGE.column] = values.values[registry.LANGUAGE.name]
        self.user = user
        emails = values.values[registry.EMAILS.name]
        primary = next((e for e in emails if e.primary), emails[0] if emails else None)
        self.emails = [
            {
                "users_id": user_id,
                "email": glpi_text.encode(e.address),
                "is_dynamic": 1,
                "is_default": int(e is primary),
            }
            for e in emails
        ]
        self.authorization = {
            "users_id": user_id,
            "profiles_id": profile_id,
            "entities_id": server.entities_id,
            "is_recursive": 1 if server.is_recursive else 0,
            "is_dynamic": 1,
            "is_default_profile": 1,
        }
        self.resource = _tool_row(server, USER, user_id, values.external_id, values.stored, now)


def group_rows(
    g: int, group_id: int, server: IdentityServer, now: datetime
) -> tuple[dict[str, Any], dict[str, Any]]:
    """glpi_groups row and tool row of group g (members are written separately)."""
    values = split_group(group_document(g, []))
    encoded = glpi_text.encode(values.name)
    group = {
        "id": group_id,
        "entities_id": server.entities_id,
        "is_recursive": 1 if server.is_recursive else 0,
        "name": encoded,
        "completename": encoded,
        "level": 1,
        "groups_id": 0,
        "date_creation": now,
        "date_mod": now,
    }
    return group, _tool_row(server, GROUP, group_id, values.external_id, values.stored, now)


def membership_row(user_id: int, group_id: int) -> dict[str, Any]:
    return {
        "users_id": user_id,
        "groups_id": group_id,
        "is_dynamic": 1,
        "is_manager": 0,
        "is_userdelegate": 0,
    }


def _tool_row(
    server: IdentityServer,
    itemtype: str,
    item_id: int,
    external_id: str | None,
    stored: dict[str, Any],
    now: datetime,
) -> dict[str, Any]:
    return {
        "servers_id": server.id,
        "itemtype": itemtype,
        "items_id": item_id,
        "external_id": external_id,
        "attributes": dump_attributes(stored),
        "is_deleted": 0,
        "date_creation": now,
        "date_mod": now,
    }


__all__ = ["UserRows", "ds", "group_rows", "membership_row"]
