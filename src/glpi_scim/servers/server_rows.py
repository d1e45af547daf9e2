"""Rows <-> what administrators see: a glpi_plugin_glpiscim_servers row and its IdentityServer
(the one encoding of a server), a glpi_users row and the GlpiRef shown for it.

Free of SQLAlchemy: the repositories read rows through it, and so does the direct read path of
`server list` (servers/listing.py), whose rows come from the DB-API driver itself.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from glpi_scim.db.clock import from_db
from glpi_scim.glpi.text import decode as decode_text
from glpi_scim.identity.models import AuthMethod, DeletePolicy, IdentityServer, ServerOptions


@dataclass(frozen=True)
class GlpiRef:
    """A GLPI row shown to an administrator: its id and a readable name."""

    id: int
    name: str

    def __str__(self) -> str:
        return f"{self.name} ({self.id})"

    def as_json(self) -> dict[str, object]:
        return {"id": self.id, "name": self.name}


def user_ref(user_id: int, row: Mapping[Any, Any] | None) -> GlpiRef:
    """The GLPI user `user_id` as shown, from its row's `name` and `is_deleted` (None: the
    row is gone; display never fails)."""
    if row is None:
        return GlpiRef(user_id, "(missing GLPI user)")
    suffix = " (in GLPI's trash)" if row["is_deleted"] else ""
    return GlpiRef(user_id, decode_text(row["name"] or "") + suffix)


def encode_server(server: IdentityServer) -> dict[str, Any]:
    return {
        "name": server.name,
        "users_id_applied": server.users_id_applied,
        "is_active": int(server.is_active),
        "log_requests": int(server.log_requests),
        "is_default": int(server.is_default),
        "auth_method": server.auth_method,
        "auth_username": server.auth_username,
        "auth_secret": server.auth_secret,
        "signing_key": server.signing_key,
        "allowed_networks": (
            json.dumps(list(server.allowed_networks)) if server.allowed_networks else None
        ),
        "entities_id": server.entities_id,
        "profiles_id": server.profiles_id,
        "is_recursive": int(server.is_recursive),
        "password_sync": int(server.password_sync),
        "delete_policy": server.delete_policy,
        "options": _encoded_options(server.options),
    }


def decode_server(row: Mapping[Any, Any]) -> IdentityServer:
    return IdentityServer(
        id=int(row["id"]),
        name=row["name"],
        users_id_applied=int(row["users_id_applied"]),
        is_active=bool(row["is_active"]),
        log_requests=bool(row["log_requests"]),
        is_default=bool(row["is_default"]),
        auth_method=cast(AuthMethod, row["auth_method"]),
        auth_username=row["auth_username"],
        auth_secret=row["auth_secret"],
        signing_key=row["signing_key"],
        allowed_networks=_networks(row),
        entities_id=int(row["entities_id"]),
        profiles_id=int(row["profiles_id"]),
        is_recursive=bool(row["is_recursive"]),
        password_sync=bool(row["password_sync"]),
        delete_policy=cast(DeletePolicy, row["delete_policy"]),
        options=ServerOptions.read_stored(
            row["options"],
            # A hand-edited row: keep serving with that option's default, and say so.
            lambda problem: _warn("identity server %s: %s", row["id"], problem),
        ),
        date_creation=from_db(_moment(row["date_creation"])),
        date_mod=from_db(_moment(row["date_mod"])),
    )


def _encoded_options(options: ServerOptions) -> str | None:
    stored = options.as_json()
    return json.dumps(stored, sort_keys=True) if stored else None


def _networks(row: Mapping[Any, Any]) -> tuple[str, ...]:
    raw = row["allowed_networks"]
    if not raw:
        return ()
    try:
        value = json.loads(raw)
    except ValueError:
        value = None
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    # Fail closed: an unreadable list must never become "anywhere"; the raw text matches no
    # address and shows up as is in `server show`.
    _warn("identity server %s: allowed_networks is not a JSON list of CIDRs", row["id"])
    return (str(raw),)


def _json_value(row: Mapping[Any, Any], column: str, kind: type[Any]) -> Any:
    raw = row[column]
    if not raw:
        return kind()
    try:
        value = json.loads(raw)
    except ValueError:
        value = None
    if not isinstance(value, kind):
        # A hand-edited row: keep serving with the safe empty value, and say so.
        _warn("identity server %s: column %s is not a JSON %s", row["id"], column, kind)
        return kind()
    return value


def _moment(value: datetime | str | None) -> datetime | None:
    """A TIMESTAMP as the driver gives it: SQLAlchemy and PyMySQL give a datetime, sqlite3
    the text SQLAlchemy stored (`2026-01-31 12:00:00.000000`)."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def _warn(message: str, *args: object) -> None:
    # logging is imported only for a hand-edited row: `server list` starts without it.
    import logging

    logging.getLogger(__name__).warning(message, *args)
