"""CPU and database round trips per request, in one process, with no HTTP server in between.

    python -m benchmarks.inprocess                       # SQLite and scim2-server
    python -m benchmarks.inprocess --mysql mysql+pymysql://root@127.0.0.1:3306/

The same WSGI requests go to glpi-scim's falcon application (on an embedded SQLite file and, with
`--mysql`, on MariaDB loaded with GLPI's schema) and to scim2-server's WSGI application (in
memory, static bearer token), one at a time in this thread. For each request it reads the
thread's CPU time (`time.thread_time`: Python, the driver's packet parsing, SQLite itself; not
the MariaDB server's own work) and, for glpi-scim, the round trips to the database: statements,
COMMIT/ROLLBACK and the pings of pooled connections that sat idle. The table gives
medians per operation and the ratio to scim2-server.
"""

from __future__ import annotations

import gc
import io
import json
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import click
from sqlalchemy import event

from benchmarks.databases import drop_mariadb, fresh_mariadb, fresh_sqlite
from benchmarks.seed import add_identity_server
from glpi_scim.config import Settings
from glpi_scim.db.database import Database
from glpi_scim.db.liveness import PINGED
from glpi_scim.db.pool_reset import ROLLED_BACK

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
OPERATIONS = ("get", "filter_username", "create", "patch", "put", "delete")
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


# -- what every target is sent ----------------------------------------------------------------


def user_name(k: int) -> str:
    return f"u{k:06d}@inprocess.example"


def user_body(k: int, family: str = "Created") -> dict[str, Any]:
    return {
        "schemas": [CORE_USER, ENTERPRISE],
        "externalId": f"ext-{k:06d}",
        "userName": user_name(k),
        "active": True,
        "displayName": f"User {k} {family}",
        "name": {"givenName": f"User{k}", "familyName": family},
        "emails": [{"primary": True, "type": "work", "value": f"mail{k:06d}@inprocess.example"}],
        "phoneNumbers": [{"type": "work", "value": f"+33 1 00 00 {k % 100:02d} 00"}],
        "title": "Engineer",
        ENTERPRISE: {"employeeNumber": f"N{k:07d}"},
    }


def entra_patch(k: int) -> dict[str, Any]:
    return {
        "schemas": [PATCH_OP],
        "Operations": [
            {"op": "Replace", "path": "displayName", "value": f"User {k} Patched"},
            {"op": "Replace", "path": "name.familyName", "value": "Patched"},
            {"op": "Replace", "path": "title", "value": "Manager"},
            {"op": "Replace", "path": "active", "value": "True"},
        ],
    }


# -- calling a WSGI application -----------------------------------------------------------------


@dataclass
class Target:
    name: str
    app: WsgiApp
    base_path: str
    headers: dict[str, str]
    count_round_trips: Callable[[], int] | None = None
    close: Callable[[], None] = lambda: None
    samples: dict[str, list[float]] = field(default_factory=dict)
    trips: dict[str, list[int]] = field(default_factory=dict)

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        status, payload = wsgi_call(self.app, method, self.base_path + path, self.headers, body)
        if status >= 400:
            raise RuntimeError(f"{self.name}: {method} {path} -> {status} {payload}")
        return payload

    def measure(
        self, operation: str, method: str, path: str, body: dict[str, Any] | None = None
    ) -> Any:
        before_trips = self.count_round_trips() if self.count_round_trips else 0
        started = time.thread_time()
        payload = self.call(method, path, body)
        self.samples.setdefault(operation, []).append(time.thread_time() - started)
        if self.count_round_trips:
            self.trips.setdefault(operation, []).append(self.count_round_trips() - before_trips)
        return payload


def wsgi_call(
    app: WsgiApp, method: str, target: str, headers: dict[str, str], body: dict[str, Any] | None
) -> tuple[int, Any]:
    path, _, query = target.partition("?")
    data = json.dumps(body).encode() if body is not None else b""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8080",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(data),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "CONTENT_LENGTH": str(len(data)),
        "CONTENT_TYPE": "application/scim+json" if body is not None else "",
        "HTTP_ACCEPT": "application/scim+json",
    }
    for name, value in headers.items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    status_line: list[str] = []

    def start_response(status: str, _headers: list[tuple[str, str]], *_: Any) -> None:
        status_line.append(status)

    result = app(environ, start_response)
    raw = b"".join(result)
    close = getattr(result, "close", None)
    if close:
        close()
    status = int(status_line[0].split()[0])
    return status, json.loads(raw) if raw else None


# -- the targets ------------------------------------------------------------------------------


def round_trip_counter(database: Database) -> Callable[[], int]:
    """What goes to the database and waits for its answer, as a running total: statements
    (SQLite's BEGIN is one), COMMIT and ROLLBACK, the pings of checkouts of a connection that
    sat idle (db/liveness.py) and the pool's ROLLBACK of a connection given back inside a
    transaction (db/pool_reset.py). Not SQLAlchemy's `begin`: MySQL drivers start a transaction
    with its first statement, and SQLite's BEGIN is already counted as a statement."""
    counts = [0]

    def bump(*_args: Any, **_kwargs: Any) -> None:
        counts[0] += 1

    def checked_out(_dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        # Registered after the engine's own listener, which marks a checkout that pinged.
        if record.info.get(PINGED):
            counts[0] += 1

    def checked_in(_dbapi_connection: Any, record: Any) -> None:
        # The pool's ROLLBACK of a connection returned inside a transaction (pool_reset.py).
        if record is not None and record.info.pop(ROLLED_BACK, False):
            counts[0] += 1

    engine = database.engine
    event.listen(engine, "before_cursor_execute", bump)
    for name in ("commit", "rollback"):
        event.listen(engine, name, bump)
    event.listen(engine.pool, "checkout", checked_out)
    event.listen(engine.pool, "checkin", checked_in)
    return lambda: counts[0]


def glpi_scim_target(name: str, database: Database) -> Target:
    from glpi_scim.glpi.guard import GuardService, RemovalLimit
    from glpi_scim.server.app import create_app

    server, headers = add_identity_server(database)
    # The DELETE phase removes hundreds of users: past the mass-change guard's default limit.
    GuardService(database).set_limit(server.id, RemovalLimit(0))
    url = database.url
    database.dispose()
    app = create_app(Settings(database_url=url, sources={"database_url": "cli"}))
    return Target(
        name,
        app,
        f"/scim/v2/{server.id}",
        headers,
        count_round_trips=round_trip_counter(app.context.database),
        # Its counts are written and its pooled connections (whose metadata locks would block
        # DROP DATABASE) closed before the database is dropped.
        close=app.context.close,
    )


def scim2_server_target() -> Target:
    from scim2_models import ScimProvider
    from scim2_server.memory import InMemoryStorage
    from scim2_server.service import ScimService
    from scim2_server.testserver.application import BEARER_TOKEN_SCHEME, BearerTokenApplication
    from scim2_server.utils import (
        load_default_resource_types,
        load_default_schemas,
        load_default_service_provider_config,
    )

    config = load_default_service_provider_config()
    config.authentication_schemes = [*(config.authentication_schemes or []), BEARER_TOKEN_SCHEME]
    provider = ScimProvider.from_discovery(
        load_default_schemas().values(), load_default_resource_types().values(), config=config
    )
    token = secrets.token_urlsafe(24)
    app = BearerTokenApplication(
        InMemoryStorage(),
        provider,
        service=ScimService(provider, secret=secrets.token_urlsafe(32)),
        bearer_tokens=[token],
    )
    return Target("scim2-server", app, "/v2", {"Authorization": f"Bearer {token}"})


# -- the run ------------------------------------------------------------------------------------


def exercise(target: Target, preload: int, requests: int) -> None:
    for k in range(preload):
        target.call("POST", "/Users", user_body(k))
    ids: list[str] = []
    for k in range(preload, preload + requests):
        ids.append(str(target.measure("create", "POST", "/Users", user_body(k))["id"]))
    for n, user_id in enumerate(ids):
        k = preload + n
        target.measure("get", "GET", f"/Users/{user_id}")
        target.measure(
            "filter_username", "GET", "/Users?filter=" + quote(f'userName eq "{user_name(k)}"')
        )
        target.measure("patch", "PATCH", f"/Users/{user_id}", entra_patch(k))
        target.measure("put", "PUT", f"/Users/{user_id}", {**user_body(k, "Put"), "id": user_id})
        target.measure("delete", "DELETE", f"/Users/{user_id}")


def summary(targets: list[Target]) -> dict[str, Any]:
    reference = next((t for t in targets if t.name == "scim2-server"), None)
    rows: dict[str, Any] = {}
    for operation in OPERATIONS:
        row: dict[str, Any] = {}
        base = statistics.median(reference.samples[operation]) if reference else None
        for target in targets:
            cpu = statistics.median(target.samples[operation])
            row[target.name] = {"cpu_ms": round(cpu * 1000, 2)}
            if target.trips:
                row[target.name]["round_trips"] = statistics.median(target.trips[operation])
            if base:
                row[target.name]["x_scim2_server"] = round(cpu / base, 2)
        rows[operation] = row
    return rows


def print_table(rows: dict[str, Any], names: list[str]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="CPU per request (median ms) and database round trips, in process")
    table.add_column("operation")
    for name in names:
        table.add_column(f"{name} ms", justify="right")
        if name != "scim2-server":
            table.add_column(f"{name} trips", justify="right")
            table.add_column(f"{name} / scim2-server", justify="right")
    for operation, row in rows.items():
        cells = [operation]
        for name in names:
            cells.append(f"{row[name]['cpu_ms']:.2f}")
            if name != "scim2-server":
                cells.append(str(row[name].get("round_trips", "")))
                cells.append(f"{row[name].get('x_scim2_server', 0):.2f}x")
        table.add_row(*cells)
    Console().print(table)


def median_of_runs(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Per operation and target, the median of each run's medians (CPU, trips, ratio)."""
    if len(runs) == 1:
        return runs[0]
    rows: dict[str, Any] = {}
    for operation, first in runs[0].items():
        rows[operation] = {}
        for name, cells in first.items():
            rows[operation][name] = {
                key: round(statistics.median(run[operation][name][key] for run in runs), 2)
                for key in cells
            }
    return rows


def one_run(
    mysql_url: str | None, mysql_database: str, preload: int, requests: int
) -> tuple[dict[str, Any], list[str]]:
    """One whole run on fresh databases: the summary, and the targets' names in order."""
    targets: list[Target] = []
    cleanup: list[Callable[[], None]] = []
    work = Path(tempfile.mkdtemp(prefix="glpiscim-inprocess-"))
    try:
        targets.append(glpi_scim_target("sqlite", fresh_sqlite(work / "glpi.sqlite")))
        if mysql_url:
            database = fresh_mariadb(mysql_url, mysql_database)
            targets.append(glpi_scim_target("mariadb", database))
            cleanup.append(lambda: drop_mariadb(database))
        targets.append(scim2_server_target())
        for target in targets:
            # Each target starts from a collected heap, the objects alive so far (the other
            # targets' included) frozen: the collector then never walks one target's objects
            # while another is measured.
            gc.collect()
            gc.freeze()
            exercise(target, preload, requests)
        return summary(targets), [t.name for t in targets]
    finally:
        gc.unfreeze()  # this run's objects may go now
        for target in targets:
            target.close()
        for step in cleanup:
            step()


@click.command()
@click.option("--mysql", "mysql_url", help="MariaDB server URL (a database is made and dropped).")
@click.option(
    "--mysql-database",
    default="glpiscim_inprocess",
    show_default=True,
    help="Name of the database made and dropped on that server.",
)
@click.option("--preload", default=1000, show_default=True, help="Users created before measuring.")
@click.option("--requests", default=300, show_default=True, help="Requests per operation.")
@click.option(
    "--runs",
    default=1,
    show_default=True,
    help="Whole runs, one after the other; the table gives the median of their medians.",
)
@click.option("--json", "json_path", type=click.Path(path_type=Path, dir_okay=False))
def main(
    mysql_url: str | None,
    mysql_database: str,
    preload: int,
    requests: int,
    runs: int,
    json_path: Path | None,
) -> None:
    """CPU and round trips per request: glpi-scim (SQLite, MariaDB) vs scim2-server."""
    results = []
    names: list[str] = []
    for _ in range(max(1, runs)):
        rows, names = one_run(mysql_url, mysql_database, preload, requests)
        results.append(rows)
    rows = median_of_runs(results)
    print_table(rows, names)
    if json_path:
        json_path.write_text(
            json.dumps(
                {"preload": preload, "requests": requests, "rows": rows, "runs": results},
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
