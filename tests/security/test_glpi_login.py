"""Signing in with a GLPI account (the OAuth2 authorize page), against GLPI's own rows."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import bcrypt
from sqlalchemy import and_, select, update

from glpi_scim.db import tables
from glpi_scim.db.clock import to_db
from glpi_scim.db.database import Database
from glpi_scim.security.glpi_login import GlpiAccount, check_glpi_password, may_grant_access

from .support import create_server

USERS = tables.users


def set_user(database: Database, user_id: int, **values: object) -> None:
    with database.begin() as connection:
        connection.execute(update(USERS).where(USERS.c.id == user_id).values(**values))


def test_fresh_install_accounts_sign_in_with_their_y_prefixed_bcrypt(database: Database) -> None:
    account = check_glpi_password(database, "glpi", "glpi")
    assert account is not None and (account.id, account.login) == (2, "glpi")
    tech = check_glpi_password(database, "tech", "tech")
    assert tech is not None and tech.id == 4


WRONG = [("glpi", "wrong"), ("glpi", ""), ("", "glpi"), ("nobody", "glpi"), ("glpi-system", "")]

REFUSED_STATES: dict[str, dict[str, object]] = {
    "external": {"authtype": 4},  # SSO account: GLPI does not check its password
    "inactive": {"is_active": 0},
    "trashed": {"is_deleted": 1},
    "expired": {"end_date": to_db(datetime.now(timezone.utc) - timedelta(days=1))},
    "not-yet-valid": {"begin_date": to_db(datetime.now(timezone.utc) + timedelta(days=1))},
    "md5-hash": {"password": "5f4dcc3b5aa765d61d8327deb882cf99"},  # pre-0.85 hash
}


def test_wrong_or_empty_credentials_fail(database: Database) -> None:
    for login, password in WRONG:
        assert check_glpi_password(database, login, password) is None, (login, password)


def test_accounts_glpi_would_refuse_are_refused(database: Database) -> None:
    original = {
        "authtype": 1,
        "is_active": 1,
        "is_deleted": 0,
        "end_date": None,
        "begin_date": None,
        "password": None,
    }
    with database.begin() as connection:
        original["password"] = connection.execute(
            select(USERS.c.password).where(USERS.c.id == 4)
        ).scalar_one()
    for state, values in REFUSED_STATES.items():
        set_user(database, 4, **values)
        assert check_glpi_password(database, "tech", "tech") is None, state
        set_user(database, 4, **original)
        assert check_glpi_password(database, "tech", "tech") is not None, state


def test_passwords_longer_than_72_bytes_are_cut_as_php_does(database: Database) -> None:
    long_password = "é" * 50  # 100 bytes
    php_hash = bcrypt.hashpw(long_password.encode()[:72], bcrypt.gensalt(10)).decode()
    set_user(database, 5, password="$2y$" + php_hash[4:])
    assert check_glpi_password(database, "normal", long_password) is not None


def test_who_may_grant_access(database: Database) -> None:
    server = create_server(database, "okta", method="oauth2")  # applied user: glpi (2)
    glpi = GlpiAccount(id=2, login="glpi")
    tech = GlpiAccount(id=4, login="tech")
    assert may_grant_access(database, glpi, server)
    assert not may_grant_access(database, tech, server)
    rights = tables.profilerights
    technician_config = and_(rights.c.profiles_id == 6, rights.c.name == "config")
    with database.begin() as connection:  # Technician (6) may read the setup: not enough
        connection.execute(update(rights).where(technician_config).values(rights=1))
    assert not may_grant_access(database, tech, server)
    with database.begin() as connection:  # ...may update it: enough
        connection.execute(update(rights).where(technician_config).values(rights=3))
    assert may_grant_access(database, tech, server)
