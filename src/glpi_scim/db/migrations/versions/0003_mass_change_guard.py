"""The mass-change guard: per-server limits and state, and the removals of its window.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from glpi_scim.db.tables import INT, TABLE_ARGS, TIMESTAMP, TINYINT, UINT

revision = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

# New servers get this limit; so do the servers that exist when the migration runs.
DEFAULT_MAX_REMOVALS = 50
DEFAULT_WINDOW_SECONDS = 600


def upgrade() -> None:
    op.create_table(
        "glpi_plugin_glpiscim_guards",
        sa.Column("id", UINT, primary_key=True, autoincrement=True),
        sa.Column("servers_id", UINT, nullable=False, server_default="0"),
        sa.Column("max_removals", INT, nullable=False, server_default="50"),
        sa.Column("window_seconds", INT, nullable=False, server_default="600"),
        sa.Column("is_tripped", TINYINT, nullable=False, server_default="0"),
        sa.Column("date_tripped", TIMESTAMP, nullable=True),
        sa.Column("tripped_count", INT, nullable=False, server_default="0"),
        sa.Column("refused_count", INT, nullable=False, server_default="0"),
        sa.Column("date_last_refused", TIMESTAMP, nullable=True),
        sa.Column("last_refused", sa.String(255), nullable=True),
        sa.Column("date_resumed", TIMESTAMP, nullable=True),
        sa.UniqueConstraint("servers_id", name="servers_id"),
        **TABLE_ARGS,
    )
    op.create_table(
        "glpi_plugin_glpiscim_removals",
        sa.Column("id", UINT, primary_key=True, autoincrement=True),
        sa.Column("servers_id", UINT, nullable=False, server_default="0"),
        sa.Column("date_creation", TIMESTAMP, nullable=True),
        sa.Column("itemtype", sa.String(100), nullable=False),
        sa.Column("items_id", UINT, nullable=False, server_default="0"),
        **TABLE_ARGS,
    )
    op.create_index(
        "glpi_plugin_glpiscim_removals_server_date",
        "glpi_plugin_glpiscim_removals",
        ["servers_id", "date_creation"],
    )
    op.execute(
        sa.text(
            "INSERT INTO glpi_plugin_glpiscim_guards (servers_id, max_removals, window_seconds) "
            "SELECT id, :count, :seconds FROM glpi_plugin_glpiscim_servers"
        ).bindparams(count=DEFAULT_MAX_REMOVALS, seconds=DEFAULT_WINDOW_SECONDS)
    )


def downgrade() -> None:
    op.drop_table("glpi_plugin_glpiscim_removals")
    op.drop_table("glpi_plugin_glpiscim_guards")
