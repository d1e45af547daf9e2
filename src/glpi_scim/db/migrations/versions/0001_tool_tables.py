"""The tool's tables, as first released.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from glpi_scim.db.migrations.resumable import create_index, create_table
from glpi_scim.db.tables import (
    BIGINT,
    EXACT_TEXT_255,
    INT,
    LONGTEXT,
    TABLE_ARGS,
    TEXT,
    TIMESTAMP,
    TINYINT,
    UINT,
)

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

TABLES = (
    "glpi_plugin_glpiscim_authfailures",
    "glpi_plugin_glpiscim_digestnonces",
    "glpi_plugin_glpiscim_oauthclients",
    "glpi_plugin_glpiscim_oauthcodes",
    "glpi_plugin_glpiscim_oauthtokens",
    "glpi_plugin_glpiscim_requestlogs",
    "glpi_plugin_glpiscim_resources",
    "glpi_plugin_glpiscim_servers",
    "glpi_plugin_glpiscim_tokens",
)


def upgrade() -> None:
    create_table(
        "glpi_plugin_glpiscim_authfailures",
        sa.Column("id", UINT, primary_key=True, autoincrement=True),
        sa.Column("servers_id", UINT, nullable=False, server_default="0"),
        sa.Column("client_ip", sa.String(64), nullable=False),
        sa.Column("failures", INT, nullable=False, server_default="0"),
        sa.Column("window_start", TIMESTAMP, nullable=True),
        sa.Column("blocked_until", TIMESTAMP, nullable=True),
        sa.UniqueConstraint("servers_id", "client_ip", name="server_ip"),
        **TABLE_ARGS,
    )
    create_table(
        "glpi_plugin_glpiscim_digestnonces",
        sa.Column("id", UINT, primary_key=True, autoincrement=True),
        sa.Column("servers_id", UINT, nullable=False, server_default="0"),
        sa.Column("nonce_hash", sa.String(64), nullable=False),
        sa.Column("last_nc", BIGINT, nullable=False, server_default="0"),
        sa.Column("date_expiration", TIMESTAMP, nullable=True),
        sa.UniqueConstraint("nonce_hash", name="nonce_hash"),
        **TABLE_ARGS,
    )
    create_index(
        "glpi_plugin_glpiscim_digestnonces_date_expiration",
        "glpi_plugin_glpiscim_digestnonces",
        ["date_expiration"],
    )
    create_table(
        "glpi_plugin_glpiscim_oauthclients",
        sa.Column("id", UINT, primary_key=True, autoincrement=True),
        sa.Column("servers_id", UINT, nullable=False, server_default="0"),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("secret_hash", sa.String(255), nullable=True),
        sa.Column("name", sa.String(255), nullable=True),
        sa.Column("redirect_uris", TEXT, nullable=True),
        sa.Column("grant_types", TEXT, nullable=True),
        sa.Column("date_creation", TIMESTAMP, nullable=True),
        sa.UniqueConstraint("client_id", name="client_id"),
        **TABLE_ARGS,
    )
    create_index(
        "glpi_plugin_glpiscim_oauthclients_servers_id",
        "glpi_plugin_glpiscim_oauthclients",
        ["servers_id"],
    )
    create_table(
        "glpi_plugin_glpiscim_oauthcodes",
        sa.Column("id", UINT, primary_key=True, autoincrement=True),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("servers_id", UINT, nullable=False, server_default="0"),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("users_id", UINT, nullable=False, server_default="0"),
        sa.Column("redirect_uri", TEXT, nullable=True),
        sa.Column("scopes", TEXT, nullable=True),
        sa.Column("code_challenge", sa.String(128), nullable=True),
        sa.Column("code_challenge_method", sa.String(16), nullable=True),
        sa.Column("date_expiration", TIMESTAMP, nullable=True),
        sa.Column("is_used", TINYINT, nullable=False, server_default="0"),
        sa.UniqueConstraint("code_hash", name="code_hash"),
        **TABLE_ARGS,
    )
    create_table(
        "glpi_plugin_glpiscim_oauthtokens",
        sa.Column("id", UINT, primary_key=True, autoincrement=True),
        sa.Column("servers_id", UINT, nullable=False, server_default="0"),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("users_id", UINT, nullable=False, server_default="0"),
        sa.Column("access_hash", sa.String(64), nullable=False),
        sa.Column("refresh_hash", sa.String(64), nullable=True),
        sa.Column("grant_hash", sa.String(64), nullable=True),
        sa.Column("scopes", TEXT, nullable=True),
        sa.Column("access_expiration", TIMESTAMP, nullable=True),
        sa.Column("refresh_expiration", TIMESTAMP, nullable=True),
        sa.Column("is_revoked", TINYINT, nullable=False, server_default="0"),
        sa.Column("date_creation", TIMESTAMP, nullable=True),
        sa.UniqueConstraint("access_hash", name="access_hash"),
        sa.UniqueConstraint("refresh_hash", name="refresh_hash"),
        **TABLE_ARGS,
    )
    create_index(
        "glpi_plugin_glpiscim_oauthtokens_client_id",
        "glpi_plugin_glpiscim_oauthtokens",
        ["client_id"],
    )
    create_index(
        "glpi_plugin_glpiscim_oauthtokens_grant_hash",
        "glpi_plugin_glpiscim_oauthtokens",
        ["grant_hash"],
    )
    create_table(
        "glpi_plugin_glpiscim_requestlogs",
        sa.Column("id", UINT, primary_key=True, autoincrement=True),
        sa.Column("servers_id", UINT, nullable=False, server_default="0"),
        sa.Column("request_id", sa.String(64), nullable=True),
        sa.Column("date_creation", TIMESTAMP, nullable=True),
        sa.Column("client_ip", sa.String(64), nullable=True),
        sa.Column("method", sa.String(10), nullable=False, server_default=""),
        sa.Column("path", TEXT, nullable=True),
        sa.Column("query", TEXT, nullable=True),
        sa.Column("status", INT, nullable=False, server_default="0"),
        sa.Column("duration_ms", INT, nullable=False, server_default="0"),
        sa.Column("request_headers", TEXT, nullable=True),
        sa.Column("request_body", LONGTEXT, nullable=True),
        sa.Column("response_body", LONGTEXT, nullable=True),
        sa.Column("is_truncated", TINYINT, nullable=False, server_default="0"),
        sa.Column("note", TEXT, nullable=True),
        **TABLE_ARGS,
    )
    create_index(
        "glpi_plugin_glpiscim_requestlogs_server_date",
        "glpi_plugin_glpiscim_requestlogs",
        ["servers_id", "date_creation"],
    )
    create_index(
        "glpi_plugin_glpiscim_requestlogs_date_creation",
        "glpi_plugin_glpiscim_requestlogs",
        ["date_creation"],
    )
    create_table(
        "glpi_plugin_glpiscim_resources",
        sa.Column("id", UINT, primary_key=True, autoincrement=True),
        sa.Column("servers_id", UINT, nullable=False, server_default="0"),
        sa.Column("itemtype", sa.String(100), nullable=False),
        sa.Column("items_id", UINT, nullable=False, server_default="0"),
        sa.Column("external_id", EXACT_TEXT_255, nullable=True),
        sa.Column("attributes", LONGTEXT, nullable=True),
        sa.Column("is_deleted", TINYINT, nullable=False, server_default="0"),
        sa.Column("date_creation", TIMESTAMP, nullable=True),
        sa.Column("date_mod", TIMESTAMP, nullable=True),
        sa.UniqueConstraint("servers_id", "itemtype", "external_id", name="external_id"),
        sa.UniqueConstraint("servers_id", "itemtype", "items_id", name="item"),
        **TABLE_ARGS,
    )
    create_index(
        "glpi_plugin_glpiscim_resources_items",
        "glpi_plugin_glpiscim_resources",
        ["itemtype", "items_id"],
    )
    # Tombstones (is_deleted=1) are rare: visibility checks read them from this index instead of
    # scanning the table.
    create_index(
        "glpi_plugin_glpiscim_resources_tombstones",
        "glpi_plugin_glpiscim_resources",
        ["servers_id", "itemtype", "is_deleted"],
    )
    create_table(
        "glpi_plugin_glpiscim_servers",
        sa.Column("id", UINT, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("users_id_applied", UINT, nullable=False, server_default="0"),
        sa.Column("is_active", TINYINT, nullable=False, server_default="1"),
        sa.Column("log_requests", TINYINT, nullable=False, server_default="0"),
        sa.Column("is_default", TINYINT, nullable=False, server_default="0"),
        sa.Column("auth_method", sa.String(16), nullable=False, server_default="bearer"),
        sa.Column("auth_username", sa.String(255), nullable=True),
        sa.Column("auth_secret", TEXT, nullable=True),
        sa.Column("signing_key", sa.String(255), nullable=False),
        sa.Column("allowed_networks", TEXT, nullable=True),
        sa.Column("entities_id", UINT, nullable=False, server_default="0"),
        sa.Column("profiles_id", UINT, nullable=False, server_default="0"),
        sa.Column("is_recursive", TINYINT, nullable=False, server_default="0"),
        sa.Column("password_sync", TINYINT, nullable=False, server_default="0"),
        sa.Column("delete_policy", sa.String(16), nullable=False, server_default="trash"),
        sa.Column("options", TEXT, nullable=True),
        sa.Column("date_creation", TIMESTAMP, nullable=True),
        sa.Column("date_mod", TIMESTAMP, nullable=True),
        sa.UniqueConstraint("name", name="name"),
        **TABLE_ARGS,
    )
    create_table(
        "glpi_plugin_glpiscim_tokens",
        sa.Column("id", UINT, primary_key=True, autoincrement=True),
        sa.Column("servers_id", UINT, nullable=False, server_default="0"),
        sa.Column("jti", sa.String(64), nullable=False),
        sa.Column("comment", sa.String(255), nullable=True),
        sa.Column("date_creation", TIMESTAMP, nullable=True),
        sa.Column("date_expiration", TIMESTAMP, nullable=True),
        sa.Column("is_revoked", TINYINT, nullable=False, server_default="0"),
        sa.Column("date_revoked", TIMESTAMP, nullable=True),
        sa.Column("date_last_use", TIMESTAMP, nullable=True),
        sa.UniqueConstraint("jti", name="jti"),
        **TABLE_ARGS,
    )
    create_index(
        "glpi_plugin_glpiscim_tokens_servers_id", "glpi_plugin_glpiscim_tokens", ["servers_id"]
    )


def downgrade() -> None:
    for name in reversed(TABLES):
        op.drop_table(name)
