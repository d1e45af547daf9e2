"""What a user's create reads before it writes, in one statement.

A create needs five facts, each of which was a statement of its own:

- the users holding its login, locked (uniqueness; a holder this server deleted may come back);
- the tool rows holding its externalId on this server, locked, with whether their user is
  still visible;
- the rows of each dropdown it names (its title, its user type), locked: two creates of one
  new title serialise on the index gap (dropdowns.py);
- the applied user's authorizations with their `user` right (GLPI's rule 1, policy.py);
- the profile a new user gets, with its name and the entity's name for the history.

Here they are the parts of one statement (facts.py), in that order: the locks are held before
the plain parts read.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    bindparam,
    case,
    literal,
    or_,
    select,
)
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import BindParameter

from glpi_scim.db import tables
from glpi_scim.db.collation import collation_key, sqlite_equal_key
from glpi_scim.glpi import facts, verbatim
from glpi_scim.glpi import text as glpi_text
from glpi_scim.glpi.attributes import registry
from glpi_scim.glpi.attributes.dropdown import stored_name
from glpi_scim.glpi.mapping import UserValues
from glpi_scim.glpi.policy import USER_RIGHT, Authorizations, authorizations_of
from glpi_scim.glpi.verbatim import ExternalIdHolder
from glpi_scim.identity.models import IdentityServer
from glpi_scim.scim.store import USER

USERS = tables.users
ROWS = tables.scim_resources
_HOLDER, _EXTERNAL, _DROPDOWN, _RIGHTS, _PROFILE = range(5)


@dataclass(frozen=True)
class LoginHolder:
    id: int
    is_deleted: bool
    hidden_here: bool  # deleted through SCIM on this server ("deactivate" policy)

    @property
    def visible(self) -> bool:
        return not self.is_deleted and not self.hidden_here


@dataclass
class NewUserFacts:
    holders: list[LoginHolder] = field(default_factory=list)
    external_holders: list[ExternalIdHolder] = field(default_factory=list)
    # By dropdown label and the name as stored: the rows named as the create's value, lowest
    # id first (none: a new name).
    dropdowns: dict[tuple[str, str], list[tuple[int, str]]] = field(default_factory=dict)
    actor: Authorizations = field(default_factory=Authorizations)
    # The new user's profile (id 0: none) with its name and the server entity's name.
    profile: tuple[int, str, str] = (0, "", "")


# -- the parts


def login_holders(login_equal: ColumnElement[bool], server_id: Any) -> Select[Any]:
    """Users holding a login (`login_equal`: the test on glpi_users.name), locked, with
    whether this server deleted them; users.py's rename reads the same part alone."""
    tombstone = (
        select(ROWS.c.is_deleted)
        .where(
            ROWS.c.servers_id == server_id, ROWS.c.itemtype == USER, ROWS.c.items_id == USERS.c.id
        )
        .scalar_subquery()
    )
    hidden = case((tombstone == 1, 1), else_=0)
    return (
        select(*facts.columns(_HOLDER, [USERS.c.id, USERS.c.is_deleted, hidden], []))
        .where(login_equal)
        .with_for_update()
    )


def login_holders_of(rows: Sequence[Any]) -> list[LoginHolder]:
    found = [LoginHolder(row.n1, bool(row.n2), bool(row.n3)) for row in rows if row.kind == _HOLDER]
    return sorted(found, key=lambda holder: holder.id)


def _external_holders(server_id: Any, external_id: Any) -> Select[Any]:
    user_deleted = select(USERS.c.is_deleted).where(USERS.c.id == ROWS.c.items_id).scalar_subquery()
    visible = case(((user_deleted == 0) & (ROWS.c.is_deleted == 0), 1), else_=0)
    return (
        select(
            *facts.columns(_EXTERNAL, [ROWS.c.id, ROWS.c.items_id, visible], [ROWS.c.external_id])
        )
        .where(verbatim.external_id_held(server_id, USER, external_id))
        .with_for_update()
    )


def _dropdown_rows(position: int, name_equal: ColumnElement[bool], table: Any) -> Select[Any]:
    return (
        select(*facts.columns(_DROPDOWN, [literal(position), table.c.id], [table.c.name]))
        .where(name_equal)
        .with_for_update()
    )


def _new_profile(profile_id: Any, entity_id: Any) -> Select[Any]:
    """The server's profile, else GLPI's default one (a derived table: SQLite allows no
    ORDER BY or LIMIT in a part of a compound SELECT)."""
    profiles = tables.profiles
    chosen: ColumnElement[bool] = profiles.c.is_default == 1
    order: list[ColumnElement[Any]] = [profiles.c.id]
    if profile_id is not None:
        named = profiles.c.id == profile_id
        chosen, order = or_(named, chosen), [case((named, 0), else_=1), *order]
    first = (
        select(profiles.c.id, profiles.c.name).where(chosen).order_by(*order).limit(1)
    ).subquery("scim_new_profile")
    entity_name = (
        select(tables.entities.c.completename)
        .where(tables.entities.c.id == entity_id)
        .scalar_subquery()
    )
    return select(*facts.columns(_PROFILE, [first.c.id], [first.c.name, entity_name]))


# -- the statement


@dataclass(frozen=True)
class _Shape:
    sqlite: bool
    external_id: bool
    dropdowns: tuple[int, ...]  # positions in registry.DROPDOWNS of the dropdowns named
    named_profile: bool


@functools.lru_cache(maxsize=64)  # built once per shape: its parameters are bound
def _statement(shape: _Shape) -> Any:
    def same(column: ColumnElement[Any], name: str) -> ColumnElement[bool]:
        # SQLite: the parameter is the value's collation key (sqlite_equal_key).
        parameter: BindParameter[str] = bindparam(name)
        return sqlite_equal_key(column, parameter) if shape.sqlite else column == parameter

    server_id: BindParameter[int] = bindparam("server_id")
    locked = [login_holders(same(USERS.c.name, "login"), server_id)]
    if shape.external_id:
        locked.append(_external_holders(server_id, bindparam("external_id")))
    for position in shape.dropdowns:
        table = registry.DROPDOWNS[position].table
        locked.append(_dropdown_rows(position, same(table.c.name, f"dropdown_{position}"), table))
    profile_id: BindParameter[int] | None = None
    if shape.named_profile:
        profile_id = bindparam("profile_id")
    plain = [
        facts.authorizations_part(_RIGHTS, USER_RIGHT, bindparam("actor")),
        _new_profile(profile_id, bindparam("entity_id")),
    ]
    return facts.statement(locked, plain, shape.sqlite)


def read(
    connection: Connection, server: IdentityServer, values: UserValues, sqlite: bool
) -> NewUserFacts:
    """Every fact a create of `values` needs before writing, in one statement."""
    texts = {"login": glpi_text.encode(values.login)}
    names: dict[int, str] = {}  # by position in registry.DROPDOWNS: the name as stored
    for position, declared in enumerate(registry.DROPDOWNS):
        name = stored_name(values.values[declared.name])
        if name is not None:
            names[position] = texts[f"dropdown_{position}"] = name
    if sqlite:
        texts = {name: collation_key(text) for name, text in texts.items()}
    shape = _Shape(sqlite, values.external_id is not None, tuple(names), bool(server.profiles_id))
    parameters: dict[str, Any] = {
        "server_id": server.id,
        "external_id": values.external_id,
        "actor": server.users_id_applied,
        "profile_id": server.profiles_id,
        "entity_id": server.entities_id,
        **texts,
    }
    rows = [facts.Row.of(row) for row in connection.execute(_statement(shape), parameters)]
    return _facts(rows, server.users_id_applied, names)


def _facts(rows: Sequence[facts.Row], actor: int, names: dict[int, str]) -> NewUserFacts:
    found = NewUserFacts(holders=login_holders_of(rows))
    # Every name searched: one without rows is new, and needs no lookup of its own.
    keys = {
        position: (registry.DROPDOWNS[position].label, name) for position, name in names.items()
    }
    found.dropdowns = {key: [] for key in keys.values()}
    for row in rows:
        if row.kind == _EXTERNAL:
            found.external_holders.append(ExternalIdHolder(row.n1, row.n2, row.t1, bool(row.n3)))
        elif row.kind == _DROPDOWN:
            found.dropdowns[keys[row.n1]].append((row.n2, row.t1 or ""))
        elif row.kind == _PROFILE and row.n1 is not None:
            found.profile = (row.n1, row.t1 or "", row.t2 or "")
    for named in found.dropdowns.values():
        named.sort()
    rights = facts.authorization_rows(rows, _RIGHTS)
    found.actor = authorizations_of([actor], rights)[actor]
    return found
