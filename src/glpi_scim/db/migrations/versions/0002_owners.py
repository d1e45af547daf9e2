"""Owners: the one identity server that may write each GLPI user and group.

Revision ID: 0002
Revises: 0001

The upgrade records, for every user and group a server already wrote (it has a row in
glpi_plugin_glpiscim_resources: an externalId, stored attributes or a tombstone), that server
as the owner, with origin 'migrated', so that an upgrade changes no identity provider's access
to what it already manages. When several servers have rows for the same item, the server of
the oldest row (lowest id) owns it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from glpi_scim.db.tables import TABLE_ARGS, TIMESTAMP, UINT

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

OWNERS = "glpi_plugin_glpiscim_owners"
# One owner per item: the server of the item's oldest resources row.
BACKFILL = """
INSERT INTO glpi_plugin_glpiscim_owners
    (itemtype, items_id, servers_id, origin, date_creation, date_mod)
SELECT r.itemtype, r.items_id, r.servers_id, 'migrated', r.date_creation, r.date_mod
FROM glpi_plugin_glpiscim_resources r
WHERE r.id = (
    SELECT MIN(earlier.id) FROM glpi_plugin_glpiscim_resources earlier
    WHERE earlier.itemtype = r.itemtype AND earlier.items_id = r.items_id
)
"""


def upgrade() -> None:
    op.create_table(
        OWNERS,
        sa.Column("id", UINT, primary_key=True, autoincrement=True),
        sa.Column("itemtype", sa.String(100), nullable=False),
        sa.Column("items_id", UINT, nullable=False, server_default="0"),
        sa.Column("servers_id", UINT, nullable=False, server_default="0"),
        sa.Column("origin", sa.String(16), nullable=False, server_default="created"),
        sa.Column("date_creation", TIMESTAMP, nullable=True),
        sa.Column("date_mod", TIMESTAMP, nullable=True),
        sa.UniqueConstraint("itemtype", "items_id", name="item"),
        **TABLE_ARGS,
    )
    op.create_index(f"{OWNERS}_server", OWNERS, ["servers_id", "itemtype"])
    op.execute(BACKFILL)


def downgrade() -> None:
    op.drop_table(OWNERS)
