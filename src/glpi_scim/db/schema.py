"""Schema of the database: GLPI's fresh-install rows, the tool's migrations, the usability check.

The tool never creates or alters GLPI's tables in a real GLPI database. It creates the GLPI
subset (`tables.GLPI_METADATA`) only in the embedded SQLite file and, on request, in an empty
MySQL/MariaDB database (tests, demos); there it also writes the rows a fresh GLPI 10.0 install
has, so that the tool finds the same root entity, profiles and users as in a real GLPI.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, inspect, select, text
from sqlalchemy.exc import DBAPIError

from glpi_scim.db import tables
from glpi_scim.db.collation import KEY_INDEXES
from glpi_scim.db.database import Database, DatabaseError
from glpi_scim.db.fresh_rights import fresh_profile_rights
from glpi_scim.db.migrations import (
    VERSION_TABLE,
    current_revision,
    head_revision,
    known_revisions,
    upgrade_to_head,
)
from glpi_scim.db.privileges import REQUIRED_PRIVILEGES, require_privileges
from glpi_scim.db.statement_limit import unlimited_statements

GLPI_VERSION = "10.0.19"  # the version the embedded schema mirrors
SUPPORTED_SERIES = "10.0"


class SchemaError(DatabaseError):
    """The database is reachable but its schema cannot be used; the message says what to do."""


class NotAGlpiDatabase(SchemaError):
    pass


class UnsupportedGlpiVersion(SchemaError):
    pass


class GlpiSchemaIncomplete(SchemaError):
    pass


class ToolSchemaMissing(SchemaError):
    pass


class ToolSchemaOutdated(SchemaError):
    pass


# ---------------------------------------------------------------------------------------------
# A fresh GLPI 10.0 install
# ---------------------------------------------------------------------------------------------

ROOT_ENTITY = {
    "id": 0,
    "name": "Root entity",
    "entities_id": None,
    "completename": "Root entity",
    "level": 1,
}

# (id, name, interface, is_default)
FRESH_PROFILES = (
    (1, "Self-Service", "helpdesk", 1),
    (2, "Observer", "central", 0),
    (3, "Admin", "central", 0),
    (4, "Super-Admin", "central", 0),
    (5, "Hotliner", "central", 0),
    (6, "Technician", "central", 0),
    (7, "Supervisor", "central", 0),
    (8, "Read-Only", "central", 0),
)

# bcrypt ($2y$, cost 10, as PHP's password_hash writes) of "glpi", "postonly", "tech", "normal".
FRESH_USERS: tuple[dict[str, Any], ...] = (
    {
        "id": 2,
        "name": "glpi",
        "password": "$2y$10$yxvgMYF5nGbNb9Pvzof9wuH2UqS6ufvKqLNsLQJRLl6mYFK9gbqzG",
        "list_limit": 20,
        "authtype": 1,
    },
    {
        "id": 3,
        "name": "post-only",
        "password": "$2y$10$CngQsCN94dARJ6jh5SAC0Ovto9MRBrQfKjpOqogrIg5emhhY1MsyS",
        "language": "en_GB",
        "list_limit": 20,
        "authtype": 1,
    },
    {
        "id": 4,
        "name": "tech",
        "password": "$2y$10$R87t8GrBtp78ZTqBWZxDp.3x8tv7BHQoyJRXho7B6qEcIPENLdWbi",
        "language": "en_GB",
        "list_limit": 20,
        "authtype": 1,
    },
    {
        "id": 5,
        "name": "normal",
        "password": "$2y$10$jJS0C.yTHvdJVbwt14uqHetReZjAuofXsqb4Tz3/mfTsqRpH1LAmq",
        "language": "en_GB",
        "list_limit": 20,
        "authtype": 1,
    },
    {"id": 6, "name": "glpi-system", "password": "", "realname": "Support", "authtype": 1},
)

# users_id -> profiles_id, all on the root entity, recursive, not dynamic.
FRESH_AUTHORIZATIONS = ((2, 4), (3, 1), (4, 6), (5, 2))

FRESH_CONFIGS = (
    ("core", "version", GLPI_VERSION),
    ("core", "dbversion", GLPI_VERSION),
    ("core", "language", "en_GB"),
    ("core", "system_user", "6"),
)


def bootstrap_glpi(connection: Connection) -> None:
    """Write the rows of a fresh GLPI 10.0 install into empty GLPI tables."""
    connection.execute(tables.entities.insert(), [ROOT_ENTITY])
    connection.execute(
        tables.profiles.insert(),
        [
            {"id": pid, "name": name, "interface": interface, "is_default": is_default}
            for pid, name, interface, is_default in FRESH_PROFILES
        ],
    )
    columns = {key for user in FRESH_USERS for key in user}
    connection.execute(
        tables.users.insert(),
        [{column: user.get(column) for column in sorted(columns)} for user in FRESH_USERS],
    )
    connection.execute(
        tables.profiles_users.insert(),
        [
            {
                "users_id": user_id,
                "profiles_id": profile_id,
                "entities_id": 0,
                "is_recursive": 1,
                "is_dynamic": 0,
                "is_default_profile": 0,
            }
            for user_id, profile_id in FRESH_AUTHORIZATIONS
        ],
    )
    connection.execute(
        tables.configs.insert(),
        [{"context": c, "name": n, "value": v} for c, n, v in FRESH_CONFIGS],
    )
    # Who may change whom depends on these (glpi/policy.py), as in a fresh GLPI.
    connection.execute(tables.profilerights.insert(), fresh_profile_rights())


def create_glpi_schema(database: Database) -> None:
    """Create the GLPI subset with a fresh install's rows in a database that has no GLPI tables.

    Refuses when any GLPI table exists: an existing GLPI database is never altered.
    """
    with database.begin() as connection:
        present = set(inspect(connection).get_table_names())
        found = sorted(present & {table.name for table in tables.GLPI_TABLES})
        if found:
            raise SchemaError(
                f"{database.url_display} already has GLPI tables ({', '.join(found[:3])}, ...): "
                "the GLPI schema is only created in an empty database"
            )
        if not database.is_sqlite:
            require_privileges(connection, database.url_display)
        tables.GLPI_METADATA.create_all(connection)
        bootstrap_glpi(connection)


# ---------------------------------------------------------------------------------------------
# The tool's own tables
# ---------------------------------------------------------------------------------------------


@contextlib.contextmanager
def _migration_lock(connection: Connection) -> Iterator[None]:
    """One migrating process at a time per database (several instances may start at once)."""
    if connection.dialect.name == "sqlite":
        yield  # BEGIN IMMEDIATE (see database.py) already serialises writers
        return
    got = connection.execute(text("SELECT GET_LOCK('glpi_plugin_glpiscim_migrations', 60)"))
    if got.scalar() != 1:
        raise SchemaError("another process has been migrating the tool's tables for 60 s")
    try:
        yield
    finally:
        connection.execute(text("SELECT RELEASE_LOCK('glpi_plugin_glpiscim_migrations')"))


def _ensure_key_indexes(connection: Connection, where: str) -> None:
    """SQLite: the indexes on glpi_key(column) that logins and e-mails are looked up by.

    They are on GLPI's tables and call a function of this tool, so they exist only in the
    embedded file (never in GLPI's MariaDB, where the collation does the same) and are not part
    of the migrations, which describe the tool's own tables. Created here, where every start
    of `serve` and `db init` passes, a file made by an older version gets them too.
    """
    present = set(inspect(connection).get_table_names())
    try:
        for index in KEY_INDEXES:
            if index.table in present:
                connection.execute(text(index.ddl))
        if connection.in_transaction():
            connection.commit()
    except DBAPIError as exc:
        raise SchemaError(f"creating the lookup indexes in {where} failed: {exc.orig}") from None


def _ensure_fresh_rights(connection: Connection) -> None:
    """SQLite: an embedded file made by the first release has no glpi_profilerights rows, so
    its applied users would hold no right and every write would be refused: give it a fresh
    install's rights (only when the table is empty: rights changed by hand are kept)."""
    if tables.profilerights.name not in set(inspect(connection).get_table_names()):
        return
    if connection.execute(select(tables.profilerights.c.id).limit(1)).first() is None:
        connection.execute(tables.profilerights.insert(), fresh_profile_rights())
    if connection.in_transaction():
        connection.commit()


def ensure_tool_schema(database: Database) -> str:
    """Create or upgrade the tool's tables; returns the revision. Twice changes nothing.

    On SQLite the key indexes of GLPI's tables are ensured as well (`_ensure_key_indexes`).
    """
    where = database.url_display
    with (
        database.connect() as connection,
        unlimited_statements(connection),
        _migration_lock(connection),
    ):
        if database.is_sqlite:
            _ensure_key_indexes(connection, where)
            _ensure_fresh_rights(connection)
        revision = current_revision(connection)
        if revision is not None and revision not in known_revisions():
            raise ToolSchemaOutdated(
                f"the tool's tables in {where} are at revision {revision}, which this version "
                "of glpi-scim does not know: a newer glpi-scim created them; upgrade glpi-scim"
            )
        if revision == head_revision():
            return revision
        if not database.is_sqlite:
            require_privileges(connection, where)
        if revision is None:
            _refuse_foreign_tool_tables(connection, where)
        try:
            upgrade_to_head(connection)
            if connection.in_transaction():
                connection.commit()
        except DBAPIError as exc:
            raise SchemaError(
                f"creating or upgrading the tool's tables in {where} failed: {exc.orig}; "
                "`glpi-scim db init` needs the privileges "
                f"{', '.join(REQUIRED_PRIVILEGES)} on the database, and finishes its own "
                "work when run again"
            ) from None
    return head_revision()


def interrupted_tables(connection: Connection) -> list[str]:
    """Tool tables without a recorded revision: what an interrupted first `db init` left."""
    if current_revision(connection) is not None:
        return []
    present = set(inspect(connection).get_table_names())
    return sorted(present & {table.name for table in tables.TOOL_TABLES})


def _refuse_foreign_tool_tables(connection: Connection, where: str) -> None:
    """Tool tables without a revision are resumed only when they are empty: then they can only
    be the work of an interrupted `db init` (its migration creates each table it misses and
    leaves the others), and finishing it loses nothing. A table holding rows is not ours."""
    strays = interrupted_tables(connection)
    by_name = {table.name: table for table in tables.TOOL_TABLES}
    filled = [
        name
        for name in strays
        if connection.execute(select(text("1")).select_from(by_name[name]).limit(1)).first()
        is not None
    ]
    if filled:
        raise ToolSchemaOutdated(
            f"{where} has tool tables holding rows ({', '.join(filled)}) but no record of their "
            f"revision in {VERSION_TABLE}: they were not created by `glpi-scim db init`; drop "
            "them (after saving what they hold) and run it again"
        )
    if connection.in_transaction():
        connection.commit()


def has_glpi_tables(database: Database) -> bool:
    with database.connect() as connection:
        present = set(inspect(connection).get_table_names())
    return bool(present & {table.name for table in tables.GLPI_TABLES})


def initialise_embedded(database: Database) -> bool:
    """Make the embedded SQLite file usable: GLPI subset on first use, tool tables always.

    Returns True when the GLPI subset was created. On a MySQL/MariaDB database only the tool's
    tables are created or upgraded (GLPI's own tables are GLPI's business).
    """
    created = False
    if database.is_sqlite and not has_glpi_tables(database):
        _refuse_foreign_sqlite(database)
        create_glpi_schema(database)
        created = True
    ensure_tool_schema(database)
    return created


def _refuse_foreign_sqlite(database: Database) -> None:
    """The embedded database goes in a new or empty file, never into another program's."""
    with database.connect() as connection:
        present = set(inspect(connection).get_table_names())
    ours = {table.name for table in tables.TOOL_TABLES} | {VERSION_TABLE}
    foreign = sorted(present - ours)
    if foreign:
        shown = ", ".join(foreign[:5]) + (", ..." if len(foreign) > 5 else "")
        raise NotAGlpiDatabase(
            f"{database.url_display} is a SQLite database of another application (tables: "
            f"{shown}); the embedded GLPI database is only created in a new or empty file: "
            "set sqlite_path to another file"
        )


# ---------------------------------------------------------------------------------------------
# Usability check
# ---------------------------------------------------------------------------------------------

# Tables whose absence means "this is not GLPI at all" rather than "GLPI is incomplete".
GLPI_MARKERS = ("glpi_configs", "glpi_users")


@dataclass
class SchemaReport:
    """What `db check` prints; `serve` refuses to start unless `usable`."""

    database: str
    dialect: str
    glpi_version: str | None = None
    tool_revision: str | None = None
    tool_head: str = ""
    missing_tables: list[str] = field(default_factory=list)
    missing_columns: list[str] = field(default_factory=list)  # "table.column"
    problems: list[SchemaError] = field(default_factory=list)

    @property
    def usable(self) -> bool:
        return not self.problems

    def raise_if_unusable(self) -> None:
        if self.problems:
            raise self.problems[0]

    def as_dict(self) -> dict[str, Any]:
        return {
            "database": self.database,
            "dialect": self.dialect,
            "usable": self.usable,
            "glpi_version": self.glpi_version,
            "tool_revision": self.tool_revision,
            "tool_head": self.tool_head,
            "missing_tables": self.missing_tables,
            "missing_columns": self.missing_columns,
            "problems": [
                {"kind": type(problem).__name__, "message": str(problem)}
                for problem in self.problems
            ],
        }


def _glpi_version(connection: Connection) -> str | None:
    configs = tables.configs
    query = select(configs.c.value).where(configs.c.context == "core", configs.c.name == "version")
    value = connection.execute(query).scalar()
    return None if value is None else str(value).strip()


def _missing(connection: Connection, wanted: tuple[Any, ...]) -> tuple[list[str], list[str]]:
    inspector = inspect(connection)
    present = set(inspector.get_table_names())
    missing_tables: list[str] = []
    missing_columns: list[str] = []
    for table in wanted:
        if table.name not in present:
            missing_tables.append(table.name)
            continue
        columns = {column["name"].lower() for column in inspector.get_columns(table.name)}
        missing_columns.extend(
            f"{table.name}.{column.name}"
            for column in table.columns
            if column.name.lower() not in columns
        )
    return missing_tables, missing_columns


def check_schema(database: Database) -> SchemaReport:
    """Inspect the database. Connection failures raise `DatabaseError`; schema problems are
    listed in the report, most fundamental first."""
    head = head_revision()
    report = SchemaReport(database.url_display, database.dialect, tool_head=head)
    where = database.url_display
    sqlite_file = database.engine.url.database if database.is_sqlite else None
    if sqlite_file and sqlite_file != ":memory:" and not Path(sqlite_file).exists():
        # Connecting would create an empty file; say what is missing instead.
        report.problems.append(
            NotAGlpiDatabase(f"{sqlite_file} does not exist yet: run `glpi-scim db init`")
        )
        return report
    with database.connect() as connection:
        present = set(inspect(connection).get_table_names())
        absent_markers = [name for name in GLPI_MARKERS if name not in present]
        if absent_markers:
            hint = (
                "run `glpi-scim db init` to create the embedded database"
                if database.is_sqlite
                else "point --database or --glpi-config at GLPI's database, or run "
                "`glpi-scim db init --create-glpi-schema` on an empty database"
            )
            report.problems.append(
                NotAGlpiDatabase(
                    f"{where} is not a GLPI database (no {' or '.join(absent_markers)} table): "
                    + hint
                )
            )
        else:
            report.glpi_version = _glpi_version(connection)
            version = report.glpi_version
            if version is None or not (
                version == SUPPORTED_SERIES or version.startswith(SUPPORTED_SERIES + ".")
            ):
                report.problems.append(
                    UnsupportedGlpiVersion(
                        f"{where} holds GLPI {version or '(no version recorded)'}; glpi-scim "
                        f"supports GLPI {SUPPORTED_SERIES}.x only"
                    )
                )
        glpi_missing = _missing(connection, tables.GLPI_TABLES) if not absent_markers else ([], [])
        if glpi_missing[0] or glpi_missing[1]:
            names = glpi_missing[0] + glpi_missing[1]
            report.problems.append(
                GlpiSchemaIncomplete(
                    f"{where} lacks GLPI tables or columns glpi-scim uses: {', '.join(names)}; "
                    f"is GLPI fully installed and updated to {SUPPORTED_SERIES}.x?"
                )
            )

        report.tool_revision = current_revision(connection)
        tool_missing = _missing(connection, tables.TOOL_TABLES)
        if report.tool_revision is None:
            report.problems.append(
                ToolSchemaMissing(f"the tool's tables are not in {where}: run `glpi-scim db init`")
            )
        elif report.tool_revision != head:
            newer = report.tool_revision not in known_revisions()
            report.problems.append(
                ToolSchemaOutdated(
                    f"the tool's tables in {where} are at revision {report.tool_revision}, "
                    + (
                        "unknown to this glpi-scim (a newer one migrated them): upgrade glpi-scim"
                        if newer
                        else f"this glpi-scim needs {head}: run `glpi-scim db init` to upgrade"
                    )
                )
            )
        elif tool_missing[0] or tool_missing[1]:
            report.problems.append(
                ToolSchemaOutdated(
                    f"the tool's tables in {where} are at revision {head} but lack "
                    f"{', '.join(tool_missing[0] + tool_missing[1])}: were they altered by hand?"
                )
            )
        report.missing_tables = glpi_missing[0] + (
            tool_missing[0] if report.tool_revision is not None else []
        )
        report.missing_columns = glpi_missing[1] + tool_missing[1]
    return report


def require_usable_schema(database: Database) -> SchemaReport:
    """The report of a usable schema; raises the first problem's SchemaError otherwise."""
    report = check_schema(database)
    report.raise_if_unusable()
    return report
