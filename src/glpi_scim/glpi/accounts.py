"""Who owns which GLPI user, and which users no server may write (`glpi-scim users ...`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, select

from glpi_scim.db import tables
from glpi_scim.db.collation import collation_key, sqlite_equal
from glpi_scim.db.database import Database
from glpi_scim.errors import GlpiScimError
from glpi_scim.glpi import text as glpi_text
from glpi_scim.glpi.policy import CONFIG_RIGHT, protected_logins_of
from glpi_scim.scim.store import USER

USERS = tables.users
OWNERS = tables.owners
SERVERS = tables.identity_servers


class AccountNotFound(GlpiScimError, LookupError):
    def __init__(self, login: str) -> None:
        super().__init__(f"no GLPI user has the login {login!r}")


@dataclass(frozen=True)
class Account:
    id: int
    login: str
    is_active: bool
    is_deleted: bool
    authtype: int
    owner_id: int | None
    owner_name: str | None
    origin: str | None  # created | adopted | migrated
    owned_since: datetime | None  # when the server created, adopted or migrated it
    last_change: datetime | None  # the owner's last write
    protected: str | None  # why no server may write it

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "login": self.login,
            "active": self.is_active,
            "in_trash": self.is_deleted,
            "authtype": self.authtype,
            "owner": None
            if self.owner_id is None
            else {"id": self.owner_id, "name": self.owner_name},
            "origin": self.origin,
            "owned_since": self.owned_since.isoformat() if self.owned_since else None,
            "last_change": self.last_change.isoformat() if self.last_change else None,
            "protected": self.protected,
        }


class Protection:
    """Why users are protected (policy.py rule 3), read once for many users."""

    def __init__(self, connection: Connection) -> None:
        links, rights, profiles = tables.profiles_users, tables.profilerights, tables.profiles
        self.config: dict[int, str] = {}
        query = (
            select(links.c.users_id, profiles.c.name)
            .join(rights, rights.c.profiles_id == links.c.profiles_id)
            .join(profiles, profiles.c.id == links.c.profiles_id)
            .where(rights.c.name == CONFIG_RIGHT, rights.c.rights > 0)
        )
        for users_id, profile in connection.execute(query):
            self.config.setdefault(users_id, glpi_text.decode(profile or ""))
        self.applied: dict[int, str] = {}
        self.listed: dict[str, str] = {}
        for row in connection.execute(
            select(SERVERS.c.id, SERVERS.c.name, SERVERS.c.users_id_applied, SERVERS.c.options)
        ):
            self.applied.setdefault(row.users_id_applied, f"{row.name!r} (id {row.id})")
            for login in protected_logins_of(row.options):
                self.listed.setdefault(collation_key(glpi_text.encode(login)), row.name)
        configs = tables.configs
        system = connection.execute(
            select(configs.c.value).where(
                configs.c.context == "core", configs.c.name == "system_user"
            )
        ).scalar()
        self.system_user = int(system) if system and str(system).isdigit() else 0

    def why(self, user_id: int, login: str) -> str | None:
        if user_id in self.config:
            return f"holds GLPI's config right (profile {self.config[user_id]!r})"
        if user_id in self.applied:
            return f"applied user of identity server {self.applied[user_id]}"
        if user_id == self.system_user:
            return "GLPI's system user"
        server = self.listed.get(collation_key(glpi_text.encode(login)))
        if server is not None:
            return f"listed with `server edit {server!r} --protect`"
        return None


class AccountService:
    def __init__(self, database: Database) -> None:
        self.database = database

    def _query(self) -> Any:
        return (
            select(
                USERS.c.id,
                USERS.c.name,
                USERS.c.is_active,
                USERS.c.is_deleted,
                USERS.c.authtype,
                OWNERS.c.servers_id,
                OWNERS.c.origin,
                OWNERS.c.date_creation.label("owned_since"),
                OWNERS.c.date_mod.label("last_change"),
                SERVERS.c.name.label("server_name"),
            )
            .select_from(
                USERS.outerjoin(
                    OWNERS, and_(OWNERS.c.itemtype == USER, OWNERS.c.items_id == USERS.c.id)
                ).outerjoin(SERVERS, SERVERS.c.id == OWNERS.c.servers_id)
            )
            .order_by(USERS.c.id)
        )

    def _accounts(self, connection: Connection, rows: Iterable[Any]) -> list[Account]:
        protection = Protection(connection)
        found = []
        for row in rows:
            login = glpi_text.decode(row.name or "")
            found.append(
                Account(
                    id=row.id,
                    login=login,
                    is_active=bool(row.is_active),
                    is_deleted=bool(row.is_deleted),
                    authtype=int(row.authtype or 0),
                    owner_id=row.servers_id,
                    owner_name=row.server_name,
                    origin=row.origin,
                    owned_since=row.owned_since,
                    last_change=row.last_change,
                    protected=protection.why(row.id, login),
                )
            )
        return found

    def list(
        self, *, server_id: int | None = None, unowned: bool = False, protected: bool = False
    ) -> list[Account]:
        query = self._query()
        if server_id is not None:
            query = query.where(OWNERS.c.servers_id == server_id)
        if unowned:
            query = query.where(OWNERS.c.id.is_(None))
        with self.database.read() as connection:
            accounts = self._accounts(connection, connection.execute(query))
        if protected:
            accounts = [account for account in accounts if account.protected]
        return accounts

    def show(self, login: str) -> Account:
        encoded = glpi_text.encode(login)
        with self.database.read() as connection:
            same = (
                sqlite_equal(USERS.c.name, encoded)
                if self.database.is_sqlite
                else USERS.c.name == encoded
            )
            rows = list(connection.execute(self._query().where(same)))
            if not rows and login.isdigit():
                rows = list(connection.execute(self._query().where(USERS.c.id == int(login))))
            if not rows:
                raise AccountNotFound(login)
            return self._accounts(connection, rows[:1])[0]
