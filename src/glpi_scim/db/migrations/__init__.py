"""Alembic migrations of the tool's own tables (glpi_plugin_glpiscim_*), run from package data.

Migrations never touch GLPI's tables: a real GLPI database belongs to GLPI. The version table
carries the tool's prefix so that it sits with the tool's tables and names no one else's.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

VERSION_TABLE = "glpi_plugin_glpiscim_alembic_version"
SCRIPT_LOCATION = Path(__file__).resolve().parent


def alembic_config(connection: Connection | None = None) -> Config:
    """A configuration built in code: no alembic.ini, so it works from an installed wheel."""
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "the migrations package has no revision"
    return head


def current_revision(connection: Connection) -> str | None:
    """The revision recorded in the database, None when the tool's tables were never created."""
    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return context.get_current_revision()


def known_revisions() -> set[str]:
    script = ScriptDirectory.from_config(alembic_config())
    return {revision.revision for revision in script.walk_revisions()}


def upgrade_to_head(connection: Connection) -> None:
    """Create or upgrade the tool's tables; a database already at head is left untouched."""
    command.upgrade(alembic_config(connection), "head")
