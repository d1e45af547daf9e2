"""The console's signing key, shared by every instance: kept where GLPI keeps plugin settings.

A GLPI plugin stores its configuration in glpi_configs under the context `plugin:<name>`; the
console's key lives there (one row), created on first use. Cookies and CSRF tokens are signed
with keys derived from it, so any instance behind a load balancer accepts another's.
"""

from __future__ import annotations

import secrets

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from glpi_scim.db import tables
from glpi_scim.db.database import Database

CONFIG_CONTEXT = "plugin:glpiscim"
KEY_NAME = "console_signing_key"


def console_key(database: Database) -> str:
    configs = tables.configs
    query = select(configs.c.value).where(
        configs.c.context == CONFIG_CONTEXT, configs.c.name == KEY_NAME
    )
    with database.read() as connection:
        value = connection.execute(query).scalar_one_or_none()
    if value:
        return str(value)
    try:
        with database.begin() as connection:
            connection.execute(
                insert(configs).values(
                    context=CONFIG_CONTEXT, name=KEY_NAME, value=secrets.token_urlsafe(32)
                )
            )
    except IntegrityError:  # another instance created it first: use that one
        pass
    with database.read() as connection:
        return str(connection.execute(query).scalar_one())
