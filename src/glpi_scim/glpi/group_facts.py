"""What a change of a group reads before it writes, in one statement (facts.py).

An identity provider adds or removes a member or two at a time, on groups of up to 50,000
members, and now and then renames a group or sends its whole member list. Once the group's row
is locked (the store's `_lock_group`), the change needs:

- the applied user's authorizations with their `group` right (GLPI's rule 1, policy.py);
- of the users a member edit adds, those this server sees, with the names GLPI's history
  quotes;
- which of the users it names are members already, and whether each is in the server's scope
  (a removal outside it is no change: such a user does not exist for the server);
- when the edit answers with the group below a size (`MemberReply.limit`): the group's links,
  counted no further than that size and the removals allow, to tell a large group without
  counting 50,000 links;
- when the request carries If-Match, or the change rebuilds the whole group (PATCH or PUT of
  more than members): the parts of the group's version that are shared by every group
  (memberships.fingerprint_columns), read after the lock, as the version of a GET would;
- for that rebuild, and for a member edit that answers with the group: every link of the
  group, with whether this server sees its user (a GET lists those, in link order); a member
  edit reads them, and the version's shared values, only when the group is under the count's
  bound, which a probe of the links' index tells before anything else is read, so a large
  group's edit reads no member and no version.

Once the change is written, its answer is the locked row with what the change wrote, what was
read here, and the ids its INSERTs returned (groups.py's GroupWriter.rebuilt). Where those are
not known (no RETURNING), the answer reads the version parts and members again, with the
group's own fingerprint values.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Connection, bindparam, case, select
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import BindParameter

from glpi_scim.db import tables
from glpi_scim.db.collation import collation_key, sqlite_equal_key
from glpi_scim.glpi import facts, memberships, verbatim
from glpi_scim.glpi import text as glpi_text
from glpi_scim.glpi.attributes.targets import formatted_user_name
from glpi_scim.glpi.memberships import Member
from glpi_scim.glpi.policy import GROUP_RIGHT, Authorizations, authorizations_of
from glpi_scim.glpi.scope import Scope, user_id_in_scope
from glpi_scim.glpi.verbatim import ExternalIdHolder
from glpi_scim.scim.store import GROUP

LINKS = tables.groups_users
USERS = tables.users
_RIGHTS, _ADDABLE, _PRESENT, _COUNT, _SHARED, _MEMBER, _OWN, _NAMED, _EXTERNAL = range(9)
ROWS = tables.scim_resources


@dataclass
class GroupFacts:
    actor: Authorizations = field(default_factory=Authorizations)
    # The users to add that this server sees, by id.
    addable: dict[int, Member] = field(default_factory=dict)
    # Of the users named, the group's members: id -> in the server's scope.
    present: dict[int, bool] = field(default_factory=dict)
    # The group's links before the edit, counted up to the bound asked; None: not counted.
    links_counted: int | None = None
    # memberships.fingerprint's shared values (If-Match), None when not asked.
    shared_fingerprint: tuple[int, ...] | None = None
    # The members this server sees (id, GLPI's formatted name) in link order, and every link's
    # id by user, hidden users' included; None: not asked, or the group was too large.
    members: list[tuple[int, str]] | None = None
    links: dict[int, int] | None = None
    # memberships.fingerprint's values of the group itself, read again after a write (the
    # answer's version); None when not asked.
    own_fingerprint: tuple[int, int] | None = None
    # A create's: the groups holding its displayName (locked), and the tool rows of this
    # server holding its externalId (locked) with whether their group still exists.
    name_holders: list[int] = field(default_factory=list)
    external_holders: list[ExternalIdHolder] = field(default_factory=list)


@dataclass(frozen=True)
class _Shape:
    server_id: int
    scope: Scope
    first: bool  # the rights, the count and the version parts (the first chunk's statement)
    rights: bool
    adding: bool
    named: bool
    counted: bool
    shared: bool
    members: bool
    members_gated: bool  # the members only if the group is under the count's bound
    own: bool
    new_name: bool  # a create's locked parts: the name's holders, the externalId's
    external_id: bool


@functools.lru_cache(maxsize=64)  # per server and shape: parameters are bound
def _statement(shape: _Shape, sqlite: bool) -> Any:
    group_id: BindParameter[int] = bindparam("group_id")
    locked: list[Select[Any]] = []
    if shape.new_name:
        groups = tables.groups
        name: BindParameter[str] = bindparam("name")
        # SQLite: the parameter is the name's collation key (sqlite_equal_key).
        same = sqlite_equal_key(groups.c.name, name) if sqlite else groups.c.name == name
        locked.append(select(*facts.columns(_NAMED, [groups.c.id])).where(same).with_for_update())
    if shape.external_id:
        groups = tables.groups
        exists = select(groups.c.id).where(groups.c.id == ROWS.c.items_id).exists()
        holder = [ROWS.c.id, ROWS.c.items_id, case((exists, 1), else_=0)]
        locked.append(
            select(*facts.columns(_EXTERNAL, holder, [ROWS.c.external_id]))
            .where(verbatim.external_id_held(shape.server_id, GROUP, bindparam("external_id")))
            .with_for_update()
        )
    parts: list[Select[Any]] = []
    if shape.first and shape.rights:
        parts.append(facts.authorizations_part(_RIGHTS, GROUP_RIGHT, bindparam("actor")))
    if shape.adding:
        visible = memberships.visible_users_condition(shape.server_id, scope=shape.scope)
        names = [USERS.c.name, USERS.c.realname, USERS.c.firstname]
        parts.append(
            select(*facts.columns(_ADDABLE, [USERS.c.id], names)).where(
                USERS.c.id.in_(bindparam("adding", expanding=True)), visible
            )
        )
    if shape.named:
        in_scope = case((user_id_in_scope(shape.scope, LINKS.c.users_id), 1), else_=0)
        parts.append(
            select(*facts.columns(_PRESENT, [LINKS.c.users_id, in_scope])).where(
                LINKS.c.groups_id == group_id,
                LINKS.c.users_id.in_(bindparam("named", expanding=True)),
            )
        )
    if shape.first and shape.counted and shape.members_gated:
        # The gated links part probes: this part only tells an empty group from a large one
        # (no links read either way), one index entry instead of a second probe, and carries
        # the version's shared values for a small group's answer.
        some = select(LINKS.c.id).where(LINKS.c.groups_id == group_id).exists()
        large_or_empty = case((some, bindparam("bound")), else_=0)
        shared = [] if shape.shared else memberships.shared_fingerprint_values(shape.server_id)
        parts.append(select(*facts.columns(_COUNT, [large_or_empty, *shared])))
    elif shape.first and shape.counted:
        counted = memberships.bounded_link_count(
            group_id, bindparam("bound"), bindparam("probe_offset")
        )
        parts.append(select(*facts.columns(_COUNT, [counted])))
    if shape.first and shape.shared:
        shared = memberships.shared_fingerprint_values(shape.server_id)
        parts.append(select(*facts.columns(_SHARED, shared)))
    if shape.first and shape.own:
        groups = tables.groups
        own = memberships.own_fingerprint_values(groups)
        parts.append(select(*facts.columns(_OWN, own)).where(groups.c.id == group_id))
    if shape.first and (shape.members or shape.members_gated):
        parts.append(_links_part(shape, group_id))
    return facts.statement(locked, parts, sqlite)


def _links_part(shape: _Shape, group_id: BindParameter[int]) -> Select[Any]:
    """Every link of the group: its user, its id, whether the server sees the user (hidden
    users' links count in the version's highest link), the user's formatted name. Gated, none
    when its probe finds the group large (1,000 index entries read at 50,000 links, as the
    count alone reads)."""
    visible = memberships.visible_users_condition(shape.server_id, scope=shape.scope)
    shown = case((visible, 1), else_=0)
    display = formatted_user_name(USERS)
    group: ColumnElement[Any] = group_id
    if shape.members_gated:
        # The group's id when it is small, else NULL, which no link's groups_id equals: both
        # databases evaluate the probe once and look the index up with its result (SQLite would
        # scan the group's links with `AND probe IS NULL`, testing it on each).
        probe = memberships.link_probe(group_id, bindparam("probe_offset"))
        group = case((probe.is_(None), group_id))
    return (
        select(*facts.columns(_MEMBER, [LINKS.c.users_id, LINKS.c.id, shown], [display]))
        .select_from(LINKS.outerjoin(USERS, USERS.c.id == LINKS.c.users_id))
        .where(LINKS.c.groups_id == group)
    )


@dataclass(frozen=True)
class Wanted:
    """Which facts a change of a group reads (the module's docstring says when each is)."""

    adding: Sequence[int] = ()  # users a member edit adds
    removing: Sequence[int] = ()  # users it removes
    count_up_to: int | None = None  # count the links no further than this
    shared: bool = False  # the version's shared values
    members: bool = False  # the members the server sees
    # The same, only for a group under `count_up_to` links, with the version's shared values.
    members_if_small: bool = False
    own: bool = False  # the group's own fingerprint values (an answer)
    rights: bool = True  # the applied user's `group` rights
    new_name: str | None = None  # a create's: the name's holders, locked
    external_id: str | None = None  # a create's: the externalId's holders, locked


def read(
    connection: Connection,
    *,
    server_id: int,
    scope: Scope,
    sqlite: bool,
    group_id: int,
    actor: int,
    wanted: Wanted,
) -> GroupFacts:
    """The facts of a change of group `group_id`, or of a new group (`group_id` 0, named
    `wanted.new_name`): in one statement for up to memberships.CHUNK users named, then one
    more per chunk."""
    adding, removing, count_up_to = wanted.adding, wanted.removing, wanted.count_up_to
    new_name, external_id = wanted.new_name, wanted.external_id
    found = GroupFacts()
    # The links of the users named (a new group has none).
    named = list(dict.fromkeys([*adding, *removing])) if group_id else []
    add_chunks = list(memberships.chunks(list(adding))) or [[]]
    named_chunks = list(memberships.chunks(named)) or [[]]
    rows: list[facts.Row] = []
    for position in range(max(len(add_chunks), len(named_chunks))):
        add_chunk = add_chunks[position] if position < len(add_chunks) else []
        named_chunk = named_chunks[position] if position < len(named_chunks) else []
        first = position == 0
        shape = _Shape(
            server_id,
            scope,
            first,
            wanted.rights,
            bool(add_chunk),
            bool(named_chunk),
            count_up_to is not None,
            wanted.shared,
            wanted.members,
            wanted.members_if_small and count_up_to is not None,
            wanted.own,
            first and new_name is not None,
            first and external_id is not None,
        )
        parameters = {
            "actor": actor,
            "group_id": group_id,
            "adding": list(add_chunk),
            "named": list(named_chunk),
            "bound": count_up_to,
            "probe_offset": None if count_up_to is None else count_up_to - 1,
            "external_id": external_id,
        }
        if new_name is not None:
            encoded = glpi_text.encode(new_name)
            parameters["name"] = collation_key(encoded) if sqlite else encoded
        result = connection.execute(_statement(shape, sqlite), parameters)
        rows.extend(facts.Row.of(row) for row in result)
    listed: list[tuple[int, int, bool, str]] = []
    for row in rows:
        if row.kind == _MEMBER:
            listed.append((row.n2, row.n1, bool(row.n3), row.t1 or ""))
        elif row.kind == _ADDABLE:
            found.addable[row.n1] = Member(row.n1, row.t1, row.t2, row.t3)
        elif row.kind == _PRESENT:
            found.present[row.n1] = bool(row.n2)
        elif row.kind == _COUNT:
            found.links_counted = row.n1
            if row.n2 is not None:  # the version's shared values, carried along (a count)
                found.shared_fingerprint = (row.n2, row.n3 or 0, row.n4 or 0, row.n5 or 0)
        elif row.kind == _NAMED:
            found.name_holders.append(row.n1)
        elif row.kind == _EXTERNAL:
            found.external_holders.append(ExternalIdHolder(row.n1, row.n2, row.t1, bool(row.n3)))
        elif row.kind == _OWN:
            found.own_fingerprint = (row.n1 or 0, row.n2 or 0)
        elif row.kind == _SHARED:
            found.shared_fingerprint = (row.n1 or 0, row.n2 or 0, row.n3 or 0, row.n4 or 0)
    gated = wanted.members_if_small and count_up_to is not None
    if gated and listed:  # the probe let the links through: the group is under the bound
        found.links_counted = len(listed)
    small = found.links_counted is not None and found.links_counted < (count_up_to or 0)
    if wanted.members or (wanted.members_if_small and small):
        listed.sort()
        found.members = [
            (user_id, glpi_text.decode(name)) for _, user_id, shown, name in listed if shown
        ]
        found.links = {user_id: link_id for link_id, user_id, _, _ in listed}
    found.actor = authorizations_of([actor], facts.authorization_rows(rows, _RIGHTS))[actor]
    return found
