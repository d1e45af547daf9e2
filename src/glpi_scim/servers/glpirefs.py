"""The GLPI rows an identity server points at: its applied user, entity and profile.

A reference is typed by an administrator as an id or a name; these look them up in GLPI's own
tables and refuse what GLPI would not accept (a deleted user, a missing entity or profile).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, Table, func, or_, select

from glpi_scim.db import tables
from glpi_scim.db.database import Database
from glpi_scim.glpi.text import decode as decode_text
from glpi_scim.glpi.text import encode as encode_text
from glpi_scim.identity.errors import InvalidServerSetting
from glpi_scim.servers.server_rows import GlpiRef as GlpiRef
from glpi_scim.servers.server_rows import user_ref

DEFAULT_PROFILE = 0  # the server has no profile of its own: GLPI's default profile applies


class GlpiReferences:
    def __init__(self, database: Database) -> None:
        self.database = database

    # -- lookups of what an administrator typed ---------------------------------------------

    def applied_user(self, ref: str | int) -> GlpiRef:
        """A GLPI user by id or login; it must exist and not be in GLPI's trash."""
        users = tables.users
        columns = (users.c.id, users.c.name, users.c.is_deleted)
        with self.database.begin() as connection:
            row = None
            if _is_id(ref):
                row = connection.execute(select(*columns).where(users.c.id == int(ref))).first()
            if row is None:
                login = str(ref).strip()
                row = _first(connection, select(*columns), users, login)
        if row is None:
            raise InvalidServerSetting(
                f"applied user {str(ref)!r}: no GLPI user has this login or id"
            )
        if row.is_deleted:
            raise InvalidServerSetting(
                f"applied user {str(ref)!r}: GLPI user {row.name} ({row.id}) is in GLPI's trash; "
                "restore it in GLPI or choose another user"
            )
        return GlpiRef(int(row.id), decode_text(row.name or ""))

    def entity(self, ref: str | int) -> GlpiRef:
        """A GLPI entity by id, name or complete name ("Root entity > Paris")."""
        entities = tables.entities
        with self.database.begin() as connection:
            query = select(entities.c.id, entities.c.completename, entities.c.name)
            row = None
            if _is_id(ref):
                row = connection.execute(query.where(entities.c.id == int(ref))).first()
            else:
                row = _unique(connection, query, entities, str(ref), "entity", "completename")
        if row is None:
            raise InvalidServerSetting(f"entity {str(ref)!r}: no GLPI entity has this id or name")
        return GlpiRef(int(row.id), decode_text(row.completename or row.name or ""))

    def profile(self, ref: str | int) -> GlpiRef:
        """A GLPI profile by id or name; 0 means "GLPI's default profile"."""
        if _is_id(ref) and int(ref) == DEFAULT_PROFILE:
            return self.default_profile()
        profiles = tables.profiles
        with self.database.begin() as connection:
            query = select(profiles.c.id, profiles.c.name)
            if _is_id(ref):
                row = connection.execute(query.where(profiles.c.id == int(ref))).first()
            else:
                row = _unique(connection, query, profiles, str(ref), "profile")
        if row is None:
            raise InvalidServerSetting(f"profile {str(ref)!r}: no GLPI profile has this id or name")
        return GlpiRef(int(row.id), decode_text(row.name or ""))

    def default_profile(self) -> GlpiRef:
        """Id 0 with a name saying which profile GLPI would give."""
        profiles = tables.profiles
        with self.database.begin() as connection:
            row = connection.execute(
                select(profiles.c.id, profiles.c.name)
                .where(profiles.c.is_default == 1)
                .order_by(profiles.c.id)
                .limit(1)
            ).first()
        name = f"GLPI's default: {decode_text(row.name or '')}" if row else "GLPI's default"
        return GlpiRef(DEFAULT_PROFILE, name)

    # -- choices for a form (the web console's dropdowns) ---------------------------------

    def entity_choices(self) -> list[GlpiRef]:
        entities = tables.entities
        query = select(entities.c.id, entities.c.completename, entities.c.name).order_by(
            entities.c.completename, entities.c.id
        )
        with self.database.read() as connection:
            rows = connection.execute(query).all()
        return [
            GlpiRef(int(row.id), decode_text(row.completename or row.name or "")) for row in rows
        ]

    def profile_choices(self) -> list[GlpiRef]:
        """GLPI's default (0) first, then every profile."""
        profiles = tables.profiles
        query = select(profiles.c.id, profiles.c.name).order_by(profiles.c.name, profiles.c.id)
        with self.database.read() as connection:
            rows = connection.execute(query).all()
        return [self.default_profile()] + [
            GlpiRef(int(row.id), decode_text(row.name or "")) for row in rows
        ]

    def user_choices(self, search: str = "", *, limit: int = 50) -> list[GlpiRef]:
        """Users not in the trash whose login contains `search` (every one when empty)."""
        users = tables.users
        query = select(users.c.id, users.c.name).where(users.c.is_deleted == 0)
        if search.strip():
            query = query.where(users.c.name.contains(encode_text(search.strip()), autoescape=True))
        query = query.order_by(users.c.name, users.c.id).limit(limit)
        with self.database.read() as connection:
            rows = connection.execute(query).all()
        return [GlpiRef(int(row.id), decode_text(row.name or "")) for row in rows]

    # -- display of stored ids (never fails: a row deleted in GLPI shows as missing) --------

    def describe_user(self, user_id: int) -> GlpiRef:
        users = tables.users
        with self.database.begin() as connection:
            row = (
                connection.execute(
                    select(users.c.name, users.c.is_deleted).where(users.c.id == user_id)
                )
                .mappings()
                .first()
            )
        return user_ref(user_id, row)

    def describe_entity(self, entity_id: int) -> GlpiRef:
        try:
            return self.entity(entity_id)
        except InvalidServerSetting:
            return GlpiRef(entity_id, "(missing GLPI entity)")

    def describe_profile(self, profile_id: int) -> GlpiRef:
        try:
            return self.profile(profile_id)
        except InvalidServerSetting:
            return GlpiRef(profile_id, "(missing GLPI profile)")


def _is_id(ref: str | int) -> bool:
    return isinstance(ref, int) or ref.strip().isdigit()


def _name_matches(column: ColumnElement[str], text: str) -> ColumnElement[bool]:
    # GLPI stores names HTML-encoded; compare without case as GLPI's collation does.
    return func.lower(column) == encode_text(text.strip()).lower()


def _first(connection: Connection, query: Select[Any], table: Table, login: str) -> Any:
    statement = query.where(_name_matches(table.c.name, login)).order_by(table.c.id).limit(1)
    return connection.execute(statement).first()


def _unique(
    connection: Connection,
    query: Select[Any],
    table: Table,
    text: str,
    what: str,
    *extra_columns: str,
) -> Any:
    condition = or_(
        _name_matches(table.c.name, text),
        *(_name_matches(table.c[column], text) for column in extra_columns),
    )
    rows = connection.execute(query.where(condition).order_by(table.c.id).limit(2)).all()
    if len(rows) > 1:
        ids = ", ".join(str(row.id) for row in rows)
        raise InvalidServerSetting(
            f"{what} {text!r} is ambiguous (ids {ids}, ...); give its id instead"
        )
    return rows[0] if rows else None
