"""Alembic environment: always online, on the connection the caller passes in."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from glpi_scim.db.migrations import VERSION_TABLE
from glpi_scim.db.tables import TOOL_METADATA

TOOL_PREFIX = "glpi_plugin_glpiscim_"


def _is_tool_object(name: str | None, type_: str, _parent: object) -> bool:
    # Comparisons (autogenerate, drift tests) look at the tool's own tables only, never at
    # the hundreds of GLPI tables around them.
    if type_ == "table":
        return bool(name) and str(name).startswith(TOOL_PREFIX) and name != VERSION_TABLE
    return True


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=TOOL_METADATA,
        version_table=VERSION_TABLE,
        include_name=_is_tool_object,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("glpi-scim migrations run online only: use `glpi-scim db init`")
_connection = context.config.attributes.get("connection")
if _connection is None:
    raise SystemExit("glpi-scim migrations need a connection: use `glpi-scim db init`")
run_migrations(_connection)
