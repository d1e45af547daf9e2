"""The request log ("Historical" tab of an identity server): what an IdP sent and got back.

The web layer calls `RequestLog.record` once per request of a server with log_requests on.
Secrets are redacted before anything is stored (redaction.py); bodies are bounded; recording
never fails the request it describes.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

from sqlalchemy import ColumnElement, delete, func, insert, or_, select
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import DBAPIError

from glpi_scim.db import tables
from glpi_scim.db.clock import from_db, to_db
from glpi_scim.db.database import Database
from glpi_scim.glpi.text import decode as decode_text
from glpi_scim.glpi.text import encode as encode_text
from glpi_scim.identity.errors import LogEntryNotFound
from glpi_scim.servers.redaction import redact_body, redact_headers, redact_query, redact_text

logger = logging.getLogger(__name__)

LOGS = tables.request_logs

MAX_BODY_CHARS = 64 * 1024
# TEXT columns hold 65,535 bytes, 4 per character at worst in utf8mb4.
MAX_TEXT_CHARS = 8 * 1024
MAX_HEADER_VALUE_CHARS = 1024
TRUNCATION_MARK = "\n…[truncated: {total} characters in all]"

StatusRange = tuple[int, int]


@dataclass(frozen=True)
class RequestLogEntry:
    """One request as the web layer saw it; raw: redaction happens in `RequestLog.record`."""

    server_id: int
    request_id: str | None
    time: datetime
    client_ip: str | None
    method: str
    path: str
    query: str | None
    status: int
    duration_ms: int
    request_headers: Mapping[str, str] = field(default_factory=dict)
    request_body: bytes | str | None = None
    response_body: bytes | str | None = None
    note: str | None = None


@dataclass(frozen=True)
class StoredRequest:
    """A row of the request log, as stored (already redacted)."""

    id: int
    server_id: int
    request_id: str | None
    time: datetime | None
    client_ip: str | None
    method: str
    path: str
    query: str | None
    status: int
    duration_ms: int
    request_headers: dict[str, str]
    request_body: str | None
    response_body: str | None
    truncated: bool
    note: str | None

    @property
    def error_detail(self) -> str | None:
        """The `detail` of the SCIM error this request got, when it failed and it is stored."""
        if self.status < 400 or not self.response_body or len(self.response_body) > 16 * 1024:
            return None
        try:
            document = json.loads(self.response_body)
        except ValueError:
            return None
        detail = document.get("detail") if isinstance(document, dict) else None
        return detail if isinstance(detail, str) else None

    def as_json(self, *, bodies: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "server_id": self.server_id,
            "request_id": self.request_id,
            "time": None if self.time is None else self.time.isoformat(),
            "client_ip": self.client_ip,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "status": self.status,
            "duration_ms": self.duration_ms,
            "truncated": self.truncated,
            "note": self.note,
            "error_detail": self.error_detail,
        }
        if bodies:
            data["request_headers"] = self.request_headers
            data["request_body"] = self.request_body
            data["response_body"] = self.response_body
        return data


class RequestLog:
    def __init__(self, database: Database, *, max_body_chars: int = MAX_BODY_CHARS) -> None:
        self.database = database
        self.max_body_chars = max_body_chars

    # -- writing (hot path of logged servers) -----------------------------------------------

    def record(self, entry: RequestLogEntry) -> None:
        """Store one request, redacted. Never raises: a failure is logged and forgotten."""
        try:
            values = self.prepare(entry)
            with self.database.begin() as connection:
                connection.execute(insert(LOGS).values(**values))
        except Exception as exc:
            logger.warning(
                "request log: request %s of identity server %s not recorded: %s",
                entry.request_id,
                entry.server_id,
                _describe(exc),
            )

    def prepare(self, entry: RequestLogEntry) -> dict[str, Any]:
        """The row to insert: every field cut to the size the log keeps, then redacted.

        Cutting first bounds the redaction's work whatever a client sends (a request line or a
        header can be hundreds of kilobytes); the path and query are stored percent-encoded, so
        no control character reaches a terminal that prints them.
        """
        headers = redact_headers(_bounded_headers(entry.request_headers))
        content_type = headers.get("content-type")
        request_body, cut_request = self._redacted_body(entry.request_body, content_type)
        response_body, cut_response = self._redacted_body(entry.response_body, None)
        query = None if entry.query is None else entry.query[:MAX_TEXT_CHARS]
        return {
            "servers_id": entry.server_id,
            "request_id": _cut(entry.request_id, 64),
            "date_creation": to_db(entry.time),
            "client_ip": _cut(entry.client_ip, 64),
            "method": _cut(entry.method.upper(), 10) or "",
            "path": _cut(redact_text(encoded_path(entry.path[:MAX_TEXT_CHARS])), MAX_TEXT_CHARS),
            "query": _cut(encoded_query(redact_query(query)), MAX_TEXT_CHARS),
            "status": int(entry.status),
            "duration_ms": max(0, int(entry.duration_ms)),
            "request_headers": json.dumps(headers, ensure_ascii=False),
            "request_body": request_body,
            "response_body": response_body,
            "is_truncated": int(cut_request or cut_response),
            "note": _cut(
                redact_text(entry.note[:MAX_TEXT_CHARS]) if entry.note else None, MAX_TEXT_CHARS
            ),
        }

    def _redacted_body(
        self, body: bytes | str | None, content_type: str | None
    ) -> tuple[str | None, bool]:
        if body is None:
            return None, False
        if isinstance(body, bytes):
            body = body.decode("utf-8", errors="replace")
        total = len(body)
        text = redact_body(body, content_type, max_chars=self.max_body_chars)
        if text is None or (len(text) <= self.max_body_chars and total <= self.max_body_chars):
            return text, False
        return text[: self.max_body_chars] + TRUNCATION_MARK.format(total=total), True

    # -- reading (CLI, admin UI) --------------------------------------------------------------

    def get(self, entry_id: int) -> StoredRequest:
        with self.database.begin() as connection:
            row = connection.execute(select(LOGS).where(LOGS.c.id == entry_id)).mappings().first()
        if row is None:
            raise LogEntryNotFound(entry_id)
        return _decode(row)

    def recent(
        self,
        *,
        server_id: int | None = None,
        statuses: Sequence[StatusRange] = (),
        limit: int = 20,
        after_id: int | None = None,
        before_id: int | None = None,
        since: datetime | None = None,
        path: str | None = None,
        method: str | None = None,
        user: UserRef | None = None,
    ) -> list[StoredRequest]:
        """The last `limit` entries (oldest first), or those after `after_id` when following.

        `path`: the stored (percent-encoded) path contains it; `user`: see `_touches`.
        """
        conditions: list[ColumnElement[bool]] = []
        if server_id is not None:
            conditions.append(LOGS.c.servers_id == server_id)
        if statuses:
            conditions.append(or_(*(LOGS.c.status.between(low, high) for low, high in statuses)))
        if since is not None:
            conditions.append(LOGS.c.date_creation >= to_db(since))
        if path:
            conditions.append(LOGS.c.path.contains(path, autoescape=True))
        if method:
            conditions.append(LOGS.c.method == method.strip().upper()[:10])
        if user is not None:
            conditions.append(_touches(user))
        if before_id is not None:  # a page of older entries
            conditions.append(LOGS.c.id < before_id)
        query = select(LOGS).where(*conditions)
        if after_id is not None:
            query = query.where(LOGS.c.id > after_id).order_by(LOGS.c.id).limit(limit)
        else:
            query = query.order_by(LOGS.c.id.desc()).limit(limit)
        with self.database.begin() as connection:
            rows = connection.execute(query).mappings().all()
        entries = [_decode(row) for row in rows]
        return entries if after_id is not None else entries[::-1]

    def find_user(self, login: str) -> UserRef | None:
        """The GLPI user with this login (GLPI's case-insensitive comparison), trashed or not."""
        users = tables.users
        wanted = encode_text(login.strip()).lower()
        with self.database.begin() as connection:
            row = connection.execute(
                select(users.c.id, users.c.name)
                .where(func.lower(users.c.name) == wanted)
                .order_by(users.c.id)
                .limit(1)
            ).first()
        return None if row is None else UserRef(int(row.id), decode_text(row.name or ""))

    def last_id(self) -> int:
        """The newest entry's id (0 when empty): where `logs tail -f` starts following."""
        with self.database.begin() as connection:
            value = connection.execute(
                select(LOGS.c.id).order_by(LOGS.c.id.desc()).limit(1)
            ).scalar_one_or_none()
        return int(value or 0)

    def purge(self, *, older_than: datetime | None = None, server_id: int | None = None) -> int:
        """Delete entries (of one server, before a time, or all); how many were deleted."""
        statement = delete(LOGS)
        if older_than is not None:
            statement = statement.where(LOGS.c.date_creation < to_db(older_than))
        if server_id is not None:
            statement = statement.where(LOGS.c.servers_id == server_id)
        with self.database.begin() as connection:
            result = connection.execute(statement)
        return int(result.rowcount or 0)


@dataclass(frozen=True)
class UserRef:
    id: int
    login: str


def _touches(user: UserRef) -> ColumnElement[bool]:
    """Requests that touched a GLPI user: those on its URL (`/Users/{id}`, GET, PUT, PATCH,
    DELETE), and the POSTs to `/Users` that created it (its id in the response) or sent its
    login as userName. Bulk operations and group membership changes are not matched."""
    on_its_url = or_(
        LOGS.c.path.endswith(f"/Users/{user.id}"), LOGS.c.path.contains(f"/Users/{user.id}/")
    )
    login = json.dumps(user.login, ensure_ascii=False)
    created = LOGS.c.path.endswith("/Users") & (LOGS.c.method == "POST")
    return or_(
        on_its_url,
        created
        & or_(
            LOGS.c.response_body.contains(f'"id":"{user.id}"', autoescape=True),
            LOGS.c.request_body.contains(f'"userName":{login}', autoescape=True),
            LOGS.c.request_body.contains(f'"userName": {login}', autoescape=True),
        ),
    )


_STATUS = re.compile(r"^([1-5])(?:xx|(\d\d))$", re.IGNORECASE)


def parse_status_filter(text: str) -> tuple[StatusRange, ...]:
    """`"4xx"`, `"404"`, `"4xx,500"` -> inclusive status ranges; ValueError otherwise."""
    ranges: list[StatusRange] = []
    for part in (piece.strip() for piece in text.split(",")):
        match = _STATUS.match(part)
        if not match:
            raise ValueError(
                f"status {part!r}: expected a status such as 404, a class such as 4xx, "
                "or several separated by commas"
            )
        if match.group(2) is None:
            low = int(match.group(1)) * 100
            ranges.append((low, low + 99))
        else:
            code = int(part)
            ranges.append((code, code))
    return tuple(ranges)


def _cut(text: str | None, limit: int) -> str | None:
    return None if text is None else text[:limit]


def _bounded_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The headers the log keeps: each value cut short, and no more than a TEXT column holds."""
    bounded: dict[str, str] = {}
    size = 2
    for name, value in headers.items():
        name, value = name[:MAX_HEADER_VALUE_CHARS], value[:MAX_HEADER_VALUE_CHARS]
        size += len(name) + len(value) + 8
        if size > MAX_TEXT_CHARS:
            bounded["…"] = f"{len(headers) - len(bounded)} more headers not kept"
            break
        bounded[name] = value
    return bounded


# Characters a path keeps as they are; everything else (controls, spaces, non-ASCII) is
# percent-encoded, as in the server log.
PATH_SAFE = "/:@!$&'()*+,;=-._~"
_QUERY_UNSAFE = re.compile(r"[\x00-\x20\x7f-\x9f\u2028\u2029]")


def encoded_path(path: str) -> str:
    """A decoded request path percent-encoded again (`%` included: `%1b` stays visible)."""
    return quote(path, safe=PATH_SAFE)


def encoded_query(query: str | None) -> str | None:
    """A query string with control characters and spaces percent-encoded (the rest as sent)."""
    if not query:
        return query
    return _QUERY_UNSAFE.sub(lambda m: quote(m.group(), safe=""), query)


def _decode(row: RowMapping) -> StoredRequest:
    try:
        headers = json.loads(row["request_headers"] or "{}")
    except ValueError:
        headers = {}
    return StoredRequest(
        id=int(row["id"]),
        server_id=int(row["servers_id"]),
        request_id=row["request_id"],
        time=from_db(row["date_creation"]),
        client_ip=row["client_ip"],
        method=row["method"],
        path=row["path"] or "",
        query=row["query"],
        status=int(row["status"]),
        duration_ms=int(row["duration_ms"]),
        request_headers=headers if isinstance(headers, dict) else {},
        request_body=row["request_body"],
        response_body=row["response_body"],
        truncated=bool(row["is_truncated"]),
        note=row["note"],
    )


def _describe(exc: Exception) -> str:
    # The driver's own message, not SQLAlchemy's (which repeats the statement's parameters).
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        return f"{type(exc.orig).__name__}: {str(exc.orig)[:300]}"
    return type(exc).__name__
