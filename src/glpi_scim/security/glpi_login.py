"""Sign-in with a GLPI account on the OAuth2 authorize page: GLPI's own password check.

Only accounts GLPI itself authenticates by password qualify (authtype 1, "GLPI database"):
active, not in the trash, within their validity dates, with a bcrypt hash. GLPI writes bcrypt
hashes with PHP's `$2y$` prefix; the bcrypt library checks the identical `$2b$` form. PHP's
password_verify looks at the first 72 bytes of the password only, so this does the same.
Older unsalted MD5/SHA-1 hashes (accounts that have not signed in since GLPI 0.85) are refused:
signing in to GLPI once rehashes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import bcrypt
from sqlalchemy import ColumnElement, and_, exists, literal, or_, select

from glpi_scim.db import tables
from glpi_scim.db.clock import to_db, utcnow
from glpi_scim.db.database import Database
from glpi_scim.identity.models import AUTHTYPE_DB_GLPI, IdentityServer

BCRYPT_PREFIXES = ("$2y$", "$2a$", "$2b$")
# GLPI's "config" right and its UPDATE bit: who may change GLPI's setup may connect an IdP.
CONFIG_RIGHT = "config"
UPDATE_BIT = 2
_DUMMY_HASH = bcrypt.hashpw(b"glpi-scim timing equaliser", bcrypt.gensalt(10))


@dataclass(frozen=True)
class GlpiAccount:
    id: int
    login: str
    realname: str | None = None
    firstname: str | None = None

    @property
    def display_name(self) -> str:
        full = " ".join(part for part in (self.firstname, self.realname) if part)
        return full or self.login


def check_glpi_password(
    database: Database, login: str, password: str, *, now: datetime | None = None
) -> GlpiAccount | None:
    """The account when `login`/`password` open it in GLPI; None otherwise (same cost)."""
    users = tables.users
    moment = to_db(now or utcnow())
    query = (
        select(users.c.id, users.c.name, users.c.password, users.c.realname, users.c.firstname)
        .where(
            users.c.name == login.strip(),
            users.c.authtype == AUTHTYPE_DB_GLPI,
            users.c.is_active == 1,
            users.c.is_deleted == 0,
            or_(users.c.begin_date.is_(None), users.c.begin_date <= moment),
            or_(users.c.end_date.is_(None), users.c.end_date >= moment),
        )
        .order_by(users.c.id)
        .limit(1)
    )
    row = None
    if login.strip() and password:
        with database.begin() as connection:
            row = connection.execute(query).first()
    stored = (row.password or "") if row is not None else ""
    usable = stored.startswith(BCRYPT_PREFIXES) and len(stored) == 60
    candidate = ("$2b$" + stored[4:]).encode() if usable else _DUMMY_HASH
    try:
        matches = bcrypt.checkpw(password.encode()[:72], candidate)
    except ValueError:  # a corrupt hash in the row
        matches = False
    if row is None or not usable or not matches:
        return None
    return GlpiAccount(
        id=int(row.id), login=row.name, realname=row.realname, firstname=row.firstname
    )


def may_grant_access(database: Database, account: GlpiAccount, server: IdentityServer) -> bool:
    """Whether this account may let an OAuth2 client act on `server`.

    Granting access lets an IdP create, change and delete GLPI users, so it is limited to the
    server's applied user (the account GLPI's history names for every change) and to accounts
    holding a profile with GLPI's "config" right at UPDATE level (Super-Admin by default).
    """
    query = select(grantor_may_grant(literal(account.id), server))
    with database.begin() as connection:
        return bool(connection.execute(query).scalar())


def grantor_may_grant(
    users_id: ColumnElement[Any], server: IdentityServer, *, now: datetime | None = None
) -> ColumnElement[bool]:
    """SQL truth of "the GLPI user `users_id` may (still) grant OAuth2 access to `server`": the
    account exists, is active, not in the trash, within its validity dates, and is the
    server's applied user or holds a profile with the "config" right at UPDATE level.

    An expression, not a query, so that a token check folds it into its own statement: every
    refresh and every use of an access token re-checks the grantor without another round trip.
    """
    users = tables.users
    profiles = tables.profiles_users
    rights = tables.profilerights
    moment = to_db(now or utcnow())
    account_usable = exists().where(
        users.c.id == users_id,
        users.c.is_active == 1,
        users.c.is_deleted == 0,
        or_(users.c.begin_date.is_(None), users.c.begin_date <= moment),
        or_(users.c.end_date.is_(None), users.c.end_date >= moment),
    )
    holds_config_right = exists().where(
        profiles.c.users_id == users_id,
        rights.c.profiles_id == profiles.c.profiles_id,
        rights.c.name == CONFIG_RIGHT,
        rights.c.rights.op("&")(UPDATE_BIT) != 0,
    )
    return and_(account_usable, or_(users_id == server.users_id_applied, holds_config_right))
