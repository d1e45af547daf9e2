"""`/healthz`: liveness for load balancers; no authentication and no data beyond up or down."""

from __future__ import annotations

import logging

import falcon
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from glpi_scim.db.database import Database
from glpi_scim.db.tables import identity_servers
from glpi_scim.server.media import dump_json

log = logging.getLogger("glpi_scim.server")

_OK = dump_json({"status": "ok"})
_DOWN = dump_json({"status": "unavailable"})


class Health:
    def __init__(self, database: Database) -> None:
        self.database = database

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.content_type = falcon.MEDIA_JSON
        resp.cache_control = ["no-store"]
        if self._database_answers():
            resp.data = _OK
        else:
            resp.status = 503
            resp.data = _DOWN

    on_head = on_get

    def _database_answers(self) -> bool:
        for attempt in (1, 2):
            try:
                with self.database.engine.connect() as connection:
                    # A query on the tool's own table: reachable and initialised, nothing read.
                    connection.execute(select(identity_servers.c.id).limit(1)).all()
            except DBAPIError as exc:
                # A pooled connection that died since its last use (they are pinged only after
                # sitting idle): the pool is invalidated, a fresh connection says the truth.
                if exc.connection_invalidated and attempt == 1:
                    continue
                log.warning("health check: the database does not answer (%s)", type(exc).__name__)
                return False
            except Exception as exc:
                log.warning("health check: the database does not answer (%s)", type(exc).__name__)
                return False
            return True
        return False
