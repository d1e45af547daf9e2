"""Group memberships (glpi_groups_users) written set-wise, with GLPI's history on both sides.

GLPI logs a membership added or removed on the user ("Group (id)") and on the group
("Realname Firstname (id)"), user side first. Large changes never load a group's member list:
additions and removals work on the ids given, in chunks, and the history of a mass removal is
written with INSERT ... SELECT.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    DateTime,
    Integer,
    String,
    and_,
    bindparam,
    case,
    cast,
    delete,
    func,
    literal,
    select,
)

from glpi_scim.db import tables
from glpi_scim.glpi import history
from glpi_scim.glpi import text as glpi_text
from glpi_scim.glpi.attributes.targets import formatted_user_name
from glpi_scim.glpi.scope import Scope, users_in_scope
from glpi_scim.scim.errors import InvalidValue
from glpi_scim.scim.store import USER

CHUNK = 1000
LINKS = tables.groups_users
USERS = tables.users
ROWS = tables.scim_resources
GROUPS = tables.groups


def chunks(ids: Sequence[int], size: int = CHUNK) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


@dataclass(frozen=True)
class Member:
    id: int
    login: str | None
    realname: str | None
    firstname: str | None

    @property
    def log_name(self) -> str:
        return history.user_log_name(self.id, self.login, self.realname, self.firstname)

    @property
    def formatted_name(self) -> str:
        """What formatted_user_name reads for this user (a member's display), decoded."""
        if self.realname:
            name = f"{self.realname} {self.firstname}" if self.firstname else self.realname
        else:
            name = self.login or ""
        return glpi_text.decode(name)


def visible_users_condition(server_id: int, users: Any = USERS, scope: Scope = None) -> Any:
    """Users this server sees: not in GLPI's trash, in its entity scope, not deleted through
    SCIM on this server."""
    hidden = select(ROWS.c.items_id).where(
        ROWS.c.servers_id == server_id, ROWS.c.itemtype == USER, ROWS.c.is_deleted == 1
    )
    return and_(users.c.is_deleted == 0, users.c.id.not_in(hidden), users_in_scope(scope, users))


def resolve_users(
    connection: Connection, server_id: int, ids: Sequence[int], scope: Scope = None
) -> list[Member]:
    """The users `ids` names, in order; InvalidValue naming those that are not users here."""
    found: dict[int, Member] = {}
    for chunk in chunks(ids):
        query = select(USERS.c.id, USERS.c.name, USERS.c.realname, USERS.c.firstname).where(
            USERS.c.id.in_(chunk), visible_users_condition(server_id, scope=scope)
        )
        for row in connection.execute(query):
            found[row.id] = Member(row.id, row.name, row.realname, row.firstname)
    return named_members(ids, found)


def named_members(ids: Sequence[int], found: dict[int, Member]) -> list[Member]:
    """The users `ids` names, in order, from those found visible; InvalidValue naming the
    others."""
    missing = [i for i in ids if i not in found]
    if missing:
        shown = ", ".join(str(i) for i in missing[:10])
        more = f" and {len(missing) - 10} more" if len(missing) > 10 else ""
        raise InvalidValue(f"members: no user with id {shown}{more} in this GLPI")
    return [found[i] for i in ids]


def in_scope(connection: Connection, user_ids: Sequence[int], scope: Scope) -> set[int]:
    """Those of `user_ids` inside `scope` (an identity server's entities)."""
    found: set[int] = set()
    for chunk in chunks(user_ids):
        query = select(USERS.c.id).where(USERS.c.id.in_(chunk), users_in_scope(scope, USERS))
        found.update(int(i) for i in connection.execute(query).scalars())
    return found


def existing(connection: Connection, group_id: int, user_ids: Sequence[int]) -> set[int]:
    """Which of `user_ids` are already members of the group (any row, visible or not)."""
    present: set[int] = set()
    for chunk in chunks(user_ids):
        query = select(LINKS.c.users_id).where(
            LINKS.c.groups_id == group_id, LINKS.c.users_id.in_(chunk)
        )
        present.update(connection.execute(query).scalars())
    return present


def visible_member_ids(
    connection: Connection, server_id: int, group_id: int, scope: Scope = None
) -> list[int]:
    query = (
        select(LINKS.c.users_id)
        .join(USERS, USERS.c.id == LINKS.c.users_id)
        .where(LINKS.c.groups_id == group_id, visible_users_condition(server_id, scope=scope))
        .order_by(LINKS.c.id)
    )
    return list(connection.execute(query).scalars())


def add(
    connection: Connection,
    group_id: int,
    group_label: str,
    members: Iterable[Member],
    log: history.History,
    *,
    links: dict[int, int] | None = None,
) -> int:
    """Add memberships (the caller checked they do not exist); returns how many. `links`,
    where the database returns what it inserts: filled with each new link's id by user."""
    rows = []
    for member in members:
        rows.append(
            {
                "users_id": member.id,
                "groups_id": group_id,
                "is_dynamic": 1,
                "is_manager": 0,
                "is_userdelegate": 0,
            }
        )
        log.add(
            history.USER, member.id, history.ADD_RELATION, itemtype_link=history.GROUP,
            new=group_label,
        )  # fmt: skip
        log.add(
            history.GROUP, group_id, history.ADD_RELATION, itemtype_link=history.USER,
            new=member.log_name,
        )  # fmt: skip
    chunked = [rows[start : start + CHUNK] for start in range(0, len(rows), CHUNK)]
    if links is None or not connection.dialect.insert_returning:
        for chunk in chunked:
            connection.execute(LINKS.insert(), chunk)
        return len(rows)
    returning = LINKS.insert().returning(LINKS.c.id, LINKS.c.users_id)
    for chunk in chunked:
        links.update(
            (int(link.users_id), int(link.id)) for link in connection.execute(returning, chunk)
        )
    return len(rows)


def remove(
    connection: Connection,
    group_id: int,
    group_label: str,
    user_ids: Sequence[int] | None,
    log: history.History,
    *,
    log_on_group: bool = True,
    logged: list[int] | None = None,
) -> None:
    """Remove memberships of `user_ids` (all of the group's when None), logging each removal.
    `logged`, where the database returns what it inserts: given the ids of the group's new
    history rows."""
    if user_ids is None:
        _remove_where(connection, group_id, group_label, None, log, log_on_group, logged)
        return
    for chunk in chunks(user_ids):
        _remove_where(connection, group_id, group_label, chunk, log, log_on_group, logged)


def _remove_where(
    connection: Connection,
    group_id: int,
    group_label: str,
    chunk: Sequence[int] | None,
    log: history.History,
    log_on_group: bool,
    logged: list[int] | None,
) -> None:
    returning = logged is not None and connection.dialect.insert_returning
    on_users, on_group, links = _removal(chunk is None, log_on_group, returning)
    parameters: dict[str, Any] = {
        "group_id": group_id,
        "log_actor": log.actor,
        "log_now": log.now,
        "group_label": group_label[: history.MAX_VALUE],
    }
    if chunk is not None:
        parameters["users"] = list(chunk)
    connection.execute(on_users, parameters)
    if on_group is not None:
        result = connection.execute(on_group, parameters)
        if returning and logged is not None:
            logged.extend(int(row.id) for row in result)
    connection.execute(links, parameters)


@functools.lru_cache(maxsize=8)  # built once: a member's removal runs on every such edit
def _removal(all_links: bool, log_on_group: bool, returning: bool) -> tuple[Any, Any, Any]:
    """The statements of a removal of links (the group's all, or the bound `users`'): the
    history on the users, on the group (None: not logged there; RETURNING its ids), the
    DELETE."""
    condition = LINKS.c.groups_id == bindparam("group_id")
    if not all_links:
        condition = and_(condition, LINKS.c.users_id.in_(bindparam("users", expanding=True)))
    logs = tables.logs
    columns = [
        logs.c.itemtype,
        logs.c.items_id,
        logs.c.itemtype_link,
        logs.c.linked_action,
        logs.c.user_name,
        logs.c.date_mod,
        logs.c.id_search_option,
        logs.c.old_value,
        logs.c.new_value,
    ]
    actor = bindparam("log_actor", type_=String())
    now = bindparam("log_now", type_=DateTime())
    on_users = select(
        literal(history.USER),
        LINKS.c.users_id,
        literal(history.GROUP),
        literal(history.DELETE_RELATION),
        actor,
        now,
        literal(0),
        bindparam("group_label", type_=String()),
        literal(""),
    ).where(condition)
    on_group = None
    if log_on_group:
        member_name = func.substr(
            formatted_user_name(USERS).concat(" (").concat(cast(USERS.c.id, String)).concat(")"),
            1,
            history.MAX_VALUE,
        )
        named = (
            select(
                literal(history.GROUP),
                bindparam("group_id", type_=Integer()),
                literal(history.USER),
                literal(history.DELETE_RELATION),
                actor,
                now,
                literal(0),
                member_name,
                literal(""),
            )
            .select_from(LINKS.join(USERS, USERS.c.id == LINKS.c.users_id))
            .where(condition)
        )
        on_group = logs.insert().from_select(columns, named)
        if returning:
            on_group = on_group.returning(logs.c.id)
    return (
        logs.insert().from_select(columns, on_users),
        on_group,
        delete(LINKS).where(condition),
    )


def remove_user_everywhere(
    connection: Connection, user_id: int, user_label: str, log: history.History
) -> None:
    """Drop every membership of a user being purged; the groups' history records it."""
    groups = tables.groups
    query = (
        select(LINKS.c.groups_id)
        .join(groups, groups.c.id == LINKS.c.groups_id)
        .where(LINKS.c.users_id == user_id)
        .order_by(LINKS.c.id)
    )
    for group_id in connection.execute(query).scalars():
        log.add(
            history.GROUP, group_id, history.DELETE_RELATION, itemtype_link=history.USER,
            old=user_label,
        )  # fmt: skip
    connection.execute(delete(LINKS).where(LINKS.c.users_id == user_id))


def bounded_link_count(group_id: Any, up_to: Any, probe_offset: Any) -> ColumnElement[int]:
    """SQL: the group's links, counted no further than `up_to` (`probe_offset`: up_to - 1,
    apart since MariaDB takes no expression in OFFSET). Users hidden from the server count:
    the figure only tells a large group.

    A probe for the up_to-th link reads the index entries up to it and nothing more; only when
    it finds none is the (then small) group counted. MariaDB evaluates only the CASE branch
    it takes; a COUNT over a LIMITed derived table would copy the entries first (2,023 rows
    read per call against 1,001, measured at 50,000 links)."""
    probe = link_probe(group_id, probe_offset)
    every = select(func.count()).select_from(LINKS).where(LINKS.c.groups_id == group_id)
    return case((probe.is_(None), every.scalar_subquery()), else_=up_to)


def link_probe(group_id: Any, offset: Any) -> Any:
    """SQL: the id of the group's link after the first `offset` (NULL: it has no more)."""
    links = select(LINKS.c.id).where(LINKS.c.groups_id == group_id)
    return links.order_by(LINKS.c.id).offset(offset).limit(1).scalar_subquery()


FINGERPRINT_LABELS = tuple(f"fingerprint_{i}" for i in range(6))


def fingerprint_columns(groups: Any, server_id: Any) -> list[ColumnElement[Any]]:
    """Columns, for a SELECT of `groups` (glpi_groups or an alias), labelled FINGERPRINT_LABELS:
    a value per group that changes whenever the members this server sees change, read from a
    few index entries instead of the member list (which may hold 50,000 users):

    - the group's highest link id: an addition always creates a higher one;
    - the group's highest history row: every removal is logged on the group, by GLPI and by
      the tool alike, and history ids only grow;
    - how many users are in GLPI's trash or deleted through SCIM on this server (count and
      highest id): trashing or restoring a member hides or shows it without touching the
      group. These are shared by all groups, so such a change renews every group's version;
      a weak ETag that changes too often only costs a client a re-read.
    """
    shared = shared_fingerprint_values(server_id)
    labels = FINGERPRINT_LABELS[len(FINGERPRINT_LABELS) - len(shared) :]
    return [
        *own_fingerprint_columns(groups),
        *(value.label(label) for value, label in zip(shared, labels, strict=True)),
    ]


def own_fingerprint_columns(groups: Any) -> list[ColumnElement[Any]]:
    """The fingerprint's values of the group itself (the first two), correlated to `groups`:
    a write's locking read of the group reads them with its row."""
    return [
        value.label(label)
        for value, label in zip(own_fingerprint_values(groups), FINGERPRINT_LABELS, strict=False)
    ]


def own_fingerprint_values(groups: Any) -> list[ColumnElement[Any]]:
    """own_fingerprint_columns, unlabelled."""
    logs = tables.logs
    highest_link = (
        select(func.max(LINKS.c.id)).where(LINKS.c.groups_id == groups.c.id).scalar_subquery()
    )
    highest_log = (
        select(func.max(logs.c.id))
        .where(logs.c.itemtype == history.GROUP, logs.c.items_id == groups.c.id)
        .scalar_subquery()
    )
    return [highest_link, highest_log]


def shared_fingerprint_values(server_id: Any) -> list[ColumnElement[Any]]:
    """The fingerprint's values shared by every group (the last four): uncorrelated, so a
    write reads them after its lock, not with it (group_facts.py)."""
    trashed = USERS.c.is_deleted == 1
    tombstones = and_(
        ROWS.c.servers_id == server_id, ROWS.c.itemtype == USER, ROWS.c.is_deleted == 1
    )
    return [
        select(func.count()).select_from(USERS).where(trashed).scalar_subquery(),
        select(func.max(USERS.c.id)).where(trashed).scalar_subquery(),
        select(func.count()).select_from(ROWS).where(tombstones).scalar_subquery(),
        select(func.max(ROWS.c.id)).where(tombstones).scalar_subquery(),
    ]


def fingerprint(row: Any) -> tuple[int, ...]:
    """The fingerprint read with fingerprint_columns."""
    return tuple(int(row._mapping[label] or 0) for label in FINGERPRINT_LABELS)
