"""Which of some tables this process changed: a version per group, moved on each commit.

The authentication caches (`auth_cache_seconds`) may serve what they read for a few seconds.
A change made through this process (`token revoke` in a console, a token rotation by the OAuth2
endpoint, a GLPI user losing the rights of a grantor) must take effect here at once, not a few
seconds later: every cache entry remembers the version of its group it was read under and dies
when a committed transaction of this process wrote to one of the group's tables since. The
versions are per database (its URL), whatever engine of the process wrote (a CLI command run
in the serving process opens an engine of its own): the listeners are on every Engine.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, Engine, Table, event
from sqlalchemy.sql.dml import UpdateBase

from glpi_scim.db import tables

# What each cache depends on.
SERVERS = "servers"  # identity servers
TOKENS = "tokens"  # bearer token records
OAUTH = "oauth"  # OAuth2 clients and tokens
GRANTORS = "grantors"  # the GLPI accounts and rights behind OAuth2 grants
GROUPS: Mapping[str, tuple[Table, ...]] = {
    SERVERS: (tables.identity_servers,),
    TOKENS: (tables.tokens,),
    OAUTH: (tables.oauth_clients, tables.oauth_tokens),
    GRANTORS: (tables.users, tables.profiles_users, tables.profilerights),
}
# Set in a connection's info while its transaction has written to a watched table.
_PENDING = "glpi_scim_local_writes"


class _Versions:
    def __init__(self, groups: Iterable[str]) -> None:
        self.lock = threading.Lock()
        self.numbers = dict.fromkeys(groups, 0)


_GROUPS_OF: dict[str, set[str]] = {}
for _group, _members in GROUPS.items():
    for _table in _members:
        _GROUPS_OF.setdefault(_table.name, set()).add(_group)
_by_database: dict[str, _Versions] = {}
_registry_lock = threading.Lock()


def _versions_of(engine: Engine) -> _Versions:
    key = str(engine.url)
    versions = _by_database.get(key)
    if versions is None:
        with _registry_lock:
            versions = _by_database.setdefault(key, _Versions(GROUPS))
    return versions


class LocalWrites:
    """The versions of one database, as this process changed it."""

    def __init__(self, engine: Engine) -> None:
        self._versions = _versions_of(engine)

    def version(self, group: str) -> int:
        return self._versions.numbers[group]


def local_writes(engine: Engine) -> LocalWrites:
    return LocalWrites(engine)


@event.listens_for(Engine, "after_execute")
def _after_execute(connection: Connection, statement: Any, *_args: Any) -> None:
    if isinstance(statement, UpdateBase):
        groups = _GROUPS_OF.get(getattr(getattr(statement, "table", None), "name", ""))
        if groups:
            connection.info.setdefault(_PENDING, set()).update(groups)


@event.listens_for(Engine, "commit")
def _commit(connection: Connection) -> None:
    written = connection.info.pop(_PENDING, None)
    if written:
        versions = _versions_of(connection.engine)
        with versions.lock:
            for group in written:
                versions.numbers[group] += 1


@event.listens_for(Engine, "rollback")
def _rollback(connection: Connection) -> None:
    if connection.invalidated:
        return  # its DBAPI connection is gone, and with it the info the writes were noted in
    connection.info.pop(_PENDING, None)
