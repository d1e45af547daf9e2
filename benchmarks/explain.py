"""The SQL one SCIM request runs, and the database's plan for each statement.

    python -m benchmarks.explain --manifest m.json --database URL \
        'GET /Users?filter=userName eq "{username}"' \
        'GET /Groups/{group}?excludedAttributes=members'

The request goes through the real application in-process (falcon over WSGI); every statement it
sends is captured and explained (EXPLAIN on MariaDB, EXPLAIN QUERY PLAN on SQLite), so that
index use is shown, not assumed. `{user}`, `{email}`, `{external}` and `{group}` in the request
are replaced by the manifest's sample user 4242 (or the last user) and its big group.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import click
import falcon.testing
from rich.table import Table
from sqlalchemy import event, text

from benchmarks import dataset as ds
from benchmarks.dataset import Manifest
from benchmarks.report import console
from glpi_scim.config import Settings
from glpi_scim.server.app import create_app

SAMPLE_USER = 4242


@dataclass
class Statement:
    sql: str
    parameters: Any
    plan: list[dict[str, Any]] = field(default_factory=list)


def _capture(engine: Any) -> tuple[list[Statement], Any]:
    captured: list[Statement] = []

    def before(
        _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool
    ) -> None:
        captured.append(Statement(statement, parameters))

    event.listen(engine, "before_cursor_execute", before)
    return captured, before


def explain(engine: Any, statement: Statement) -> list[dict[str, Any]]:
    prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
    with engine.connect() as connection:
        raw = connection.connection.driver_connection
        cursor = raw.cursor()
        try:
            cursor.execute(prefix + statement.sql, statement.parameters)
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        finally:
            cursor.close()


def fill_placeholders(request: str, manifest: Manifest) -> str:
    i = min(SAMPLE_USER, manifest.users - 1)
    values = {
        "user": manifest.user_ids[i],
        "username": ds.user_name(i),
        "email": ds.work_email(i),
        "external": ds.external_id(i),
        "group": manifest.big_group_id,
    }
    for key, value in values.items():
        request = request.replace("{" + key + "}", value)
    return request


def run_request(
    manifest: Manifest, database_url: str, request: str
) -> tuple[int, list[Statement], Any]:
    """Send one request through the app; (status, statements, engine)."""
    method, _, target = fill_placeholders(request, manifest).partition(" ")
    app = create_app(Settings(database_url=database_url, log_level="WARNING"))
    engine = app.context.database.engine
    client = falcon.testing.TestClient(app, headers=manifest.headers)
    path, _, query = target.partition("?")
    server = manifest.notes["server_id"]
    captured, _listener = _capture(engine)
    reply = client.simulate_request(
        method.upper(),
        f"/scim/v2/{server}{path}",
        query_string=quote(query, safe="=&") if query else None,
    )
    statements = list(captured)
    event.remove(engine, "before_cursor_execute", _listener)
    for statement in statements:
        if statement.sql.lstrip().upper().startswith("SELECT"):
            statement.plan = explain(engine, statement)
    return reply.status_code, statements, engine


def plan_table(statements: list[Statement], dialect: str) -> Table:
    table = Table(show_lines=True)
    table.add_column("#", justify="right")
    table.add_column("statement")
    table.add_column("plan")
    for n, statement in enumerate(statements, 1):
        if dialect == "sqlite":
            plan = "\n".join(str(row.get("detail")) for row in statement.plan)
        else:
            plan = "\n".join(
                f"{row.get('table')}: {row.get('type')} key={row.get('key')} rows={row.get('rows')}"
                f" {row.get('Extra') or ''}".rstrip()
                for row in statement.plan
            )
        sql = " ".join(statement.sql.split())
        table.add_row(str(n), sql[:400] + (" ..." if len(sql) > 400 else ""), plan or "-")
    return table


@click.command()
@click.option(
    "--manifest", "manifest_path", type=click.Path(exists=True, dir_okay=False), required=True
)
@click.option("--database", "database_url", required=True)
@click.option("--json-out", type=click.Path(dir_okay=False), default=None)
@click.argument("requests", nargs=-1, required=True)
def main(
    manifest_path: str, database_url: str, json_out: str | None, requests: tuple[str, ...]
) -> None:
    """Show the statements and plans of each REQUEST ('GET /Users/{user}', ...)."""
    manifest = Manifest.load(Path(manifest_path))
    dump = []
    for request in requests:
        status, statements, engine = run_request(manifest, database_url, request)
        console.rule(f"{request} -> {status}, {len(statements)} statements")
        console.print(plan_table(statements, engine.dialect.name))
        dump.append(
            {
                "request": request,
                "status": status,
                "statements": [{"sql": s.sql, "plan": s.plan} for s in statements],
            }
        )
    if json_out:
        Path(json_out).write_text(json.dumps(dump, indent=2, default=str))
    _ = text  # keeps the import for readers running ad-hoc statements


if __name__ == "__main__":
    main()
