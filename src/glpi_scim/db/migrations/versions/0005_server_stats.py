"""Request counts per identity server and 5-minute period (`server status`).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from glpi_scim.db.tables import INT, TABLE_ARGS, TEXT, TIMESTAMP, UINT

revision = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None

TABLE = "glpi_plugin_glpiscim_serverstats"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", UINT, primary_key=True, autoincrement=True),
        sa.Column("servers_id", UINT, nullable=False, server_default="0"),
        sa.Column("period_start", TIMESTAMP, nullable=True),
        sa.Column("requests", INT, nullable=False, server_default="0"),
        sa.Column("errors", INT, nullable=False, server_default="0"),
        sa.Column("date_last_request", TIMESTAMP, nullable=True),
        sa.Column("date_last_success", TIMESTAMP, nullable=True),
        sa.Column("last_error_status", INT, nullable=False, server_default="0"),
        sa.Column("last_error_detail", TEXT, nullable=True),
        sa.Column("date_last_error", TIMESTAMP, nullable=True),
        sa.UniqueConstraint("servers_id", "period_start", name="server_period"),
        **TABLE_ARGS,
    )
    op.create_index(f"{TABLE}_period_start", TABLE, ["period_start"])


def downgrade() -> None:
    op.drop_table(TABLE)
