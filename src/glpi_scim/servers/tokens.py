"""Bearer tokens issued for identity servers: only their jti is stored, never the token.

`is_revoked(jti)` runs on every bearer request: one lookup on the unique jti index.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import and_, insert, select, update
from sqlalchemy.engine import RowMapping

from glpi_scim.db import tables
from glpi_scim.db.clock import from_db, to_db, utcnow
from glpi_scim.db.database import Database
from glpi_scim.identity.errors import InvalidServerSetting, TokenNotFound

TOKENS = tables.tokens
COMMENT_MAX = 255


@dataclass(frozen=True)
class TokenRecord:
    id: int
    server_id: int
    jti: str
    comment: str | None
    created_at: datetime | None
    expires_at: datetime | None
    revoked: bool
    revoked_at: datetime | None
    last_used_at: datetime | None

    def status(self, now: datetime | None = None) -> str:
        """'revoked', 'expired' or 'active'."""
        if self.revoked:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= (now or utcnow()):
            return "expired"
        return "active"

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "server_id": self.server_id,
            "jti": self.jti,
            "comment": self.comment,
            "status": self.status(),
            "created_at": _iso(self.created_at),
            "expires_at": _iso(self.expires_at),
            "revoked_at": _iso(self.revoked_at),
            "last_used_at": _iso(self.last_used_at),
        }


class TokenRepository:
    def __init__(self, database: Database) -> None:
        self.database = database

    def record(
        self, server_id: int, jti: str, expires_at: datetime | None, comment: str | None
    ) -> TokenRecord:
        """Remember a token just issued (its jti, expiry and the admin's comment)."""
        if comment is not None and len(comment) > COMMENT_MAX:
            raise InvalidServerSetting(f"token comment is longer than {COMMENT_MAX} characters")
        now = utcnow()
        values = {
            "servers_id": server_id,
            "jti": jti,
            "comment": comment,
            "date_creation": to_db(now),
            "date_expiration": to_db(expires_at),
            "is_revoked": 0,
        }
        with self.database.begin() as connection:
            result = connection.execute(insert(TOKENS).values(**values))
            primary_key = result.inserted_primary_key
            assert primary_key is not None
        return TokenRecord(
            id=int(primary_key[0]),
            server_id=server_id,
            jti=jti,
            comment=comment,
            created_at=now,
            expires_at=from_db(to_db(expires_at)),
            revoked=False,
            revoked_at=None,
            last_used_at=None,
        )

    def is_revoked(self, jti: str) -> bool:
        """True when the token was revoked or was never issued here (unknown jti)."""
        with self.database.begin() as connection:
            flag = connection.execute(
                select(TOKENS.c.is_revoked).where(TOKENS.c.jti == jti)
            ).scalar_one_or_none()
        return flag is None or bool(flag)

    def list_for(self, server_id: int) -> list[TokenRecord]:
        query = select(TOKENS).where(TOKENS.c.servers_id == server_id).order_by(TOKENS.c.id)
        with self.database.begin() as connection:
            rows = connection.execute(query).mappings().all()
        return [_decode(row) for row in rows]

    def find(self, server_id: int, token_ref: str | int) -> TokenRecord | None:
        """A token of this server by its id (digits) or its jti."""
        ref = str(token_ref).strip()
        by = TOKENS.c.id == int(ref) if ref.isdigit() else TOKENS.c.jti == ref
        query = select(TOKENS).where(and_(TOKENS.c.servers_id == server_id, by))
        with self.database.begin() as connection:
            row = connection.execute(query).mappings().first()
        return None if row is None else _decode(row)

    def revoke(self, server_id: int, token_id: str | int) -> TokenRecord:
        """Revoke one token of this server (idempotent); TokenNotFound when it has no such one."""
        token = self.find(server_id, token_id)
        if token is None:
            raise TokenNotFound(str(server_id), token_id)
        if token.revoked:
            return token
        now = utcnow()
        with self.database.begin() as connection:
            connection.execute(
                update(TOKENS)
                .where(TOKENS.c.id == token.id, TOKENS.c.is_revoked == 0)
                .values(is_revoked=1, date_revoked=to_db(now))
            )
        return replace(token, revoked=True, revoked_at=now)

    def revoke_all(self, server_id: int) -> int:
        """Revoke every live token of a server; how many were revoked."""
        with self.database.begin() as connection:
            result = connection.execute(
                update(TOKENS)
                .where(TOKENS.c.servers_id == server_id, TOKENS.c.is_revoked == 0)
                .values(is_revoked=1, date_revoked=to_db(utcnow()))
            )
        return int(result.rowcount or 0)


def _decode(row: RowMapping) -> TokenRecord:
    return TokenRecord(
        id=int(row["id"]),
        server_id=int(row["servers_id"]),
        jti=row["jti"],
        comment=row["comment"],
        created_at=from_db(row["date_creation"]),
        expires_at=from_db(row["date_expiration"]),
        revoked=bool(row["is_revoked"]),
        revoked_at=from_db(row["date_revoked"]),
        last_used_at=from_db(row["date_last_use"]),
    )


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()
