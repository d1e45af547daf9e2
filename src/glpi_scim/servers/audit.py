"""The audit of administrative changes: who changed which identity server, when, from where.

Written by the services the CLI and the web console share (`ServerService`, the OAuth client
service), so that a change is recorded whichever way it was made. Never holds a secret: the
detail says *that* a password or signing key changed, not what it became.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select

from glpi_scim.db import tables
from glpi_scim.db.clock import from_db, to_db, utcnow
from glpi_scim.db.database import Database

AUDIT = tables.audit
CLI_ORIGIN = "cli"
CONSOLE_ORIGIN = "console"
_TEXT_MAX = 255
_DETAIL_MAX = 4000


@dataclass(frozen=True)
class Actor:
    """Who makes a change: a login (OS user for the CLI, GLPI login for the console), the
    way in ("cli", "console"), and the client address when there is one."""

    login: str
    origin: str
    address: str | None = None

    @classmethod
    def cli(cls) -> Actor:
        try:
            login = getpass.getuser()
        except (KeyError, OSError):  # no passwd entry, no LOGNAME (a bare container)
            login = "unknown"
        return cls(login=login, origin=CLI_ORIGIN)

    @classmethod
    def console(cls, login: str, address: str | None) -> Actor:
        return cls(login=login, origin=CONSOLE_ORIGIN, address=address)


@dataclass(frozen=True)
class AuditEntry:
    id: int
    server_id: int
    server_name: str | None
    time: datetime | None
    actor: str
    origin: str
    address: str | None
    action: str
    detail: str | None

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "server_id": self.server_id,
            "server_name": self.server_name,
            "time": None if self.time is None else self.time.isoformat(),
            "actor": self.actor,
            "origin": self.origin,
            "address": self.address,
            "action": self.action,
            "detail": self.detail,
        }


class AuditLog:
    def __init__(self, database: Database) -> None:
        self.database = database

    def record(
        self, actor: Actor, server_id: int, server_name: str | None, action: str, detail: str = ""
    ) -> None:
        values = {
            "servers_id": server_id,
            "server_name": (server_name or "")[:_TEXT_MAX] or None,
            "date_creation": to_db(utcnow()),
            "actor": actor.login[:_TEXT_MAX],
            "origin": actor.origin[:16],
            "client_ip": (actor.address or "")[:64] or None,
            "action": action[:64],
            "detail": detail[:_DETAIL_MAX] or None,
        }
        with self.database.begin() as connection:
            connection.execute(insert(AUDIT).values(**values))

    def for_server(self, server_id: int, *, limit: int = 50) -> list[AuditEntry]:
        """The server's newest entries first."""
        query = (
            select(AUDIT)
            .where(AUDIT.c.servers_id == server_id)
            .order_by(AUDIT.c.id.desc())
            .limit(limit)
        )
        with self.database.read() as connection:
            rows = connection.execute(query).mappings().all()
        return [
            AuditEntry(
                id=int(row["id"]),
                server_id=int(row["servers_id"]),
                server_name=row["server_name"],
                time=from_db(row["date_creation"]),
                actor=row["actor"],
                origin=row["origin"],
                address=row["client_ip"],
                action=row["action"],
                detail=row["detail"],
            )
            for row in rows
        ]
