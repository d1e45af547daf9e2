"""Entity scope: which GLPI entities an identity server sees, and the SQL that bounds reads.

A server placed in entity E sees the users holding an authorization (a glpi_profiles_users row)
in E, and the groups of E; with `--recursive`, in E or any entity below it. The root entity is
the whole GLPI: a server placed there sees every user and group, as before scopes existed, so
the default costs no extra condition. What is outside the scope does not exist for the server:
GET, list and filter, PATCH, PUT, DELETE and member references all answer as for a missing id.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, and_, select, true

from glpi_scim.db import tables
from glpi_scim.identity.models import IdentityServer

ROOT_ENTITY = 0
Scope = frozenset[int] | None  # None: every entity


def entity_children(connection: Connection) -> dict[int, list[int]]:
    """GLPI's entity tree, parent id -> child ids (one query; sites have few entities)."""
    entities = tables.entities
    children: dict[int, list[int]] = {}
    for entity_id, parent_id in connection.execute(select(entities.c.id, entities.c.entities_id)):
        if parent_id is not None and entity_id != parent_id:
            children.setdefault(int(parent_id), []).append(int(entity_id))
    return children


def below(children: dict[int, list[int]], roots: Iterable[int]) -> set[int]:
    """The entities `roots` and every entity under them."""
    found: set[int] = set()
    stack = list(roots)
    while stack:
        entity_id = stack.pop()
        if entity_id in found:
            continue
        found.add(entity_id)
        stack.extend(children.get(entity_id, ()))
    return found


def server_scope(connection: Connection, server: IdentityServer) -> Scope:
    """The entities `server` sees; None when it sees them all (placed in the root entity)."""
    if server.entities_id == ROOT_ENTITY:
        return None
    if not server.is_recursive:
        return frozenset({server.entities_id})
    return frozenset(below(entity_children(connection), [server.entities_id]))


def users_in_scope(scope: Scope, users: Any) -> Any:
    """SQL: the user (a glpi_users alias) holds an authorization in the scope."""
    return user_id_in_scope(scope, users.c.id)


def user_id_in_scope(scope: Scope, user_id: Any) -> Any:
    """SQL: the user whose id is `user_id` (a column) holds an authorization in the scope."""
    if scope is None:
        return true()
    links = tables.profiles_users
    return (
        select(links.c.id)
        .where(links.c.users_id == user_id, links.c.entities_id.in_(sorted(scope)))
        .exists()
    )


def groups_in_scope(scope: Scope, groups: Any) -> Any:
    """SQL: the group (a glpi_groups alias) belongs to an entity of the scope."""
    if scope is None:
        return true()
    return and_(groups.c.entities_id.in_(sorted(scope)))
