"""OAuth2 clients registered per identity server: `glpi-scim oauth client add|list|remove`.

A client's secret is shown once at registration; only its salted hash is stored. Public
clients (no secret) may only use the authorization-code grant, with PKCE S256.
"""

from __future__ import annotations

import json
import secrets
import string
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from ipaddress import ip_address
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import RowMapping

from glpi_scim.db import tables
from glpi_scim.db.clock import from_db, to_db, utcnow
from glpi_scim.db.database import Database
from glpi_scim.security.credentials import hash_secret

CLIENTS = tables.oauth_clients
AUTHORIZATION_CODE = "authorization_code"
CLIENT_CREDENTIALS = "client_credentials"
REFRESH_TOKEN = "refresh_token"  # noqa: S105 (a grant type name)
GRANT_TYPES = (AUTHORIZATION_CODE, CLIENT_CREDENTIALS)
MAX_REDIRECT_URI_LENGTH = 2000


@dataclass(frozen=True)
class OAuthClient:
    id: int
    server_id: int
    client_id: str
    name: str | None
    redirect_uris: tuple[str, ...]
    grant_types: tuple[str, ...]
    secret_hash: str | None = field(default=None, repr=False)
    date_creation: datetime | None = None

    @property
    def is_public(self) -> bool:
        return self.secret_hash is None

    def allows(self, grant_type: str) -> bool:
        # Refresh tokens only come from authorization codes.
        if grant_type == REFRESH_TOKEN:
            return AUTHORIZATION_CODE in self.grant_types
        return grant_type in self.grant_types

    def as_dict(self) -> dict[str, Any]:
        return {
            "client_id": self.client_id,
            "server_id": self.server_id,
            "name": self.name,
            "type": "public" if self.is_public else "confidential",
            "grant_types": list(self.grant_types),
            "redirect_uris": list(self.redirect_uris),
            "date_creation": self.date_creation.isoformat() if self.date_creation else None,
        }


@dataclass(frozen=True)
class RegisteredClient:
    """A new client and its secret, which exists nowhere else once this is dropped."""

    client: OAuthClient
    client_secret: str | None = field(repr=False)


def new_client_id() -> str:
    """A random client id that never starts with `-`, so that it can be given on a command line
    (`oauth client remove SERVER ID`) without being read as an option."""
    return secrets.choice(string.ascii_letters + string.digits) + secrets.token_urlsafe(24)


def validate_redirect_uri(uri: str) -> str:
    """The URI when it can safely receive codes; ValueError with the reason otherwise.

    Absolute https URIs only (http is accepted for loopback hosts, for local tools), no
    fragment (RFC 6749 section 3.1.2). Matching is exact, so the value is kept as given.
    """
    value = uri.strip()
    if not value or len(value) > MAX_REDIRECT_URI_LENGTH:
        raise ValueError("a redirect URI must be an absolute URL of at most 2000 characters")
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError(f"{value!r} is not an absolute http(s) URL")
    if parts.fragment or "#" in value:
        raise ValueError(f"{value!r} has a fragment (#...), which redirect URIs must not have")
    if parts.username or parts.password:
        raise ValueError(f"{value!r} must not contain a user name or password")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ValueError(
            f"{value!r} uses plain http: codes must travel over https (http is only "
            "accepted for localhost)"
        )
    return value


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


class OAuthClientRepository:
    def __init__(self, database: Database) -> None:
        self.database = database

    def register(
        self,
        server_id: int,
        *,
        redirect_uris: Sequence[str] = (),
        grant_types: Sequence[str] = (),
        public: bool = False,
        name: str | None = None,
    ) -> RegisteredClient:
        """Register a client; ValueError with a readable reason for an unusable combination."""
        uris = tuple(dict.fromkeys(validate_redirect_uri(uri) for uri in redirect_uris))
        grants = tuple(dict.fromkeys(grant_types)) or (
            (AUTHORIZATION_CODE,) if uris or public else (CLIENT_CREDENTIALS,)
        )
        unknown = [grant for grant in grants if grant not in GRANT_TYPES]
        if unknown:
            raise ValueError(f"unknown grant type {unknown[0]!r} (known: {', '.join(GRANT_TYPES)})")
        if AUTHORIZATION_CODE in grants and not uris:
            raise ValueError("the authorization_code grant needs at least one --redirect-uri")
        if uris and AUTHORIZATION_CODE not in grants:
            raise ValueError("redirect URIs are only used by the authorization_code grant")
        if public and CLIENT_CREDENTIALS in grants:
            raise ValueError("a public client has no secret, so it cannot use client_credentials")
        client_id = new_client_id()
        client_secret = None if public else secrets.token_urlsafe(32)
        now = utcnow()
        display_name = (name or "").strip() or None
        secret_hash = hash_secret(client_secret) if client_secret else None
        values: dict[str, Any] = {
            "servers_id": server_id,
            "client_id": client_id,
            "secret_hash": secret_hash,
            "name": display_name,
            "redirect_uris": json.dumps(list(uris)),
            "grant_types": json.dumps(list(grants)),
            "date_creation": to_db(now),
        }
        with self.database.begin() as connection:
            result = connection.execute(insert(CLIENTS).values(**values))
            primary_key = result.inserted_primary_key
            assert primary_key is not None
            new_id = int(primary_key[0])
        client = OAuthClient(
            id=new_id,
            server_id=server_id,
            client_id=client_id,
            name=display_name,
            redirect_uris=uris,
            grant_types=grants,
            secret_hash=secret_hash,
            date_creation=now,
        )
        return RegisteredClient(client=client, client_secret=client_secret)

    def get(self, server_id: int, client_id: str) -> OAuthClient | None:
        """The client with this id registered for this server (never another server's)."""
        if not client_id or len(client_id) > 64:
            return None
        query = select(CLIENTS).where(
            CLIENTS.c.client_id == client_id, CLIENTS.c.servers_id == server_id
        )
        with self.database.begin() as connection:
            row = connection.execute(query).mappings().first()
        return None if row is None else _decode(row)

    def list_for(self, server_id: int) -> list[OAuthClient]:
        query = select(CLIENTS).where(CLIENTS.c.servers_id == server_id).order_by(CLIENTS.c.id)
        with self.database.begin() as connection:
            rows = connection.execute(query).mappings().all()
        return [_decode(row) for row in rows]

    def remove(self, server_id: int, client_id: str) -> bool:
        """Remove the client with its codes and tokens; False when there is no such client."""
        with self.database.begin() as connection:
            result = connection.execute(
                delete(CLIENTS).where(
                    CLIENTS.c.client_id == client_id, CLIENTS.c.servers_id == server_id
                )
            )
            if not result.rowcount:
                return False
            for table in (tables.oauth_codes, tables.oauth_tokens):
                connection.execute(
                    delete(table).where(
                        table.c.client_id == client_id, table.c.servers_id == server_id
                    )
                )
        return True


def _decode(row: RowMapping) -> OAuthClient:
    return OAuthClient(
        id=int(row["id"]),
        server_id=int(row["servers_id"]),
        client_id=row["client_id"],
        name=row["name"],
        redirect_uris=_string_list(row["redirect_uris"]),
        grant_types=_string_list(row["grant_types"]),
        secret_hash=row["secret_hash"],
        date_creation=from_db(row["date_creation"]),
    )


def _string_list(raw: str | None) -> tuple[str, ...]:
    try:
        value = json.loads(raw or "[]")
    except ValueError:
        return ()  # unreadable: no redirect URI and no grant matches, the safe outcome
    if not isinstance(value, list):
        return ()
    return tuple(item for item in value if isinstance(item, str))
