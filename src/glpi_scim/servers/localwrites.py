"""Which of some tables this process changed: a version per group, moved on each commit.

The authentication caches (`auth_cache_seconds`) may serve what they read for a few seconds.
A change made through this process (`token revoke` in a console, a token rotation by the OAuth2
endpoint, a GLPI user losing the rights of a grantor) must take effect here at once, not a few
seconds later: every cache entry remembers the version of its group it was read under and dies
when a committed transaction of this process wrote to one of the group's tables since.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, Engine, Table, event
from sqlalchemy.sql.dml import UpdateBase

from glpi_scim.glpi import tables

# What each cache depends on.
IDENTITY = "identity"  # servers, bearer tokens, OAuth2 clients and tokens
GRANTORS = "grantors"  # the GLPI accounts and rights behind OAuth2 grants
GROUPS: Mapping[str, tuple[Table, ...]] = {
    IDENTITY: (
        tables.identity_servers,
        tables.tokens,
        tables.oauth_clients,
        tables.oauth_tokens,
    ),
    GRANTORS: (tables.users, tables.profiles_users, tables.profilerights),
}
# Set in a connection's info while its transaction has written to a watched table.
_PENDING = "glpi_scim_local_writes"


class LocalWrites:
    def __init__(self, engine: Engine, groups: Mapping[str, Iterable[Table]] = GROUPS) -> None:
        self._groups_of: dict[str, set[str]] = {}
        for group, members in groups.items():
            for table in members:
                self._groups_of.setdefault(table.name, set()).add(group)
        self._versions = dict.fromkeys(groups, 0)
        self._lock = threading.Lock()
        event.listen(engine, "after_execute", self._after_execute)
        event.listen(engine, "commit", self._commit)
        event.listen(engine, "rollback", self._rollback)

    def version(self, group: str) -> int:
        return self._versions[group]

    def _after_execute(self, connection: Connection, statement: Any, *_args: Any) -> None:
        if isinstance(statement, UpdateBase):
            table = getattr(statement, "table", None)
            groups = self._groups_of.get(getattr(table, "name", ""))
            if groups:
                connection.info.setdefault(_PENDING, set()).update(groups)

    def _commit(self, connection: Connection) -> None:
        written = connection.info.pop(_PENDING, None)
        if written:
            with self._lock:
                for group in written:
                    self._versions[group] += 1

    def _rollback(self, connection: Connection) -> None:
        connection.info.pop(_PENDING, None)


_by_engine: weakref.WeakKeyDictionary[Engine, LocalWrites] = weakref.WeakKeyDictionary()
_by_engine_lock = threading.Lock()


def local_writes(engine: Engine) -> LocalWrites:
    """The one watcher of `engine` (every cache over one engine shares it)."""
    with _by_engine_lock:
        watcher = _by_engine.get(engine)
        if watcher is None:
            watcher = _by_engine[engine] = LocalWrites(engine)
        return watcher
