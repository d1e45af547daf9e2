"""SCIM Groups on glpi_groups and glpi_groups_users.

Every GLPI group of the server's entity scope (scope.py) is a SCIM Group; its members are its
users that this server sees. GLPI groups
have no trash: deleting one purges it, its memberships (logged on the users) and its history,
and moves its sub-groups up, as GLPI does.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, and_, bindparam, delete, select, update
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import BindParameter

from glpi_scim.db import dml, tables
from glpi_scim.db.collation import sqlite_equal
from glpi_scim.db.transaction import inserted_id
from glpi_scim.glpi import group_facts, history, memberships, owners, verbatim
from glpi_scim.glpi import ids as resource_ids
from glpi_scim.glpi import text as glpi_text
from glpi_scim.glpi.group_facts import GroupFacts, Wanted
from glpi_scim.glpi.mapping import (
    GroupRecord,
    GroupValues,
    group_resource,
    member_ids,
    removed_ids,
)
from glpi_scim.glpi.paging import (
    PageRequest,
    PageStatement,
    equality_page,
    page_statement,
    read_page,
)
from glpi_scim.glpi.policy import Policy
from glpi_scim.glpi.scope import Scope, groups_in_scope, server_scope
from glpi_scim.glpi.sqlfilter import Frame, SqlFilter, formatted_user_name
from glpi_scim.glpi.writer import Writer
from glpi_scim.identity.models import IdentityServer
from glpi_scim.scim.ast import AttrPath, Filter
from glpi_scim.scim.errors import NotFound, Uniqueness
from glpi_scim.scim.store import GROUP, MemberChange, Resource

G = tables.groups.alias("scim_g")
R = tables.scim_resources.alias("scim_r")
LINKS = tables.groups_users
USERS = tables.users
SEPARATOR = " > "  # GLPI's completename separator


def frame(server_id: int, sqlite: bool) -> Frame:
    return Frame(GROUP, G, R, "scim_r", sqlite, server_id)


@functools.lru_cache(maxsize=64)  # per server: a statement is never changed, only copied
def base(server_id: int | BindParameter[Any]) -> Any:
    return G.outerjoin(
        R, and_(R.c.servers_id == server_id, R.c.itemtype == GROUP, R.c.items_id == G.c.id)
    )


@functools.lru_cache(maxsize=64)  # per server: a statement is never changed, only copied
def _select(server_id: int | BindParameter[Any]) -> Select[Any]:
    """A group's row, its tool row and its membership fingerprint (memberships.py)."""
    return select(
        G.c.id,
        G.c.name,
        G.c.date_creation,
        G.c.date_mod,
        R.c.external_id.label("scim_external_id"),
        R.c.attributes.label("scim_attributes"),
        *memberships.fingerprint_columns(G, server_id),
    ).select_from(base(server_id))


# Built once, as the user's: a GET of a group runs it.
_SERVER: BindParameter[int] = bindparam("server_id")
ONE_GROUP = _select(_SERVER).where(G.c.id == bindparam("group_id"))


@functools.lru_cache(maxsize=128)  # per server, scope, attribute and page: the value is bound
def _equality_page(
    server_id: int, scope: Scope, sqlite: bool, path: AttrPath, offset: int, count: int
) -> PageStatement:
    """A page of the groups whose `path` equals the bound EQUALITY_VALUE (sqlfilter.Equality),
    built once: the `displayName eq` lookup identity providers send before a create."""
    condition = SqlFilter(frame(server_id, sqlite)).bound_equality(path)
    if scope is not None:
        condition = and_(groups_in_scope(scope, G), condition)
    return page_statement(
        source=base(server_id),
        item_id=G.c.id,
        condition=condition,
        rows=_select(server_id),
        request=PageRequest(offset + 1, count),
    )


def _locked_group() -> Select[Any]:
    """A write's first read of the group it changes: its whole glpi_groups row, locked until
    commit, with its owner, its tool row and its own fingerprint values, as subqueries
    correlated to it (users.py's LOCKED_USER says why)."""
    groups = tables.groups
    return (
        select(
            groups,
            *verbatim.row_columns(_SERVER, GROUP, groups.c.id),
            *memberships.own_fingerprint_columns(groups),
            *owners.owner_columns(GROUP, groups.c.id),
        )
        .where(groups.c.id == bindparam("group_id"))
        .with_for_update()
    )


LOCKED_GROUP = _locked_group()


class GroupReader:
    def __init__(self, connection: Connection, server: IdentityServer, sqlite: bool):
        self.connection = connection
        self.server = server
        self.sqlite = sqlite

    @functools.cached_property
    def scope(self) -> Scope:
        """Read when first needed: a recursive server's reads the entity tree, which a write
        must read only after its lock."""
        return server_scope(self.connection, self.server)

    def sees(self, locked: Row[Any]) -> bool:
        """Whether the group of a LOCKED_GROUP row lies in the server's scope."""
        return self.scope is None or locked.entities_id in self.scope

    def locked_resource(
        self,
        locked: Mapping[Any, Any],
        shared: Sequence[int],
        members: list[tuple[int, str]] | None = None,
    ) -> Resource:
        """The group of a LOCKED_GROUP row (its mapping) as a GET in the same transaction
        would give it, from the shared fingerprint values and the members (None: skipped) read
        after it (group_facts.py)."""
        labels = memberships.FINGERPRINT_LABELS[:2]
        own = tuple(int(locked[label] or 0) for label in labels)
        record = GroupRecord(
            id=locked["id"],
            name=glpi_text.decode(locked["name"] or ""),
            date_creation=locked["date_creation"],
            date_mod=locked["date_mod"],
            members=members,
            membership=(*own, *shared),
            external_id=locked["scim_external_id"],
            stored=verbatim.parse_attributes(locked["scim_attributes"]),
        )
        return group_resource(record)

    def one(self, group_id: int, *, skip: frozenset[str] = frozenset()) -> Resource:
        query = ONE_GROUP
        if self.scope is not None:
            query = ONE_GROUP.where(groups_in_scope(self.scope, G))
        parameters = {"server_id": self.server.id, "group_id": group_id}
        row = self.connection.execute(query, parameters).first()
        if row is None:
            raise NotFound(f"Group {resource_ids.group_id(group_id)} not found")
        return self.render([row], skip)[0]

    def count_members(self, group_id: int, up_to: int) -> int:
        """The group's memberships, counted no further than `up_to` on the groups_id index
        (users hidden from this server included: the count only tells a large group)."""
        counted = memberships.bounded_link_count(group_id, up_to, max(up_to - 1, 0))
        return min(int(self.connection.execute(select(counted)).scalar_one()), up_to)

    def page(
        self,
        filter_: Filter | None,
        sort_by: AttrPath | None,
        descending: bool,
        start_index: int,
        count: int,
        skip: frozenset[str],
    ) -> tuple[int, list[Resource]]:
        sql = SqlFilter(frame(self.server.id, self.sqlite))
        lookup = sql.equality(filter_) if filter_ is not None and sort_by is None else None
        if lookup is not None:
            built = functools.partial(_equality_page, self.server.id, self.scope, self.sqlite)
            total, rows = equality_page(self.connection, lookup, built, start_index, count)
            return total, self.render(rows, skip)
        condition = sql.where(filter_) if filter_ is not None else None
        if self.scope is not None:
            in_scope = groups_in_scope(self.scope, G)
            condition = in_scope if condition is None else and_(in_scope, condition)
        key = sql.sort_key(sort_by) if sort_by is not None else None
        total, rows = read_page(
            self.connection,
            source=base(self.server.id),
            item_id=G.c.id,
            condition=condition,
            rows=_select(self.server.id),
            request=PageRequest(start_index, count, key, descending),
        )
        return total, self.render(rows, skip)

    def render(self, rows: Sequence[Row[Any]], skip: frozenset[str]) -> list[Resource]:
        ids = [row.id for row in rows]
        members = None if "members" in skip else self._members(ids)
        out = []
        for row in rows:
            record = GroupRecord(
                id=row.id,
                name=glpi_text.decode(row.name or ""),
                date_creation=row.date_creation,
                date_mod=row.date_mod,
                members=None if members is None else members.get(row.id, []),
                membership=memberships.fingerprint(row),
                external_id=row.scim_external_id,
                stored=verbatim.parse_attributes(row.scim_attributes),
            )
            out.append(group_resource(record))
        return out

    def _members(self, ids: Sequence[int]) -> dict[int, list[tuple[int, str]]]:
        visible = memberships.visible_users_condition(self.server.id, scope=self.scope)
        members: dict[int, list[tuple[int, str]]] = {i: [] for i in ids}
        for chunk in memberships.chunks(ids):
            query = (
                select(
                    LINKS.c.groups_id,
                    LINKS.c.users_id,
                    formatted_user_name(USERS).label("display"),
                )
                .join(USERS, USERS.c.id == LINKS.c.users_id)
                .where(LINKS.c.groups_id.in_(chunk), visible)
                .order_by(LINKS.c.groups_id, LINKS.c.id)
            )
            for group_id, user_id, display in self.connection.execute(query):
                members[group_id].append((user_id, glpi_text.decode(display or "")))
        return members


@dataclass(frozen=True)
class Rebuilt:
    """What a group's answer reads, known from a rebuild's reads and writes instead
    (GroupWriter.rebuilt): its own fingerprint values, labelled as in LOCKED_GROUP's row, the
    version's shared values, and its members (id, display) in link order."""

    own: dict[str, Any]
    shared: tuple[int, ...]
    members: list[tuple[int, str]]


class GroupWriter(Writer):
    # Set by the store: ownership and GLPI's rules (policy.py).
    policy: Policy | None = None
    # Set by change_members: links added minus removed; None when not known (a replace).
    links_delta: int | None = None
    # Set by apply and change_members: what they wrote of the group's LOCKED_GROUP row (its
    # name, date_mod, tool row), for the answer (the store's `_group_answer`).
    after: dict[str, Any]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.after = {}
        # Set by apply where the database returns what it inserts: the new links by user,
        # their users' names, the users removed and the group's new history rows, for an
        # answer without reading the group again (`rebuilt`).
        self.added_links: dict[int, int] | None = None
        self.added: dict[int, memberships.Member] = {}
        self.removed: list[int] = []
        self.group_log_ids: list[int] = []

    _scope: Scope = None
    _scope_read = False

    @property
    def scope(self) -> Scope:
        if not self._scope_read:
            self._scope = server_scope(self.connection, self.server)
            self._scope_read = True
        return self._scope

    def _check_name(self, name: str, group_id: int | None) -> None:
        """displayName is unique among GLPI's groups, compared as GLPI's collation does."""
        groups = tables.groups
        encoded = glpi_text.encode(name)
        same = sqlite_equal(groups.c.name, encoded) if self.sqlite else groups.c.name == encoded
        query = select(groups.c.id).where(same).order_by(groups.c.id).with_for_update()
        for found in self.connection.execute(query).scalars():
            if found != group_id:
                raise Uniqueness(f"displayName {name!r} is already used by GLPI group {found}")

    def _is_visible(self, group_id: int) -> bool:
        groups = tables.groups
        return (
            self.connection.execute(select(groups.c.id).where(groups.c.id == group_id)).first()
            is not None
        )

    def create(self, values: GroupValues, facts: GroupFacts) -> int:
        """A new GLPI group; `facts`: what group_facts.read found for it (the name's and
        the externalId's holders, the members named)."""
        if facts.name_holders:
            raise Uniqueness(
                f"displayName {values.name!r} is already used by GLPI group {facts.name_holders[0]}"
            )
        verbatim.settle_external_id(
            self.connection, GROUP, values.external_id, None, facts.external_holders
        )
        members = memberships.named_members(values.member_ids, facts.addable)
        encoded = glpi_text.encode(values.name)
        result = self.connection.execute(
            tables.groups.insert().values(
                entities_id=self.server.entities_id,
                is_recursive=1 if self.server.is_recursive else 0,
                name=encoded,
                completename=encoded,
                level=1,
                groups_id=0,
                date_creation=self.now,
                date_mod=self.now,
            )
        )
        group_id = inserted_id(result)
        self.log.created(history.GROUP, group_id)
        if self.connection.dialect.insert_returning:
            self.added_links = {}
        self._add(group_id, history.with_id(encoded, group_id), members)
        verbatim.save(
            self.connection,
            self.server.id,
            GROUP,
            group_id,
            values.external_id,
            values.stored,
            self.now,
        )
        if self.policy is not None:
            self.policy.created(GROUP, group_id)
        self.after.update(
            id=group_id,
            name=encoded,
            date_creation=self.now,
            date_mod=self.now,
            scim_external_id=values.external_id,
            scim_attributes=verbatim.dump_attributes(values.stored),
        )
        return group_id

    def apply(
        self, row: Row[Any], values: GroupValues, members: Sequence[int] | None = None
    ) -> bool:
        """Write the difference between the group's LOCKED_GROUP `row` and `values`;
        `members`: the ids of the members the server sees, when already read."""
        group_id = row.id
        if self.connection.dialect.insert_returning:
            self.added_links = {}
        renamed: dict[str, Any] = {}
        encoded = glpi_text.encode(values.name)
        if encoded != row.name:
            self._check_name(values.name, group_id)
            renamed = self._rename(row, encoded)
        changed = self._set_members(group_id, encoded, values.member_ids, members)
        changed = self._save_row(row, values) or changed
        if changed or renamed:
            self.touch(group_id, renamed)  # the new name with date_mod: one UPDATE
        return changed or bool(renamed)

    def touch(self, group_id: int, also: dict[str, Any] | None = None) -> None:
        """The group's date_mod, with `also` (other glpi_groups columns) in the same UPDATE."""
        values = {**(also or {}), "date_mod": self.now}
        dml.update_row(self.connection, tables.groups, group_id, values)
        self.after.update(values)

    def _rename(self, row: Row[Any], encoded: str) -> dict[str, Any]:
        """The renamed group's glpi_groups values (the caller writes them), its history and
        its sub-groups' complete names."""
        groups = tables.groups
        parent = None
        if row.groups_id:
            parent = self.connection.execute(
                select(groups.c.completename).where(groups.c.id == row.groups_id)
            ).scalar()
        completename = f"{parent}{SEPARATOR}{encoded}" if parent else encoded
        self.log.field(history.GROUP, row.id, history.GROUP_NAME, row.name or "", encoded)
        if completename != row.completename:
            self.log.field(
                history.GROUP,
                row.id,
                history.GROUP_COMPLETENAME,
                row.completename or "",
                completename,
            )
            self._rebuild_below(row.id, completename, row.level)
        return {"name": encoded, "completename": completename}

    def _rebuild_below(self, group_id: int, completename: str, level: int) -> None:
        """Recompute completename and level of the sub-groups (GLPI's regenerateTreeUnderID)."""
        groups = tables.groups
        pending = [(group_id, completename, level)]
        while pending:
            parent_id, parent_name, parent_level = pending.pop()
            children = self.connection.execute(
                select(groups.c.id, groups.c.name).where(groups.c.groups_id == parent_id)
            ).all()
            for child_id, child_name in children:
                name = f"{parent_name}{SEPARATOR}{child_name or ''}"
                self.connection.execute(
                    update(groups)
                    .where(groups.c.id == child_id)
                    .values(completename=name, level=parent_level + 1, ancestors_cache=None)
                )
                pending.append((child_id, name, parent_level + 1))

    def _set_members(
        self,
        group_id: int,
        encoded_name: str,
        wanted: list[int],
        current: Sequence[int] | None = None,
    ) -> bool:
        if current is None:
            current = memberships.visible_member_ids(
                self.connection, self.server.id, group_id, self.scope
            )
        current_set, wanted_set = set(current), set(wanted)
        to_remove = [i for i in current if i not in wanted_set]
        to_add_ids = [i for i in wanted if i not in current_set]
        label = history.with_id(encoded_name, group_id)
        if to_remove:
            self._remove(group_id, label, to_remove)
        if to_add_ids:
            # The users added and their links (hidden members' among them), in one statement.
            found = group_facts.read(
                self.connection,
                server_id=self.server.id,
                scope=self.scope,
                sqlite=self.sqlite,
                group_id=group_id,
                actor=self.server.users_id_applied,
                wanted=Wanted(adding=to_add_ids, rights=False),
            )
            members = memberships.named_members(to_add_ids, found.addable)
            self._add(group_id, label, [m for m in members if m.id not in found.present])
        return bool(to_remove or to_add_ids)

    def rebuilt(self, row: Row[Any], found: GroupFacts, logged: Sequence[int]) -> Rebuilt | None:
        """After a change of the LOCKED_GROUP `row` given `found`'s members and links and the
        version's shared values: the group's version values and members now, from what it
        read and wrote, `logged` the group's history rows the flush added. None where that is
        not known: a database that does not return what it inserts, or facts read without
        the group's links (a large group's member edit)."""
        if found.members is None or found.links is None:
            return None
        highest_log = int(row._mapping[memberships.FINGERPRINT_LABELS[1]] or 0)
        return self._now(found.shared_fingerprint, found.links, found.members, highest_log, logged)

    def created(self, found: GroupFacts, logged: Sequence[int]) -> Rebuilt | None:
        """As `rebuilt`, after `create`: a new group had no links, members or history."""
        return self._now(found.shared_fingerprint, {}, [], 0, logged)

    def _now(
        self,
        shared: tuple[int, ...] | None,
        links: Mapping[int, int],
        members: Sequence[tuple[int, str]],
        highest_log: int,
        logged: Sequence[int],
    ) -> Rebuilt | None:
        """The version values and members after this change, from those before it (`links`
        by user, `members` in link order, `highest_log`) and what it wrote."""
        added = self.added_links
        if added is None or shared is None:
            return None
        labels = memberships.FINGERPRINT_LABELS
        removed = set(self.removed)
        kept_links = [link for user_id, link in links.items() if user_id not in removed]
        own = {
            labels[0]: max([*kept_links, *added.values()], default=0),
            labels[1]: max([highest_log, *self.group_log_ids, *logged]),
        }
        kept = [member for member in members if member[0] not in removed]
        new = sorted(added, key=added.__getitem__)
        names = [(user_id, self.added[user_id].formatted_name) for user_id in new]
        return Rebuilt(own, shared, kept + names)

    def links_after(self, found: GroupFacts) -> int | None:
        """The group's links after the change, hidden users' included, from `found`'s links
        and those written; None when not known."""
        if found.links is None or self.added_links is None:
            return None
        return len(found.links.keys() - set(self.removed)) + len(self.added_links)

    def change_members(self, row: Row[Any], change: MemberChange, facts: GroupFacts) -> bool:
        """Apply a membership edit without reading the whole member list (except to replace
        it, where `facts` holds it when asked): `facts` (group_facts.py) tells which of the
        users named are members and which may be added. Sets `links_delta`: links added minus
        removed (None after a replace), and what `rebuilt` answers from."""
        group_id = row.id
        label = history.with_id(row.name or "", group_id)
        changed = False
        if self.connection.dialect.insert_returning:
            self.added_links = {}
        current = None if facts.members is None else [member for member, _ in facts.members]
        # A replace or a removal of all members changes the links `facts` describe: what
        # follows it reads them again.
        rebuilt = change.replace is not None or change.remove_all
        if change.replace is not None:
            wanted = member_ids(list(change.replace))
            changed = self._set_members(group_id, row.name or "", wanted, current)
        elif change.remove_all:
            if current is None:
                current = memberships.visible_member_ids(
                    self.connection, self.server.id, group_id, self.scope
                )
            if current:
                self._remove(group_id, label, current)
                changed = True
        delta = 0
        removing = removed_ids(change.remove)
        adding = member_ids(list(change.add))
        if rebuilt and (removing or adding):
            self.added_links = None  # edits past a rebuild: the answer reads the group again
        if removing:
            # A user outside the server's scope does not exist to it: no change.
            if rebuilt:
                present = memberships.existing(self.connection, group_id, removing)
                if self.scope is not None:
                    present &= memberships.in_scope(self.connection, list(present), self.scope)
            else:
                present = {i for i, in_scope in facts.present.items() if in_scope}
            gone = [i for i in dict.fromkeys(removing) if i in present]
            if gone:
                self._remove(group_id, label, gone)
                changed, delta = True, delta - len(gone)
        if adding:
            if rebuilt:
                members = memberships.resolve_users(
                    self.connection, self.server.id, adding, self.scope
                )
                present = memberships.existing(self.connection, group_id, adding)
            else:
                members = memberships.named_members(adding, facts.addable)
                present = set(facts.present)
            new = [m for m in members if m.id not in present]
            if new:
                self._add(group_id, label, new)
                changed, delta = True, delta + len(new)
        self.links_delta = None if rebuilt else delta
        if changed:
            self.touch(group_id)
        return changed

    def _remove(self, group_id: int, label: str, user_ids: Sequence[int]) -> None:
        memberships.remove(
            self.connection, group_id, label, user_ids, self.log, logged=self.group_log_ids
        )
        self.removed.extend(user_ids)

    def _add(self, group_id: int, label: str, members: Sequence[memberships.Member]) -> None:
        self.added.update((member.id, member) for member in members)
        memberships.add(self.connection, group_id, label, members, self.log, links=self.added_links)

    def _save_row(self, row: Row[Any], values: GroupValues) -> bool:
        """The tool's row of the group, as the LOCKED_GROUP `row` read it, made to hold
        `values`' externalId and attributes."""
        group_id = row.id
        if row.scim_row_id is None:
            old = None
        else:
            old = verbatim.ToolRow(
                row.scim_row_id,
                row.scim_external_id,
                verbatim.parse_attributes(row.scim_attributes),
            )
        if (
            old is not None
            and old.external_id == values.external_id
            and old.stored == values.stored
        ):
            return False
        if old is None or old.external_id != values.external_id:
            verbatim.claim_external_id(
                self.connection,
                self.server.id,
                GROUP,
                values.external_id,
                group_id,
                holder_visible=self._is_visible,
            )
        verbatim.save(
            self.connection,
            self.server.id,
            GROUP,
            group_id,
            values.external_id,
            values.stored,
            self.now,
        )
        self.after.update(
            scim_external_id=values.external_id,
            scim_attributes=verbatim.dump_attributes(values.stored),
        )
        return True

    def purge(self, row: Row[Any], *, keep_history: bool = False) -> None:
        """GLPI's purge of a group; its own history goes too, unless `keep_history`."""
        groups = tables.groups
        group_id = row.id
        label = history.with_id(row.name or "", group_id)
        self._reparent_children(row)
        memberships.remove(self.connection, group_id, label, None, self.log, log_on_group=False)
        self.connection.execute(
            update(USERS).where(USERS.c.groups_id == group_id).values(groups_id=0)
        )
        if not keep_history:
            self.drop_history(history.GROUP, group_id)
        verbatim.remove(self.connection, GROUP, group_id)
        owners.forget(self.connection, GROUP, group_id)  # nobody owns a purged item
        self.connection.execute(delete(groups).where(groups.c.id == group_id))

    def _reparent_children(self, row: Row[Any]) -> None:
        """Sub-groups move to the deleted group's parent, as GLPI's CommonTreeDropdown does."""
        groups = tables.groups
        children = self.connection.execute(
            select(groups.c.id, groups.c.name).where(groups.c.groups_id == row.id)
        ).all()
        if not children:
            return
        parent_name = None
        if row.groups_id:
            parent_name = self.connection.execute(
                select(groups.c.completename).where(groups.c.id == row.groups_id)
            ).scalar()
        for child_id, child_name in children:
            name = f"{parent_name}{SEPARATOR}{child_name}" if parent_name else (child_name or "")
            level = row.level or 1
            self.connection.execute(
                update(groups)
                .where(groups.c.id == child_id)
                .values(
                    groups_id=row.groups_id or 0,
                    completename=name,
                    level=level,
                    ancestors_cache=None,
                    sons_cache=None,
                )
            )
            self._rebuild_below(child_id, name, level)
