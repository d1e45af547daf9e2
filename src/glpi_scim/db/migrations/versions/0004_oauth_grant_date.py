"""OAuth2 tokens remember when their grant was approved, for the grant's absolute lifetime.

Revision ID: 0004
Revises: 0003

Tokens issued before this revision get their own creation date: a grant of that time counts
from its latest refresh, the best date left (older rows of a grant may have been purged).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from glpi_scim.db.tables import TIMESTAMP

revision = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None

TOKENS = "glpi_plugin_glpiscim_oauthtokens"


def upgrade() -> None:
    with op.batch_alter_table(TOKENS) as batch:
        batch.add_column(sa.Column("date_grant", TIMESTAMP, nullable=True))
    tokens = sa.table(TOKENS, sa.column("date_grant"), sa.column("date_creation"))
    op.execute(tokens.update().values(date_grant=tokens.c.date_creation))


def downgrade() -> None:
    with op.batch_alter_table(TOKENS) as batch:
        batch.drop_column("date_grant")
