"""Server-side sessions of the web console, and their CSRF tokens.

The browser holds `<session id>.<signature>` in an HttpOnly cookie; the database holds only a
SHA-256 hash of the session id, so a copy of the table opens no session. A session ends after
`idle` without use or `lifetime` after its sign-in, whichever comes first, and at sign-out.
The CSRF token of a session is an HMAC of its id: a form posted from elsewhere cannot know it,
and it changes with every session.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, insert, or_, select, update

from glpi_scim.db import tables
from glpi_scim.db.clock import from_db, to_db, utcnow
from glpi_scim.db.database import Database
from glpi_scim.db.transaction import Transactions, inserted_id
from glpi_scim.security.credentials import derive_key, token_digest

SESSIONS = tables.console_sessions
_SESSION_ID = re.compile(r"[A-Za-z0-9_-]{43}")
# Touching the row on every page would make every page a write: once a minute is enough for an
# idle timeout counted in minutes.
TOUCH_EVERY = timedelta(seconds=60)


@dataclass(frozen=True)
class ConsoleSession:
    id: int
    session_id: str  # the raw id, known only from the cookie of this request
    users_id: int
    login: str
    client_ip: str | None
    created_at: datetime
    last_use: datetime


class SessionStore:
    def __init__(
        self, database: Database, key: str, *, idle: timedelta, lifetime: timedelta
    ) -> None:
        self.database = database
        self.idle = idle
        self.lifetime = lifetime
        self._cookie_key = derive_key(key, "console session cookie")
        self._csrf_key = derive_key(key, "console csrf")

    # -- cookies ----------------------------------------------------------------------------

    def cookie_value(self, session_id: str) -> str:
        return f"{session_id}.{self._sign(session_id)}"

    def _sign(self, session_id: str) -> str:
        return hmac.new(self._cookie_key, session_id.encode(), hashlib.sha256).hexdigest()

    def session_id_of(self, cookie: str) -> str | None:
        """The session id a cookie carries when its signature is ours; None for a forgery."""
        session_id, _, signature = cookie.partition(".")
        if not _SESSION_ID.fullmatch(session_id):
            return None
        if not hmac.compare_digest(signature.encode(), self._sign(session_id).encode()):
            return None
        return session_id

    # -- CSRF -------------------------------------------------------------------------------

    def new_signin_nonce(self) -> str:
        """The value of the short-lived cookie the sign-in form is bound to (no session yet)."""
        return secrets.token_urlsafe(32)

    def signin_token(self, nonce: str) -> str:
        return hmac.new(self._csrf_key, f"signin|{nonce}".encode(), hashlib.sha256).hexdigest()

    def signin_token_valid(self, nonce: str, token: str) -> bool:
        """Another site can make a browser post the sign-in form, but cannot read the cookie
        this console set, so it cannot sign the browser in to an account of its choosing."""
        if not _SESSION_ID.fullmatch(nonce):
            return False
        return hmac.compare_digest(token.encode(), self.signin_token(nonce).encode())

    def csrf_token(self, session: ConsoleSession) -> str:
        return hmac.new(self._csrf_key, session.session_id.encode(), hashlib.sha256).hexdigest()

    def csrf_valid(self, session: ConsoleSession, token: str) -> bool:
        return hmac.compare_digest(token.encode(), self.csrf_token(session).encode())

    # -- lifecycle --------------------------------------------------------------------------

    def create(self, users_id: int, login: str, client_ip: str | None) -> ConsoleSession:
        session_id = secrets.token_urlsafe(32)
        now = utcnow()

        # Run again on a deadlock: sign-ins at once meet on the expired rows' range.
        def work(connection: Connection) -> int:
            self._purge_expired(connection, now)
            result = connection.execute(
                insert(SESSIONS).values(
                    session_hash=token_digest(session_id),
                    users_id=users_id,
                    login=login[:255],
                    client_ip=(client_ip or "")[:64] or None,
                    date_creation=to_db(now),
                    date_last_use=to_db(now),
                )
            )
            return inserted_id(result)

        row_id = Transactions(self.database).run(work)
        return ConsoleSession(row_id, session_id, users_id, login, client_ip, now, now)

    def find(self, cookie: str | None, *, now: datetime | None = None) -> ConsoleSession | None:
        """The live session a cookie opens, its last use moved on; None when the cookie is
        forged, unknown, or its session timed out (then the row is deleted)."""
        session_id = self.session_id_of(cookie or "")
        if session_id is None:
            return None
        moment = now or utcnow()
        digest = token_digest(session_id)
        with self.database.read() as connection:
            row = (
                connection.execute(select(SESSIONS).where(SESSIONS.c.session_hash == digest))
                .mappings()
                .first()
            )
        if row is None:
            return None
        created = from_db(row["date_creation"]) or moment
        last_use = from_db(row["date_last_use"]) or created
        if moment - last_use > self.idle or moment - created > self.lifetime:
            self._delete(digest)
            return None
        if moment - last_use >= TOUCH_EVERY:
            with self.database.begin() as connection:
                connection.execute(
                    update(SESSIONS)
                    .where(SESSIONS.c.id == row["id"])
                    .values(date_last_use=to_db(moment))
                )
            last_use = moment
        return ConsoleSession(
            int(row["id"]),
            session_id,
            int(row["users_id"]),
            row["login"],
            row["client_ip"],
            created,
            last_use,
        )

    def end(self, session: ConsoleSession) -> None:
        self._delete(token_digest(session.session_id))

    def _delete(self, digest: str) -> None:
        with self.database.begin() as connection:
            connection.execute(delete(SESSIONS).where(SESSIONS.c.session_hash == digest))

    def _purge_expired(self, connection: Connection, now: datetime) -> None:
        connection.execute(
            delete(SESSIONS).where(
                or_(
                    SESSIONS.c.date_last_use < to_db(now - self.idle),
                    SESSIONS.c.date_creation < to_db(now - self.lifetime),
                )
            )
        )
