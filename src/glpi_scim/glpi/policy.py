"""What an identity server may change: every SCIM write of a user or group passes here first.

A write is checked as if the server's applied user made it in GLPI (GLPI 10.0.19's src/User.php,
src/Profile.php, src/Session.php), then against the tool's own rules:

1. GLPI's rules, acting as the applied user with one of its profiles (GLPI acts with one active
   profile at a time: the write is allowed when one profile allows all of it). The profile needs
   the right (`user` or `group`: CREATE 4, UPDATE 2, DELETE 8, PURGE 16) and access to the
   item's entities (one of them to update, all of them to delete or purge, the server's entity
   to create). Changing an existing user also needs more rights than that user
   (Profile::currentUserHaveMoreRightThan): GLPI asks it for the password, e-mails and active
   flag; an identity provider's PUT or PATCH can carry any of them, so it is asked for every
   change of a user. The last active Super-Admin is never deactivated or deleted, GLPI's system
   user never deleted or purged.
2. Ownership: only the server that created or adopted an item writes it; adoption of an
   existing item follows the server's `adopt` setting.
3. Protection: users holding the `config` right, every server's applied user, GLPI's system user
   and the logins listed with `server edit --protect` are written by no server.

A refusal is a 403 whose detail names the rule and what to change. Nothing is written before
these checks pass: the store calls them first in the write's transaction.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any, Literal, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    bindparam,
    func,
    literal,
    select,
)

from glpi_scim.db import tables
from glpi_scim.db.collation import collation_key
from glpi_scim.db.dbapi import PACKED_RIGHTS_MAX
from glpi_scim.db.ttlcache import TtlCache
from glpi_scim.glpi import history, owners
from glpi_scim.glpi import text as glpi_text
from glpi_scim.glpi.scope import ROOT_ENTITY, below, entity_children
from glpi_scim.identity.models import AUTHTYPE_DB_GLPI, IdentityServer, ServerOptions
from glpi_scim.scim.errors import Forbidden
from glpi_scim.scim.store import GROUP, USER

# GLPI's rights bits (inc/define.php).
READ, UPDATE, CREATE, DELETE, PURGE = 1, 2, 4, 8, 16
RIGHT_WORDS = {READ: "READ", UPDATE: "UPDATE", CREATE: "CREATE", DELETE: "DELETE", PURGE: "PURGE"}
USER_RIGHT = "user"
GROUP_RIGHT = "group"
CONFIG_RIGHT = "config"
PROFILE_RIGHT = "profile"

Action = Literal["update", "deactivate", "delete", "purge"]
# What each way of deleting a user does in GLPI: deactivating is an update of is_active.
USER_ACTION_RIGHT: dict[Action, int] = {
    "update": UPDATE,
    "deactivate": UPDATE,
    "delete": DELETE,
    "purge": PURGE,
}


@dataclass
class ProfileFacts:
    id: int
    name: str
    interface: str
    rights: dict[str, int] = field(default_factory=dict)

    def right(self, name: str) -> int:
        return self.rights.get(name, 0)


@dataclass
class Authorizations:
    """A user's glpi_profiles_users rows: profile -> [(entity, recursive)], with the profiles."""

    profiles: dict[int, ProfileFacts] = field(default_factory=dict)
    rows: dict[int, list[tuple[int, bool]]] = field(default_factory=dict)

    @property
    def entities(self) -> set[int]:
        return {entity for rows in self.rows.values() for entity, _ in rows}


@dataclass(frozen=True)
class ServerFacts:
    id: int
    name: str
    users_id_applied: int
    protected_logins: tuple[str, ...]


class AuthorizationRow(NamedTuple):
    """A glpi_profiles_users row with its profile and one of the profile's rights (or none)."""

    users_id: int
    profiles_id: int
    entities_id: int
    is_recursive: int
    name: str | None
    interface: str | None
    right_name: str | None
    rights: int | None


def authorization_rows(
    users: Callable[[ColumnElement[int]], ColumnElement[bool]], right: str | None = None
) -> Any:
    """AuthorizationRow's columns, in that order, for the users `users` selects, with all
    their profiles' rights or only `right`."""
    return _authorizations_query(right is not None, users, right)


# AuthorizationRow's columns up to its right: the glpi_profiles_users row and its profile.
_LINK_COLUMNS = (
    tables.profiles_users.c.users_id,
    tables.profiles_users.c.profiles_id,
    tables.profiles_users.c.entities_id,
    tables.profiles_users.c.is_recursive,
    tables.profiles.c.name,
    tables.profiles.c.interface,
)


def _authorizations_query(
    one_right: bool,
    users: Callable[[ColumnElement[int]], ColumnElement[bool]] = lambda user: user.in_(
        bindparam("ids", expanding=True)
    ),
    right: str | None = None,
) -> Any:
    """`one_right`: only the right named `right`, or by the parameter `right` when None."""
    links, profiles, rights = tables.profiles_users, tables.profiles, tables.profilerights
    same_profile = rights.c.profiles_id == links.c.profiles_id
    named = bindparam("right") if right is None else right
    return (
        select(*_LINK_COLUMNS, rights.c.name.label("right_name"), rights.c.rights)
        .join(profiles, profiles.c.id == links.c.profiles_id)
        .outerjoin(
            rights,
            and_(same_profile, rights.c.name == named) if one_right else same_profile,
        )
        .where(users(links.c.users_id))
    )


# `rights` of a packed row: its `right_name` holds all its profile's rights (unpack_rights).
PACKED = -1


def packed_authorization_rows(users: Callable[[ColumnElement[int]], ColumnElement[bool]]) -> Any:
    """authorization_rows with all rights, one row per glpi_profiles_users row instead of one
    per right (a profile has about 95): its profile's rights packed into `right_name` as
    `name=bits,name=bits...` (GROUP_CONCAT; GLPI's right names are identifiers), `rights`
    PACKED."""
    links, profiles, rights = tables.profiles_users, tables.profiles, tables.profilerights
    # No CAST: MariaDB would give the number the connection's collation, which UNION refuses.
    pair = rights.c.name.concat("=").concat(rights.c.rights)
    packed = (
        select(func.group_concat(pair))
        .where(rights.c.profiles_id == links.c.profiles_id)
        .scalar_subquery()
    )
    return (
        select(*_LINK_COLUMNS, packed.label("right_name"), literal(PACKED).label("rights"))
        .join(profiles, profiles.c.id == links.c.profiles_id)
        .where(users(links.c.users_id))
    )


def unpack_rights(packed: str | None) -> Mapping[str, int]:
    """The rights a packed row's `right_name` holds (packed_authorization_rows); read only."""
    if not packed:
        return {}
    return _unpacked(packed)


# By the text: a profile's rights seldom change, and every write reads them.
@functools.lru_cache(maxsize=64)
def _unpacked(packed: str) -> Mapping[str, int]:
    if len(packed) >= PACKED_RIGHTS_MAX:
        raise RuntimeError("a profile's rights were cut short by the database's GROUP_CONCAT")
    found: dict[str, int] = {}
    for pair in packed.split(","):
        name, _, bits = pair.rpartition("=")
        if not name or not bits.lstrip("-").isdigit():
            raise RuntimeError(f"unreadable packed right {pair!r}")
        found[name] = int(bits)
    return MappingProxyType(found)


# Built once: these run on every write, and compiling them cost more than running them.
ALL_RIGHTS_QUERY = _authorizations_query(one_right=False)
ONE_RIGHT_QUERY = _authorizations_query(one_right=True)


def _load_authorizations(
    connection: Connection, user_ids: Iterable[int], rights_named: str | None = None
) -> dict[int, Authorizations]:
    """The authorizations and their profiles' rights (all, or only `rights_named`) of a few
    users, in one query."""
    ids = sorted(set(user_ids))
    if rights_named is None:
        rows = connection.execute(ALL_RIGHTS_QUERY, {"ids": ids})
    else:
        rows = connection.execute(ONE_RIGHT_QUERY, {"ids": ids, "right": rights_named})
    return authorizations_of(ids, rows)


def authorizations_of(ids: Iterable[int], rows: Iterable[Any]) -> dict[int, Authorizations]:
    """Each user's Authorizations from AuthorizationRow-shaped rows."""
    found: dict[int, Authorizations] = {user_id: Authorizations() for user_id in ids}
    seen: set[tuple[int, int, int, bool]] = set()
    for row in rows:
        auth = found.setdefault(row.users_id, Authorizations())
        facts = auth.profiles.get(row.profiles_id)
        if facts is None:
            facts = ProfileFacts(
                row.profiles_id, glpi_text.decode(row.name or ""), row.interface or "helpdesk"
            )
            auth.profiles[row.profiles_id] = facts
        if row.rights == PACKED:
            if not facts.rights:  # each of the profile's rows carries all its rights
                facts.rights.update(unpack_rights(row.right_name))
        elif row.right_name is not None:
            facts.rights[row.right_name] = int(row.rights or 0)
        key = (row.users_id, row.profiles_id, int(row.entities_id), bool(row.is_recursive))
        if key not in seen:
            seen.add(key)
            auth.rows.setdefault(row.profiles_id, []).append(key[2:])
    return found


def _all_profiles(connection: Connection) -> dict[int, ProfileFacts]:
    profiles, rights = tables.profiles, tables.profilerights
    query = select(
        profiles.c.id, profiles.c.name, profiles.c.interface, rights.c.name.label("right_name"),
        rights.c.rights,
    ).outerjoin(rights, rights.c.profiles_id == profiles.c.id)  # fmt: skip
    found: dict[int, ProfileFacts] = {}
    for row in connection.execute(query):
        facts = found.setdefault(
            row.id, ProfileFacts(row.id, glpi_text.decode(row.name or ""), row.interface or "")
        )
        if row.right_name is not None:
            facts.rights[row.right_name] = int(row.rights or 0)
    return found


def has_more_rights(actor: ProfileFacts, targets: Iterable[ProfileFacts]) -> bool:
    """Profile::currentUserHaveMoreRightThan with `actor` as the active profile.

    A profile that may create profiles outranks every profile; otherwise each target profile
    must be a helpdesk one (for a central actor) or have the actor's interface and no right bit
    the actor lacks (a right the target has no row for counts as 0).
    """
    if actor.right(PROFILE_RIGHT) & CREATE:
        return True
    for target in targets:
        if actor.interface == "central" and target.interface == "helpdesk":
            continue
        if target.interface != actor.interface:
            return False
        for name, bits in target.rights.items():
            if bits & ~actor.right(name):
                return False
    return True


def is_super_admin_profile(profile: ProfileFacts) -> bool:
    """GLPI's Super-Admin criteria: a central profile that may update profiles."""
    return profile.interface == "central" and bool(profile.right(PROFILE_RIGHT) & UPDATE)


_SYSTEM_USER = (
    select(tables.configs.c.value)
    .where(tables.configs.c.context == "core", tables.configs.c.name == "system_user")
    .scalar_subquery()
)


def _user_id(value: Any) -> int:
    return int(value) if value and str(value).isdigit() else 0


@dataclass(frozen=True)
class ProtectedAccounts:
    """Every identity server's applied user and protected logins, and GLPI's system user."""

    servers: tuple[ServerFacts, ...]
    system_user: int


def read_protected_accounts(connection: Connection) -> ProtectedAccounts:
    """One statement: the identity servers, each row carrying GLPI's system user."""
    rows = connection.execute(
        select(
            tables.identity_servers.c.id,
            tables.identity_servers.c.name,
            tables.identity_servers.c.users_id_applied,
            tables.identity_servers.c.options,
            _SYSTEM_USER.label("system_user"),
        )
    ).all()
    servers = tuple(
        ServerFacts(row.id, row.name, row.users_id_applied, protected_logins_of(row.options))
        for row in rows
    )
    if rows:
        return ProtectedAccounts(servers, _user_id(rows[0].system_user))
    return ProtectedAccounts(servers, _user_id(connection.execute(select(_SYSTEM_USER)).scalar()))


class ProtectedAccountsCache:
    """The protected accounts, read at most every `seconds` (`auth_cache_seconds`; 0 reads them
    for every write), one per process (ScimServiceFactory).

    They change when an identity server is added or edited, which the request's own server
    lookup already serves from a cache as old: the same bound, and the same rule that a change
    of a server made through this process takes effect here at once (`version`: localwrites'
    SERVERS). GLPI's system user is set once, by GLPI's installer.
    """

    def __init__(self, seconds: float) -> None:
        self._cache: TtlCache[int, ProtectedAccounts] = TtlCache(seconds)

    def get(self, connection: Connection, version: int) -> ProtectedAccounts:
        hit, cached = self._cache.get(0, version)
        if hit and cached is not None:
            return cached
        started = self._cache.clock()
        found = read_protected_accounts(connection)
        self._cache.put(0, found, version, read_at=started)
        return found


class Policy:
    """The checks of one write transaction, for one identity server."""

    def __init__(
        self,
        connection: Connection,
        server: IdentityServer,
        now: datetime,
        log: history.History,
        notes: list[str] | None = None,
        *,
        protected: Callable[[Connection], ProtectedAccounts] = read_protected_accounts,
    ) -> None:
        self.connection = connection
        self.server = server
        self.now = now
        self.log = log
        self.notes = notes if notes is not None else []
        self._children: dict[int, list[int]] | None = None
        self._read_protected = protected
        # Authorizations the write already read with the item (the store sets them).
        self.known_authorizations: dict[int, Authorizations] = {}
        self._protected: ProtectedAccounts | None = None
        self._applied_login: str | None = None
        self._create_actor: Authorizations | None = None

    # -- facts read on demand, at most once per transaction

    def children(self) -> dict[int, list[int]]:
        if self._children is None:
            self._children = entity_children(self.connection)
        return self._children

    @property
    def actor(self) -> int:
        """The applied user, as whom the server's writes are checked."""
        return self.server.users_id_applied

    def _authorizations(self, user_ids: list[int]) -> dict[int, Authorizations]:
        known = self.known_authorizations
        if all(user_id in known for user_id in user_ids):
            return known
        return _load_authorizations(self.connection, user_ids)

    def protected(self) -> ProtectedAccounts:
        if self._protected is None:
            self._protected = self._read_protected(self.connection)
        return self._protected

    def servers(self) -> tuple[ServerFacts, ...]:
        return self.protected().servers

    def system_user(self) -> int:
        return self.protected().system_user

    def applied_login(self) -> str:
        if self._applied_login is None:
            users = tables.users
            login = self.connection.execute(
                select(users.c.name).where(users.c.id == self.server.users_id_applied)
            ).scalar()
            self._applied_login = glpi_text.decode(login or f"#{self.server.users_id_applied}")
        return self._applied_login

    def _server_label(self, server_id: int) -> str:
        for facts in self.servers():
            if facts.id == server_id:
                return f"identity server {facts.name!r} (id {server_id})"
        return f"identity server {server_id} (removed)"

    def _entity_label(self, entity_ids: Iterable[int]) -> str:
        ids = sorted(set(entity_ids))
        if not ids:
            return "no entity (the user has no authorization)"
        entities = tables.entities
        names = dict(
            self.connection.execute(
                select(entities.c.id, entities.c.completename).where(entities.c.id.in_(ids))
            ).all()
        )
        shown = [repr(glpi_text.decode(names.get(i) or str(i))) for i in ids]
        return ("entity " if len(shown) == 1 else "entities ") + ", ".join(shown)

    # -- the acting user's profiles

    def _reach(self, rows: list[tuple[int, bool]]) -> set[int] | None:
        """Entities a profile gives access to (GLPI's active entities for that profile); None
        for all of them (the root entity, recursive: no need to read the entity tree)."""
        if (ROOT_ENTITY, True) in rows:
            return None
        flat = {entity for entity, recursive in rows if not recursive}
        deep = [entity for entity, recursive in rows if recursive]
        return flat | (below(self.children(), deep) if deep else set())

    def _acting(
        self, actor: Authorizations, right: str, bit: int
    ) -> list[tuple[ProfileFacts, set[int] | None]]:
        return [
            (profile, self._reach(actor.rows.get(profile_id, [])))
            for profile_id, profile in sorted(actor.profiles.items())
            if profile.right(right) & bit
        ]

    def _refuse_right(self, what: str, bit: int, where: str | None) -> Forbidden:
        place = f" in {where}" if where else ""
        return Forbidden(
            f"the applied user {self.applied_login()!r} has no {RIGHT_WORDS[bit]} right on "
            f"{what}{place}: GLPI's rules refuse it (rule 1); give the applied user a profile "
            f"with that right there, or choose another applied user (`glpi-scim server edit "
            f"{self.server.name!r} --applied-user LOGIN`)"
        )

    def _check_glpi_rules(
        self,
        right: str,
        bit: int,
        what: str,
        entities: set[int],
        *,
        all_entities: bool,
        outrank: list[ProfileFacts] | None = None,
        target_label: str = "",
        actor: Authorizations | None = None,
    ) -> None:
        """One of the applied user's profiles holds `bit` of `right` on the item's entities
        (one of them, or all of them), and, when `outrank` is given, more rights than those
        profiles."""
        if actor is None:  # only this right matters: read no other
            applied = self.server.users_id_applied
            actor = _load_authorizations(self.connection, [applied], right)[applied]
        candidates = self._acting(actor, right, bit)
        if not candidates:
            raise self._refuse_right(what, bit, None)
        placed = []
        for profile, reach in candidates:
            # Session::canViewAllEntities
            sees_all = reach is None or below(self.children(), [ROOT_ENTITY]) <= reach
            if sees_all or (
                reach is not None
                and bool(entities)
                and (entities <= reach if all_entities else bool(entities & reach))
            ):
                placed.append(profile)
        if not placed:
            raise self._refuse_right(what, bit, self._entity_label(entities))
        if outrank is None:
            return
        if not any(has_more_rights(profile, outrank) for profile in placed):
            names = ", ".join(repr(p.name) for p in outrank) or "every profile"
            raise Forbidden(
                f"{target_label} has rights the applied user {self.applied_login()!r} lacks "
                f"(profiles {names}): GLPI lets only a user with more rights change it (rule 1); "
                "use an applied user whose profile holds every right of those profiles"
            )

    # -- users

    def _protection(self, user_id: int, login: str, auth: Authorizations) -> str | None:
        for profile in auth.profiles.values():
            if profile.right(CONFIG_RIGHT):
                return f"it holds GLPI's config right (profile {profile.name!r})"
        for facts in self.servers():
            if facts.users_id_applied == user_id:
                return f"it is the applied user of identity server {facts.name!r} (id {facts.id})"
        if user_id == self.system_user():
            return "it is GLPI's system user (glpi_configs core system_user)"
        key = collation_key(glpi_text.encode(login))
        for facts in self.servers():
            if any(collation_key(glpi_text.encode(p)) == key for p in facts.protected_logins):
                return f"it is listed with `glpi-scim server edit {facts.name!r} --protect`"
        return None

    def protection_of(self, user_id: int, login: str) -> str | None:
        """Why no server may write this user, or None."""
        auth = _load_authorizations(self.connection, [user_id])[user_id]
        return self._protection(user_id, login, auth)

    def check_create_user(self, actor: Authorizations | None = None) -> None:
        """`actor`: the applied user's authorizations with their `user` right, when the
        create read them (creation.py); kept for a create that brings a user back."""
        if actor is not None:
            self._create_actor = actor
        self._check_glpi_rules(
            USER_RIGHT,
            CREATE,
            "users",
            {self.server.entities_id},
            all_entities=True,
            actor=self._create_actor,
        )

    def check_user(
        self,
        user_id: int,
        login: str,
        action: Action,
        *,
        is_active: bool,
        owner: owners.Owner | None,
    ) -> None:
        """Ownership, protection and GLPI's rules for changing or deleting an existing user;
        adopts the user when this server may. Raises Forbidden. `owner`: the user's, read
        with its locked row (owners.owner_columns)."""
        label = f"user {login!r}"
        if owner is not None and owner.servers_id != self.server.id:
            raise Forbidden(
                f"{label} belongs to {self._server_label(owner.servers_id)}: a server writes only "
                "the users it created or adopted (rule 2); change it through that server"
            )
        both = self._authorizations([user_id, self.server.users_id_applied])
        target = both[user_id]
        why = self._protection(user_id, login, target)
        if why is not None:
            raise Forbidden(
                f"{label} is protected: {why}; no identity server may write it (rule 3)"
            )
        self._check_glpi_rules(
            USER_RIGHT,
            USER_ACTION_RIGHT[action],
            "users",
            target.entities,
            all_entities=action in ("delete", "purge"),
            outrank=list(target.profiles.values()) or list(_all_profiles(self.connection).values()),
            target_label=label,
            actor=both[self.server.users_id_applied],
        )
        if action in ("deactivate", "delete", "purge") and is_active:
            self._check_last_super_admin(user_id, label, target)
        if action == "purge" and user_id == self.system_user():
            raise Forbidden(f"{label} is GLPI's system user: GLPI never purges it (rule 1)")
        if owner is None:
            self._adopt(USER, user_id, label)
        else:
            owners.touch(self.connection, USER, user_id, self.now)

    def _check_last_super_admin(self, user_id: int, label: str, target: Authorizations) -> None:
        supers = [pid for pid, p in target.profiles.items() if is_super_admin_profile(p)]
        if not supers:
            return
        links, users = tables.profiles_users, tables.users
        others = self.connection.execute(
            select(func.count(func.distinct(users.c.id)))
            .select_from(links.join(users, users.c.id == links.c.users_id))
            .where(
                links.c.profiles_id.in_(supers),
                users.c.id != user_id,
                users.c.is_active == 1,
                users.c.is_deleted == 0,
            )
        ).scalar()
        if not others:
            raise Forbidden(
                f"{label} is the last active Super-Admin: GLPI never deactivates or deletes it "
                "(rule 1)"
            )

    def check_resurrect(self, user_id: int, login: str) -> None:
        """A POST may bring back only a user this server deleted (rule 3)."""
        owner = owners.owner_of(self.connection, USER, user_id)
        if owner is None or owner.servers_id != self.server.id:
            who = "GLPI" if owner is None else self._server_label(owner.servers_id)
            raise Forbidden(
                f"userName {login!r} is held by GLPI user {user_id}, deleted by {who}: a server "
                "brings back only the users it deleted itself (rule 3); restore or purge that "
                "user in GLPI first"
            )
        why = self.protection_of(user_id, login)
        if why is not None:
            raise Forbidden(f"user {login!r} is protected: {why}; no identity server may write it")
        self.check_create_user()
        owners.touch(self.connection, USER, user_id, self.now)

    def may_sync_password(self, row_authtype: int) -> bool:
        """Password sync writes only users of GLPI's own database (authtype 1), never LDAP,
        mail or SSO accounts; ownership and protection are checked before any write."""
        return self.server.password_sync and row_authtype == AUTHTYPE_DB_GLPI

    def created(self, itemtype: str, items_id: int) -> None:
        owners.record(self.connection, itemtype, items_id, self.server.id, "created", self.now)

    def _adopt(self, itemtype: str, items_id: int, label: str) -> None:
        if self.server.adopt == "never":
            raise Forbidden(
                f"{label} was not created by identity server {self.server.name!r} and adoption "
                "is off (rule 2); allow it with `glpi-scim server edit "
                f"{self.server.name!r} --adopt unprotected`"
            )
        owners.record(self.connection, itemtype, items_id, self.server.id, "adopted", self.now)
        message = f"adopted by identity server {self.server.name!r} (id {self.server.id})"
        self.log.add(itemtype, items_id, history.SIMPLE_MESSAGE, new=message)
        self.notes.append(f"{label} (id {items_id}) {message}")

    # -- groups

    def check_create_group(self, actor: Authorizations | None = None) -> None:
        """`actor`: the applied user's authorizations with their `group` right, when the
        create read them (group_facts.py)."""
        self._check_glpi_rules(
            GROUP_RIGHT,
            CREATE,
            "groups",
            {self.server.entities_id},
            all_entities=True,
            actor=actor,
        )

    def check_group(
        self,
        group_id: int,
        name: str,
        entity_id: int,
        *,
        purge: bool,
        owner: owners.Owner | None,
        actor: Authorizations | None = None,
    ) -> None:
        """As check_user, for a group; `owner` read with its locked row, `actor`: the applied
        user's authorizations with their `group` right when the write read them already."""
        label = f"group {name!r}"
        if owner is not None and owner.servers_id != self.server.id:
            raise Forbidden(
                f"{label} belongs to {self._server_label(owner.servers_id)}: a server writes only "
                "the groups it created or adopted (rule 2); change it through that server"
            )
        self._check_glpi_rules(
            GROUP_RIGHT,
            PURGE if purge else UPDATE,
            "groups",
            {entity_id},
            all_entities=True,
            actor=actor,
        )
        if owner is None:
            self._adopt(GROUP, group_id, label)
        else:
            owners.touch(self.connection, GROUP, group_id, self.now)


def config_right(connection: Connection, user_id: int) -> int:
    """GLPI's `config` right bits the user holds through any of its profiles (0: none): who may
    look at (READ) or change (UPDATE) GLPI's setup."""
    auth = _load_authorizations(connection, [user_id], CONFIG_RIGHT)[user_id]
    bits = 0
    for profile in auth.profiles.values():
        bits |= profile.right(CONFIG_RIGHT)
    return bits


def protected_logins_of(raw: str | None) -> tuple[str, ...]:
    """The `protected_logins` of a server's stored options (the repository reports a bad one)."""
    return ServerOptions.read_stored(raw).protected_logins


def missing_rights(connection: Connection, server: IdentityServer) -> list[str]:
    """Warnings: each right the server will need that its applied user holds in no profile
    reaching the server's entity (user CREATE and UPDATE, DELETE or PURGE or UPDATE per the
    delete policy; group CREATE, UPDATE and PURGE)."""
    deleting = {"purge": PURGE, "deactivate": UPDATE}.get(server.delete_policy, DELETE)
    needs = [
        (USER_RIGHT, CREATE, "users"),
        (USER_RIGHT, UPDATE, "users"),
        (USER_RIGHT, deleting, "users"),
        (GROUP_RIGHT, CREATE, "groups"),
        (GROUP_RIGHT, UPDATE, "groups"),
        (GROUP_RIGHT, PURGE, "groups"),
    ]
    policy = Policy(connection, server, datetime.now(), history.History("", datetime.now()))
    actor = _load_authorizations(connection, [server.users_id_applied])[server.users_id_applied]
    warnings = []
    for right, bit, what in dict.fromkeys(needs):
        try:
            policy._check_glpi_rules(
                right, bit, what, {server.entities_id}, all_entities=True, actor=actor
            )
        except Forbidden as refused:
            warnings.append(
                f"identity server {server.name!r}: {refused.detail.split(': GLPI')[0]}; "
                "such requests will get 403"
            )
    return warnings
