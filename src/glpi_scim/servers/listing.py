"""The identity servers and their applied users, read through the DB-API driver directly.

`glpi-scim server list` must start in well under the time importing SQLAlchemy takes
(docs/performance.md, "CLI start-up"); it reads two tables by primary key, which needs no SQL
builder. The rows are decoded by server_rows.py, as the repository decodes them;
tests/servers/test_listing.py checks that this path and ServerRepository + GlpiReferences give
equal results on SQLite and MariaDB.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from glpi_scim.db.dbapi import direct_reader, direct_target
from glpi_scim.identity.models import IdentityServer
from glpi_scim.servers.server_rows import GlpiRef, decode_server, user_ref

if TYPE_CHECKING:
    from glpi_scim.config import Settings

# The tables of db/tables.py's identity_servers and users (tests/servers/test_listing.py
# checks the names); every column of a server, as the repository reads it.
SERVERS_QUERY = "SELECT * FROM glpi_plugin_glpiscim_servers ORDER BY id"
APPLIED_USER_QUERY = "SELECT name, is_deleted FROM glpi_users WHERE id = ?"


def list_servers_directly(settings: Settings) -> list[tuple[IdentityServer, GlpiRef]] | None:
    """Every server by id, with its applied user as `GlpiReferences.describe_user` shows it;
    None when the database is one only SQLAlchemy's path opens (TLS, an unusual URL).

    Raises DatabaseError when the settings name no usable database, DirectReadError when the
    driver fails (unreachable, refused, a missing table)."""
    target = direct_target(settings)
    if target is None:
        return None
    with direct_reader(target, settings.db_timeout) as reader:
        servers = [decode_server(row) for row in reader.rows(SERVERS_QUERY)]
        listed = []
        for server in servers:
            users = reader.rows(APPLIED_USER_QUERY, server.users_id_applied)
            listed.append((server, user_ref(server.users_id_applied, users[0] if users else None)))
    return listed
