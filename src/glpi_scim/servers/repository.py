"""Identity servers in glpi_plugin_glpiscim_servers: stored and read back, nothing more.

Validation lives in service.py; this module trusts the IdentityServer it is given.
"""

from __future__ import annotations

import difflib
from dataclasses import replace

from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from glpi_scim.db import tables
from glpi_scim.db.clock import to_db, utcnow
from glpi_scim.db.database import Database
from glpi_scim.identity.errors import DuplicateServerName, ServerNotFound
from glpi_scim.identity.models import IdentityServer
from glpi_scim.servers.server_rows import decode_server, encode_server

SERVERS = tables.identity_servers

# Every tool table that belongs to one identity server (servers_id), emptied when it is removed.
# GLPI's own rows (users, groups) are never touched.
OWNED_TABLES = (
    tables.tokens,
    tables.oauth_clients,
    tables.oauth_codes,
    tables.oauth_tokens,
    tables.request_logs,
    tables.digest_nonces,
    tables.auth_failures,
    tables.scim_resources,
    tables.guards,
    tables.removals,
    tables.owners,
    tables.server_stats,
)


class ServerRepository:
    def __init__(self, database: Database) -> None:
        self.database = database

    # -- reads ------------------------------------------------------------------------------

    def get(self, ref: str | int) -> IdentityServer:
        """The server with this id (int or digits) or name (any case); ServerNotFound else."""
        server = self.find(ref)
        if server is None:
            raise ServerNotFound(ref, self._close_names(ref))
        return server

    def _close_names(self, ref: str | int) -> tuple[str, ...]:
        """Names like a mistyped one ('entra' for 'Entra ID'); ids get none, so a request for
        an unknown id costs no query more."""
        typed = str(ref).strip()
        if not typed or typed.isdigit():
            return ()
        names = {server.name.lower(): server.name for server in self.list_all()}
        lowered = typed.lower()
        close = [name for key, name in names.items() if key.startswith(lowered)]
        close += [
            names[key]
            for key in difflib.get_close_matches(lowered, list(names), n=3, cutoff=0.6)
            if names[key] not in close
        ]
        return tuple(close[:3])

    def find(self, ref: str | int) -> IdentityServer | None:
        return self.database.reading(lambda connection: self._find(connection, ref))

    def get_default(self) -> IdentityServer | None:
        """The default server (lowest id should a concurrent edit have left two)."""
        query = select(SERVERS).where(SERVERS.c.is_default == 1).order_by(SERVERS.c.id).limit(1)
        row = self.database.reading(lambda connection: connection.execute(query).mappings().first())
        return None if row is None else decode_server(row)

    def list_all(self) -> list[IdentityServer]:
        with self.database.begin() as connection:
            rows = connection.execute(select(SERVERS).order_by(SERVERS.c.id)).mappings().all()
        return [decode_server(row) for row in rows]

    def name_taken(self, name: str, *, except_id: int | None = None) -> bool:
        """Names are unique whatever their case (MySQL's collation ignores it too)."""
        query = select(SERVERS.c.id).where(func.lower(SERVERS.c.name) == name.lower())
        if except_id is not None:
            query = query.where(SERVERS.c.id != except_id)
        with self.database.begin() as connection:
            return connection.execute(query.limit(1)).first() is not None

    # -- writes -----------------------------------------------------------------------------

    def create(self, server: IdentityServer) -> IdentityServer:
        """Insert `server` (its id is ignored); when it is default, others stop being default."""
        now = utcnow()
        values = encode_server(server)
        values.update(date_creation=to_db(now), date_mod=to_db(now))
        try:
            with self.database.begin() as connection:
                result = connection.execute(insert(SERVERS).values(**values))
                primary_key = result.inserted_primary_key
                assert primary_key is not None
                new_id = int(primary_key[0])
                if server.is_default:
                    _clear_other_defaults(connection, new_id)
        except IntegrityError:
            raise DuplicateServerName(server.name) from None
        return replace(server, id=new_id, date_creation=now, date_mod=now)

    def update(self, server: IdentityServer) -> IdentityServer:
        """Write every setting of `server` to its row; ServerNotFound when the row is gone."""
        now = utcnow()
        values = encode_server(server)
        values["date_mod"] = to_db(now)
        try:
            with self.database.begin() as connection:
                result = connection.execute(
                    update(SERVERS).where(SERVERS.c.id == server.id).values(**values)
                )
                if result.rowcount == 0:
                    raise ServerNotFound(server.id)
                if server.is_default:
                    _clear_other_defaults(connection, server.id)
        except IntegrityError:
            raise DuplicateServerName(server.name) from None
        return replace(server, date_mod=now)

    def delete(self, server_id: int) -> dict[str, int]:
        """Remove the server and every tool row it owns; rows removed per table."""
        removed: dict[str, int] = {}
        with self.database.begin() as connection:
            for table in OWNED_TABLES:
                result = connection.execute(delete(table).where(table.c.servers_id == server_id))
                removed[table.name] = int(result.rowcount or 0)
            result = connection.execute(delete(SERVERS).where(SERVERS.c.id == server_id))
            if result.rowcount == 0:
                raise ServerNotFound(server_id)
        return removed

    # -- internals --------------------------------------------------------------------------

    def _find(self, connection: Connection, ref: str | int) -> IdentityServer | None:
        if isinstance(ref, int) or ref.strip().isdigit():
            # Names are never all digits (service.py), so digits always mean an id.
            query = select(SERVERS).where(SERVERS.c.id == int(ref))
        else:
            query = (
                select(SERVERS)
                .where(func.lower(SERVERS.c.name) == ref.strip().lower())
                .order_by(SERVERS.c.id)
                .limit(1)
            )
        row = connection.execute(query).mappings().first()
        return None if row is None else decode_server(row)


def _clear_other_defaults(connection: Connection, keep_id: int) -> None:
    connection.execute(
        update(SERVERS)
        .where(SERVERS.c.is_default == 1, SERVERS.c.id != keep_id)
        .values(is_default=0)
    )
