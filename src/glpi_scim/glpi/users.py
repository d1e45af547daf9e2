"""SCIM Users on glpi_users and its satellites: reading pages, creating, updating, deleting.

A GLPI user is a SCIM User of an identity server when it is not in GLPI's trash, lies in the
server's entity scope (scope.py: an authorization in its entity, or below with --recursive; a
server in the root entity sees every user) and was not deleted by that server under the
"deactivate" policy. Identity providers look existing accounts up by userName to link them;
which of those a server may then write is policy.py's decision. Writes follow what GLPI's own
User class does: encoded text, a profile authorization for a new user, SCIM-owned e-mails
flagged dynamic, history rows.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, cast

from sqlalchemy import (
    Connection,
    Row,
    and_,
    bindparam,
    delete,
    select,
    update,
)
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import BindParameter

from glpi_scim.db import dml, packed, tables
from glpi_scim.db.collation import sqlite_equal
from glpi_scim.db.packed import MappedRow
from glpi_scim.db.transaction import inserted_id
from glpi_scim.glpi import creation, history, memberships, owners, passwords, verbatim
from glpi_scim.glpi import text as glpi_text
from glpi_scim.glpi.attributes import registry
from glpi_scim.glpi.attributes.base import EmailRow, WriteContext
from glpi_scim.glpi.creation import LoginHolder, NewUserFacts
from glpi_scim.glpi.mapping import UserRecord, UserValues, user_resource
from glpi_scim.glpi.paging import (
    PageRequest,
    PageStatement,
    equality_page,
    page_statement,
    read_page,
)
from glpi_scim.glpi.policy import Policy
from glpi_scim.glpi.scope import ROOT_ENTITY, Scope, server_scope, users_in_scope
from glpi_scim.glpi.sqlfilter import Frame, SqlFilter
from glpi_scim.glpi.user_parts import (
    DropdownName,
    UserParts,
    read_parts,
    read_user_with_parts,
)
from glpi_scim.glpi.writer import Writer
from glpi_scim.identity.models import AUTHTYPE_DB_GLPI, IdentityServer
from glpi_scim.scim.ast import AttrPath, Filter
from glpi_scim.scim.errors import InvalidValue, NotFound, Uniqueness
from glpi_scim.scim.store import USER, Resource

U = tables.users.alias("scim_u")
R = tables.scim_resources.alias("scim_r")
TOOL = tables.scim_resources.alias("scim_tombstone")
EMAILS = tables.useremails
LINKS = tables.groups_users


def frame(server_id: int, sqlite: bool) -> Frame:
    return Frame(USER, U, R, "scim_r", sqlite, server_id)


@functools.lru_cache(maxsize=64)  # per server: a statement is never changed, only copied
def base(server_id: int | BindParameter[Any]) -> Any:
    return U.outerjoin(
        R, and_(R.c.servers_id == server_id, R.c.itemtype == USER, R.c.items_id == U.c.id)
    )


@functools.lru_cache(maxsize=64)  # per server: a statement is never changed, only copied
def visible(server_id: int | BindParameter[Any]) -> Any:
    """Not in GLPI's trash, not deleted through SCIM on this server.

    Written without the tool table joined in `base`, so that MariaDB drops that outer join from
    a count or a page of ids (table elimination) and reads the few tombstones once instead of
    probing the tool table for every user (COUNT over 100,000 users: 150 ms -> 30 ms); SQLite
    runs the correlated NOT EXISTS as one unique-key lookup per candidate row.
    """
    tombstone = select(TOOL.c.id).where(
        TOOL.c.servers_id == server_id,
        TOOL.c.itemtype == USER,
        TOOL.c.items_id == U.c.id,
        TOOL.c.is_deleted == 1,
    )
    return and_(U.c.is_deleted == 0, ~tombstone.exists())


# The glpi_users columns a SCIM User is read from. GLPI's table has over 100 columns: reading
# only these halves the cost of fetching a user (the driver parses every column's metadata and
# value) and cuts a 100-user page by a third.
# Each declaration of the registry adds its own (and its joins).
READ_COLUMNS = (
    U.c.id,
    U.c.date_creation,
    U.c.date_mod,
    *(column for declared in registry.USER for column in declared.columns(U)),
)


@functools.lru_cache(maxsize=64)  # per server: a statement is never changed, only copied
def _page_select(server_id: int | BindParameter[Any]) -> Select[Any]:
    source = base(server_id)
    for declared in registry.USER:
        source = declared.joins(source, U)
    return select(
        *READ_COLUMNS,
        R.c.id.label("scim_row_id"),
        R.c.external_id.label("scim_external_id"),
        R.c.attributes.label("scim_attributes"),
    ).select_from(source)


# The statements every GET of a user runs, built once: building and hashing a five-table
# SELECT for SQLAlchemy's statement cache cost more than running it.
_SERVER: BindParameter[int] = bindparam("server_id")
_IDS: BindParameter[list[int]] = bindparam("ids", expanding=True)
ONE_USER = _page_select(_SERVER).where(U.c.id == bindparam("user_id"), visible(_SERVER))


@functools.lru_cache(maxsize=128)  # per server, scope, attribute and page: the value is bound
def _equality_page(
    server_id: int, scope: Scope, sqlite: bool, path: AttrPath, offset: int, count: int
) -> PageStatement:
    """A page of the users whose `path` equals the bound EQUALITY_VALUE (sqlfilter.Equality):
    the lookup identity providers send before each create, built once instead of per request."""
    sql = SqlFilter(frame(server_id, sqlite))
    condition = and_(visible(server_id), users_in_scope(scope, U), sql.bound_equality(path))
    return page_statement(
        source=base(server_id),
        item_id=U.c.id,
        condition=condition,
        rows=_page_select(server_id),
        request=PageRequest(offset + 1, count),
    )


def _locked_user() -> Select[Any]:
    """A write's first read of the user it changes: its whole glpi_users row, locked until
    commit, with the rest of what ONE_USER reads and its owner, all as correlated subqueries.

    MariaDB locks every row a join reads, so the dropdown rows, the manager and the tool's row
    are subqueries: only the user's row is locked. Correlated to it, they run once its lock is
    held and see the last committed state, as the plain reads after it do (owners.py).
    """
    return (
        select(
            U,
            *(column for declared in registry.USER for column in declared.correlated(U)),
            *verbatim.row_columns(_SERVER, USER, U.c.id),
            *owners.owner_columns(USER, U.c.id),
        )
        .where(U.c.id == bindparam("user_id"), visible(_SERVER))
        .with_for_update()
    )


LOCKED_USER = _locked_user()


@functools.lru_cache(maxsize=64)  # per scope: built once, so that db/packed.py packs it once
def _one_user_in(scope: Scope) -> Select[Any]:
    return ONE_USER.where(users_in_scope(scope, U))


@functools.lru_cache(maxsize=64)  # per scope, as _one_user_in
def _locked_user_in(scope: Scope) -> Select[Any]:
    return LOCKED_USER.where(users_in_scope(scope, U))


class UserReader:
    """Users as SCIM resources; a page costs a fixed number of queries whatever its size."""

    def __init__(self, connection: Connection, server: IdentityServer, sqlite: bool):
        self.connection = connection
        self.server = server
        self.sqlite = sqlite
        # The parts of the last users rendered (a write compares with their e-mail rows).
        self.parts: UserParts | None = None

    @functools.cached_property
    def scope(self) -> Scope:
        """Read when first needed: a recursive server's reads the entity tree, which a write
        must read only after its lock (`locked`)."""
        return server_scope(self.connection, self.server)

    def one(self, user_id: int, *, skip: frozenset[str] = frozenset()) -> Resource:
        return self.current(user_id, skip=skip)[0]

    def current(
        self, user_id: int, *, skip: frozenset[str] = frozenset()
    ) -> tuple[Resource, Row[Any]]:
        """The user as SCIM sees it, and the row it was built from."""
        statement = ONE_USER if self.scope is None else _one_user_in(self.scope)
        parameters = {"server_id": self.server.id, "user_id": user_id}
        if self.sqlite:
            found = packed.execute(self.connection, statement, parameters)
            row, parts = (found[0] if found else None), None
        else:  # the row with its parts: one round trip
            row, parts = read_user_with_parts(self.connection, statement, parameters)
        if row is None:
            raise NotFound(f"User {user_id} not found")
        return self.render([row], skip, parts=parts)[0], row

    def locked(
        self, user_id: int, actor: int, dropdowns: Sequence[DropdownName] = ()
    ) -> tuple[Resource, Row[Any]]:
        """As `current(user_id)`, for a write: the user's row is locked until commit by the
        same statement, which also reads its owner (LOCKED_USER), and `self.parts` also holds
        the user's and the applied user's (`actor`) authorizations and the rows of the
        `dropdowns` names (user_parts.py). The row is both the glpi_users row the write
        compares with and what `answer` starts from."""
        everywhere = self.server.entities_id == ROOT_ENTITY
        # A recursive server's scope needs the entity tree: read after the lock, below.
        deferred = not everywhere and self.server.is_recursive
        statement = LOCKED_USER
        if not everywhere and not deferred:  # the server's one entity: known without a read
            statement = _locked_user_in(self.scope)
        parameters = {"server_id": self.server.id, "user_id": user_id}
        found = packed.execute(self.connection, statement, parameters)
        row = found[0] if found else None
        if row is not None and deferred:  # the entity tree, read now that the lock is held
            condition = users_in_scope(self.scope, U)
            in_scope = select(U.c.id).where(U.c.id == user_id, condition)
            row = row if self.connection.execute(in_scope).first() else None
        if row is None:
            raise NotFound(f"User {user_id} not found")
        return self.render([row], frozenset(), actor, dropdowns)[0], row

    def answer(self, seen: Row[Any], written: Written) -> Resource:
        """The user as `locked` read it (`seen`, with `self.parts`) with what the write
        changed: what reading it again in this transaction would return, without the two
        statements. Its groups and membership fingerprint are as read: a user's write never
        changes them."""
        parts = self.parts
        if parts is None:
            raise RuntimeError("answer() needs the user read with locked() first")
        values = dict(seen._mapping)
        values.update(written.columns)  # glpi_users' columns keep their names in the SELECT
        values.update(written.after)
        if values.get("boss_id") == seen.id:  # its own manager: shown by the names just written
            values.update(
                boss_login=values["name"],
                boss_realname=values["realname"],
                boss_firstname=values["firstname"],
            )
        row = MappedRow(values)
        emails = parts.emails[seen.id] if written.emails is None else written.emails
        return user_resource(self._record(cast(Any, row), emails, parts.groups, parts.prints))

    def answer_new(self, inserted: Inserted) -> Resource:
        """A user this transaction inserted, as reading it would return it: no groups yet."""
        row = MappedRow(inserted.values)
        return user_resource(self._record(cast(Any, row), inserted.emails, {}, {}))

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
        shown = and_(visible(self.server.id), users_in_scope(self.scope, U))
        condition = shown if filter_ is None else and_(shown, sql.where(filter_))
        key = sql.sort_key(sort_by) if sort_by is not None else None
        total, rows = read_page(
            self.connection,
            source=base(self.server.id),
            item_id=U.c.id,
            condition=condition,
            rows=_page_select(self.server.id),
            request=PageRequest(start_index, count, key, descending),
        )
        return total, self.render(rows, skip)

    def render(
        self,
        rows: Sequence[Row[Any]],
        skip: frozenset[str],
        actor: int | None = None,
        dropdowns: Sequence[DropdownName] = (),
        *,
        parts: UserParts | None = None,
    ) -> list[Resource]:
        """`rows` as SCIM resources, their parts read unless given (`parts`)."""
        ids = [row.id for row in rows]
        if parts is None:
            parts = read_parts(self.connection, ids, actor, dropdowns)
        self.parts = parts
        groups = None if "groups" in skip else parts.groups
        return [
            user_resource(self._record(row, parts.emails[row.id], groups, parts.prints))
            for row in rows
        ]

    def _record(
        self,
        row: Row[Any],
        emails: list[tuple[str, bool]],
        groups: dict[int, list[tuple[int, str]]] | None,
        prints: dict[int, tuple[int, int]],
    ) -> UserRecord:
        values = {declared.name: declared.read(row) for declared in registry.USER}
        # The addresses come from the second statement (read_parts), not from the user's row.
        values[registry.EMAILS.name] = emails
        return UserRecord(
            id=row.id,
            values=values,
            date_creation=row.date_creation,
            date_mod=row.date_mod,
            groups=None if groups is None else groups.get(row.id, []),
            membership=prints.get(row.id, (0, 0)),
            external_id=row.scim_external_id,
            stored=verbatim.parse_attributes(row.scim_attributes),
        )


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------


@dataclass
class Written:
    """What an update of a user wrote, as its SELECT would now read it (UserReader.answer)."""

    columns: dict[str, Any]  # glpi_users columns
    after: dict[str, Any]  # other labels of the user's SELECT (dropdown names, manager, tool row)
    emails: list[tuple[str, bool]] | None  # None: the e-mails were not changed


@dataclass
class Inserted:
    """A new user's SELECT row and e-mails as the create wrote them (UserReader.answer_new)."""

    values: dict[str, Any]
    emails: list[tuple[str, bool]]


class UserWriter(Writer):
    # Set by the store: ownership, protection and GLPI's rules (policy.py).
    policy: Policy | None = None
    # Set by the store: the user as this transaction read it through UserReader.locked
    # (its lock, then the same snapshot): its dropdown names and the tool's row come from it,
    # and its e-mail rows from the parts read with it.
    seen: Row[Any] | None = None
    seen_emails: list[EmailRow] | None = None
    # Set by the store: the rows of the dropdown names the request gave, read with the user
    # (WriteContext.dropdown_rows).
    dropdown_rows: Mapping[tuple[str, str], Sequence[tuple[int, str]]] | None = None
    # Set by `apply`: what it wrote; by a create that added a row: that row.
    written: Written | None = None
    inserted: Inserted | None = None

    # -- lookups

    def holders(self, login: str) -> list[LoginHolder]:
        """Users whose login GLPI's collation sees as `login`, locked until commit."""
        encoded = glpi_text.encode(login)
        # SQLite: through the index on glpi_key(name); MariaDB: GLPI's unique login key.
        users = tables.users
        same = sqlite_equal(users.c.name, encoded) if self.sqlite else users.c.name == encoded
        rows = self.connection.execute(creation.login_holders(same, self.server.id)).all()
        return creation.login_holders_of(rows)

    def _hidden(self, ids: set[int]) -> set[int]:
        if not ids:
            return set()
        rows = verbatim.load(self.connection, self.server.id, USER, ids)
        return {i for i, row in rows.items() if row.is_deleted}

    def is_visible(self, user_id: int) -> bool:
        users = tables.users
        row = self.connection.execute(
            select(users.c.is_deleted).where(users.c.id == user_id)
        ).first()
        return row is not None and not row.is_deleted and not self._hidden({user_id})

    def current(self, user_id: int) -> Row[Any]:
        users = tables.users
        row = self.connection.execute(
            select(users).where(users.c.id == user_id).with_for_update()
        ).first()
        if row is None:
            raise NotFound(f"User {user_id} not found")
        return row

    def context(self, user_id: int, values: UserValues, *, new: bool = False) -> WriteContext:
        context = WriteContext(
            self.connection,
            self.log,
            self.now,
            user_id,
            self.server,
            self.sqlite,
            dict(values.stored),
            new,
            self._seen(user_id),
            self.seen_emails if self._seen(user_id) is not None else None,
        )
        if self.dropdown_rows and self._seen(user_id) is not None:
            context.dropdown_rows = self.dropdown_rows
        return context

    def _seen(self, user_id: int) -> Mapping[str, Any] | None:
        seen = self.seen
        if seen is None or not user_id or seen.id != user_id:
            return None
        return cast(Mapping[str, Any], seen._mapping)

    # -- create

    def create(self, values: UserValues, facts: NewUserFacts) -> int:
        """A new GLPI user, or a trashed/SCIM-deleted one with the same login brought back;
        `facts`: what creation.read found for it."""
        found = facts.holders
        taken = [h for h in found if h.visible]
        if taken:
            raise Uniqueness(
                f"userName {values.login!r} is already used by GLPI user {taken[0].id}"
            )
        context = self.context(0, values)
        for declared in registry.USER:
            declared.check(context, values.values[declared.name])
        verbatim.settle_external_id(
            self.connection, USER, values.external_id, None, facts.external_holders
        )
        if found:
            holder = found[0]
            if self.policy is not None:
                self.policy.check_resurrect(holder.id, values.login)
            row = self.current(holder.id)
            if holder.is_deleted:
                self.connection.execute(
                    update(tables.users)
                    .where(tables.users.c.id == holder.id)
                    .values(is_deleted=0, date_mod=self.now)
                )
                self.log.restored(history.USER, holder.id)
            active = True if values.active is None else values.active
            self.apply(row, _with_active(values, active), force_date=True)
            return holder.id
        return self._insert(values, context.after, facts)

    def _insert(self, values: UserValues, checked: dict[str, Any], facts: NewUserFacts) -> int:
        """A new glpi_users row with its rows elsewhere; `self.inserted` is then the user's
        SELECT row as it would read it (`checked`: what the checks read, the manager's names)."""
        users = tables.users
        profile_id, profile_name, entity_name = facts.profile
        row: dict[str, Any] = {
            "password": "",
            "authtype": self.server.authtype,
            "auths_id": 0,
            "is_deleted": 0,
            "entities_id": self.server.entities_id,
            "profiles_id": profile_id,
            "date_creation": self.now,
            "date_mod": self.now,
        }
        context = self.context(0, values, new=True)
        context.after.update(checked)
        context.dropdown_rows = facts.dropdowns
        for declared in registry.USER:
            row.update(declared.insert(context, values.values[declared.name]))
        row.update(self._password(values.password))
        log = self.log
        user_id = inserted_id(self.connection.execute(dml.insert(users), row))
        log.created(history.USER, user_id)
        context.user_id = user_id
        for declared in registry.USER:
            declared.write_rows(context, values.values[declared.name])
        if profile_id:
            self._authorize(user_id, (profile_id, profile_name), entity_name, row)
        verbatim.save(
            self.connection,
            self.server.id,
            USER,
            user_id,
            values.external_id,
            values.stored,
            self.now,
        )
        if self.policy is not None:
            self.policy.created(USER, user_id)
        self.inserted = Inserted(
            {
                **row,
                **context.after,
                "id": user_id,
                "scim_row_id": 0,  # any: the row exists
                "scim_external_id": values.external_id,
                "scim_attributes": verbatim.dump_attributes(values.stored),
            },
            context.emails_after or [],
        )
        return user_id

    def _password(self, password: str | None) -> dict[str, Any]:
        if password is None or not self.server.password_sync:
            return {}
        try:
            hashed = passwords.hash_password(password)
        except passwords.UnusablePassword as exc:
            raise InvalidValue(f"password: {exc}") from None
        return {"password": hashed, "password_last_update": self.now}

    def _authorize(
        self, user_id: int, profile: tuple[int, str], entity_name: str, user: dict[str, Any]
    ) -> None:
        """The glpi_profiles_users row GLPI gives a new user, with its three history rows."""
        profile_id, profile_name = profile
        entity_id = self.server.entities_id
        recursive = 1 if self.server.is_recursive else 0
        self.connection.execute(
            dml.insert(tables.profiles_users),
            {
                "users_id": user_id,
                "profiles_id": profile_id,
                "entities_id": entity_id,
                "is_recursive": recursive,
                "is_dynamic": 1,
                "is_default_profile": 1,
            },
        )
        user_label = history.user_log_name(
            user_id, user["name"], user.get("realname"), user.get("firstname")
        )
        profile_label = history.with_id(profile_name or "", profile_id)
        entity_label = history.with_id(entity_name or "", entity_id)
        flags = "D, R" if recursive else "D"
        log = self.log
        log.add(
            history.USER, user_id, history.ADD_SUBITEM, itemtype_link=history.PROFILE,
            new=f"{entity_label}, {profile_label} ({flags})",
        )  # fmt: skip
        log.add(
            history.PROFILE, profile_id, history.ADD_SUBITEM, itemtype_link=history.USER,
            new=f"{user_label}, {entity_label} ({flags})",
        )  # fmt: skip
        log.add(
            history.ENTITY, entity_id, history.ADD_SUBITEM, itemtype_link=history.USER,
            new=f"{user_label}, {profile_label} ({flags})",
        )  # fmt: skip

    # -- update

    def apply(self, row: Row[Any], values: UserValues, *, force_date: bool = False) -> bool:
        """Write the difference between GLPI's row and `values`; True when anything changed."""
        user_id = row.id
        changes: dict[str, Any] = {}
        login = glpi_text.encode(values.login)
        if login != row.name:
            clash = [h for h in self.holders(values.login) if h.id != user_id]
            if clash:
                raise Uniqueness(
                    f"userName {values.login!r} is already used by GLPI user {clash[0].id}"
                )
        context = self.context(user_id, values)
        for declared in registry.USER:
            declared.update(context, row, values.values[declared.name], changes)
        if values.password is not None and self.server.password_sync:
            if row.authtype == AUTHTYPE_DB_GLPI:
                changes.update(self._password(values.password))
            elif self.policy is not None:
                self.policy.notes.append(
                    f"the password of user {values.login!r} was not written: its GLPI authtype "
                    f"is {row.authtype}, not GLPI's own database (1); it signs in elsewhere"
                )
        # Rows of other tables (e-mails), then the tool's row with what the declarations marked.
        rows_changed = False
        for declared in registry.USER:
            wrote = declared.write_rows(context, values.values[declared.name])
            rows_changed = wrote or rows_changed
        stored_changed = self._save_row(user_id, replace(values, stored=context.stored))
        changed = bool(changes) or rows_changed or stored_changed
        if changed or force_date:
            changes["date_mod"] = self.now
            dml.update_row(self.connection, tables.users, user_id, changes)
        self.written = Written(changes, context.after, context.emails_after)
        if stored_changed:
            self.written.after.update(
                scim_external_id=values.external_id,
                scim_attributes=verbatim.dump_attributes(context.stored),
            )
        return changed

    def _save_row(self, user_id: int, values: UserValues) -> bool:
        seen = self._seen(user_id)
        if seen is None:
            old = verbatim.load(self.connection, self.server.id, USER, [user_id]).get(user_id)
        elif seen["scim_row_id"] is None:
            old = None
        else:  # a user SCIM sees has no tombstone on this server (visible())
            old = verbatim.ToolRow(
                seen["scim_row_id"],
                seen["scim_external_id"],
                verbatim.parse_attributes(seen["scim_attributes"]),
            )
        if (
            old is not None
            and not old.is_deleted
            and old.external_id == values.external_id
            and old.stored == values.stored
        ):
            return False
        if old is None or old.external_id != values.external_id:
            verbatim.claim_external_id(
                self.connection,
                self.server.id,
                USER,
                values.external_id,
                user_id,
                holder_visible=self.is_visible,
            )
        verbatim.save(
            self.connection,
            self.server.id,
            USER,
            user_id,
            values.external_id,
            values.stored,
            self.now,
        )
        return True

    # -- delete

    def trash(self, row: Row[Any]) -> None:
        dml.update_row(
            self.connection, tables.users, row.id, {"is_deleted": 1, "date_mod": self.now}
        )
        self.log.trashed(history.USER, row.id)
        verbatim.remove(self.connection, USER, row.id, self.server.id)

    def deactivate(self, row: Row[Any]) -> None:
        if row.is_active:
            dml.update_row(
                self.connection, tables.users, row.id, {"is_active": 0, "date_mod": self.now}
            )
            self.log.field(history.USER, row.id, history.USER_ACTIVE, "1", "0")
        verbatim.mark_deleted(self.connection, self.server.id, USER, row.id, self.now)

    def purge(self, row: Row[Any], *, keep_history: bool = False) -> None:
        """GLPI-style purge of the tables the tool knows; the user's own history goes too,
        unless `keep_history` (the doctor's probe user leaves its trail)."""
        user_id = row.id
        users = tables.users
        label = history.user_log_name(user_id, row.name, row.realname, row.firstname)
        memberships.remove_user_everywhere(self.connection, user_id, label, self.log)
        self.connection.execute(delete(EMAILS).where(EMAILS.c.users_id == user_id))
        self.connection.execute(
            delete(tables.profiles_users).where(tables.profiles_users.c.users_id == user_id)
        )
        self.connection.execute(
            update(users)
            .where(users.c.users_id_supervisor == user_id)
            .values(users_id_supervisor=0)
        )
        if not keep_history:
            self.drop_history(history.USER, user_id)
        verbatim.remove(self.connection, USER, user_id)
        # Nobody owns a purged item: a new user given the same id (SQLite reuses the highest)
        # starts unowned.
        owners.forget(self.connection, USER, user_id)
        self.connection.execute(delete(users).where(users.c.id == user_id))


def _with_active(values: UserValues, active: bool) -> UserValues:
    return replace(values, values={**values.values, registry.ACTIVE.name: active})
