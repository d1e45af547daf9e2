"""The identity servers a request may name, read at most every `auth_cache_seconds`.

Every request starts by looking up its identity server (by id, or the default one). That row
changes when an administrator edits the server; reading it once per request was the costliest
step of a GET. `ServerDirectory` keeps what it read for `seconds` (0: reads every time), and
forgets it at once when this process changed a server (localwrites.py); another instance's
`server disable` or `server edit` takes effect here within `seconds`.
"""

from __future__ import annotations

from glpi_scim.db.database import Database
from glpi_scim.db.localwrites import SERVERS, local_writes
from glpi_scim.db.ttlcache import TtlCache
from glpi_scim.identity.models import IdentityServer
from glpi_scim.servers.repository import ServerRepository

# The key of the default server's entry.
_DEFAULT = "default"


class ServerDirectory:
    def __init__(self, database: Database, seconds: float) -> None:
        self.repository = ServerRepository(database)
        self._writes = local_writes(database.engine)
        self._cache: TtlCache[int | str, IdentityServer | None] = TtlCache(seconds)

    def by_id(self, server_id: int) -> IdentityServer | None:
        """The server with this id, or None."""
        return self._lookup(server_id)

    def default(self) -> IdentityServer | None:
        """The default server, or None."""
        return self._lookup(_DEFAULT)

    def _lookup(self, key: int | str) -> IdentityServer | None:
        version = self._writes.version(SERVERS)
        hit, server = self._cache.get(key, version)
        if hit:
            return server
        started = self._cache.clock()
        if isinstance(key, int):
            server = self.repository.find(key)
        else:
            server = self.repository.get_default()
        self._cache.put(key, server, version, read_at=started)
        return server
