"""`glpi-scim db init` and `glpi-scim db check`: create and verify the schema the tool needs."""

from __future__ import annotations

import click

from glpi_scim.cli.context import EXIT_UNUSABLE, console, fail, get_context, print_json
from glpi_scim.db import schema, tables
from glpi_scim.db.database import Database, DatabaseError
from glpi_scim.db.migrations import current_revision
from glpi_scim.db.schema import (
    GlpiSchemaIncomplete,
    NotAGlpiDatabase,
    SchemaReport,
    UnsupportedGlpiVersion,
    check_schema,
    ensure_tool_schema,
    has_glpi_tables,
    interrupted_tables,
)

# Problems that forbid writing the tool's tables at all: the database is not a GLPI 10.0 one.
_NOT_GLPI = (NotAGlpiDatabase, UnsupportedGlpiVersion, GlpiSchemaIncomplete)


@click.group("db")
def db_group() -> None:
    """Create and check the database schema."""


def _open() -> Database:
    return get_context().database()


@db_group.command("init")
@click.option(
    "--create-glpi-schema",
    is_flag=True,
    help="On an empty MySQL/MariaDB database, create GLPI's tables (the subset glpi-scim uses) "
    "with a fresh GLPI install's rows. Never alters an existing GLPI database.",
)
def db_init(create_glpi_schema: bool) -> None:
    """Create or upgrade the tool's own tables (twice changes nothing).

    On the embedded SQLite file, GLPI's tables are created on first use as well. On a real GLPI
    database only glpi_plugin_glpiscim_* tables are created or upgraded.
    """
    database = _open()
    out = console()
    try:
        created_glpi = False
        if not has_glpi_tables(database):
            if database.is_sqlite or create_glpi_schema:
                schema.create_glpi_schema(database)
                created_glpi = True
            else:
                fail(
                    f"{database.url_display} has no GLPI tables: point --database or "
                    "--glpi-config at GLPI's database, or pass --create-glpi-schema to create "
                    "GLPI's tables in this empty database",
                    EXIT_UNUSABLE,
                )
        report = check_schema(database)
        blocking = [problem for problem in report.problems if isinstance(problem, _NOT_GLPI)]
        if blocking:
            fail(str(blocking[0]), EXIT_UNUSABLE)
        with database.connect() as connection:
            before = current_revision(connection)
            interrupted = interrupted_tables(connection)
        after = ensure_tool_schema(database)
        report = check_schema(database)
    except DatabaseError as exc:
        fail(str(exc), EXIT_UNUSABLE)

    if created_glpi:
        out.print(f"Created GLPI {report.glpi_version} tables with a fresh install's rows.")
    elif create_glpi_schema:
        out.print("GLPI's tables already exist: left as they are.")
    if interrupted:
        out.print(
            f"Finished the tool's tables an interrupted `db init` had begun ({len(interrupted)} "
            f"of {len(tables.TOOL_TABLES)} were there; revision {after})."
        )
    elif before is None:
        out.print(f"Created the tool's tables (revision {after}).")
    elif before != after:
        out.print(f"Upgraded the tool's tables from revision {before} to {after}.")
    else:
        out.print(f"The tool's tables are up to date (revision {after}); nothing to do.")
    if not report.usable:
        fail(str(report.problems[0]), EXIT_UNUSABLE)
    out.print(f"[green]Ready:[/] GLPI {report.glpi_version} at {database.url_display}")


@db_group.command("check")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def db_check(as_json: bool) -> None:
    """Report GLPI's version, the tool's schema revision and anything missing.

    Exits 0 only when glpi-scim can use the database (3 otherwise, with the reason).
    """
    database = _open()
    try:
        report = check_schema(database)
    except DatabaseError as exc:
        if as_json:
            print_json(
                {
                    "database": database.url_display,
                    "usable": False,
                    "problems": [{"kind": type(exc).__name__, "message": str(exc)}],
                }
            )
            raise SystemExit(EXIT_UNUSABLE) from None
        fail(str(exc), EXIT_UNUSABLE)
    if as_json:
        print_json(report.as_dict())
        if not report.usable:
            raise SystemExit(EXIT_UNUSABLE)
        return
    print_report(report)
    if not report.usable:
        fail(str(report.problems[0]), EXIT_UNUSABLE)


def print_report(report: SchemaReport) -> None:
    out = console()
    out.print(f"Database:       {report.database} ({report.dialect})")
    out.print(f"GLPI version:   {report.glpi_version or '-'}")
    revision = report.tool_revision or "none (tables not created)"
    out.print(f"Tool schema:    {revision} (this glpi-scim: {report.tool_head})")
    out.print(f"Missing tables: {', '.join(report.missing_tables) or 'none'}")
    out.print(f"Missing columns: {', '.join(report.missing_columns) or 'none'}")
    if report.usable:
        out.print("[green]Usable.[/]")
    else:
        for problem in report.problems[1:]:
            out.print(f"[red]Also:[/] {problem}")


COMMANDS = [db_group]
