"""The web console's sessions and the audit of administrative changes.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from glpi_scim.db.tables import TABLE_ARGS, TEXT, TIMESTAMP, UINT

revision = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None

SESSIONS = "glpi_plugin_glpiscim_consolesessions"
AUDIT = "glpi_plugin_glpiscim_audit"


def upgrade() -> None:
    op.create_table(
        SESSIONS,
        sa.Column("id", UINT, primary_key=True, autoincrement=True),
        sa.Column("session_hash", sa.String(64), nullable=False),
        sa.Column("users_id", UINT, nullable=False, server_default="0"),
        sa.Column("login", sa.String(255), nullable=False),
        sa.Column("client_ip", sa.String(64), nullable=True),
        sa.Column("date_creation", TIMESTAMP, nullable=True),
        sa.Column("date_last_use", TIMESTAMP, nullable=True),
        sa.UniqueConstraint("session_hash", name="session_hash"),
        **TABLE_ARGS,
    )
    op.create_index(f"{SESSIONS}_date_last_use", SESSIONS, ["date_last_use"])
    op.create_table(
        AUDIT,
        sa.Column("id", UINT, primary_key=True, autoincrement=True),
        sa.Column("servers_id", UINT, nullable=False, server_default="0"),
        sa.Column("server_name", sa.String(255), nullable=True),
        sa.Column("date_creation", TIMESTAMP, nullable=True),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("client_ip", sa.String(64), nullable=True),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("detail", TEXT, nullable=True),
        **TABLE_ARGS,
    )
    op.create_index(f"{AUDIT}_server_date", AUDIT, ["servers_id", "date_creation"])


def downgrade() -> None:
    op.drop_table(AUDIT)
    op.drop_table(SESSIONS)
