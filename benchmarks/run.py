"""The benchmark in one command: every server, the same driver and concurrency, one table.

    python -m benchmarks.run --users 100000            # full comparison (about 17 minutes)
    python -m benchmarks.run --users 2000 --seconds 3  # quick look
    python -m benchmarks.run --scaling                 # req/s vs waitress threads, gunicorn workers

Servers under test, each a subprocess on a free loopback port, stopped at the end:
glpi-scim on SQLite and on MariaDB (both seeded by bulk SQL), scim2-server (in memory, its own
defaults, filled over HTTP) and the framework ceiling (benchmarks/ceiling.py). Results go to
benchmarks/results/<stamp>.json, server logs to benchmarks/results/<stamp>/.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import sqlite3
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from importlib import metadata
from pathlib import Path
from typing import Any

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from benchmarks import verdicts
from benchmarks.databases import drop_mariadb, fresh_mariadb, fresh_sqlite
from benchmarks.dataset import Manifest
from benchmarks.dbstats import mariadb_version, mariadbd_cpu_ms, rows_read, statements
from benchmarks.load import Limits, PhaseResult, run_phases, warm_up
from benchmarks.phases import PHASE_NAMES
from benchmarks.preload import preload
from benchmarks.report import comparison_table, console, phase_table, scaling_table
from benchmarks.seed import SeedPlan, seed
from benchmarks.targets import Launch, ceiling, glpi_scim_gunicorn, glpi_scim_waitress, scim2_server
from glpi_scim.db.database import Database

RESULTS = Path(__file__).resolve().parent / "results"
TARGETS = ("sqlite", "mariadb", "scim2-server", "ceiling")
DEFAULT_MYSQL = "mysql+pymysql://root@127.0.0.1:3306/"
SCALING_PHASES = ("get", "filter_username", "patch_user")
Counters = Mapping[str, Callable[[], float]]


def bench(
    launch: Launch,
    manifest: Manifest,
    limits: Limits,
    only: tuple[str, ...] = (),
    counters: Counters | None = None,
    prepare: Callable[[Launch], Manifest] | None = None,
) -> list[PhaseResult]:
    """Start the server, (fill it,) warm it up, run the phases, stop it."""
    console.rule(f"[bold]{launch.name}")
    with launch.process:
        if prepare is not None:
            manifest = prepare(launch)
        manifest = replace(manifest, base_url=launch.base_url)
        warm_up(manifest)
        results = run_phases(
            manifest,
            limits,
            pid=launch.process.pid,
            only=only,
            unsupported=launch.unsupported,
            counters=counters,
            on_result=lambda r: console.print(
                f"  {r.phase:<18} {r.requests:>6} req  {r.errors:>3} err  {r.rps:>8,.0f} req/s  "
                f"p99 {r.p99_ms:>7.1f} ms  HWM {r.hwm_mb:>5.0f} MB"
            ),
        )
    console.print(phase_table(launch.name, results))
    return results


def mariadb_counters(database: Database) -> dict[str, Callable[[], float]]:
    counters = {"rows_read": rows_read(database), "statements": statements(database)}
    cpu = mariadbd_cpu_ms()
    if cpu is not None:
        counters["mariadbd_cpu_ms"] = cpu
    return counters


def seed_sqlite(path: Path, users: int) -> tuple[Database, Manifest]:
    console.print(f"Seeding SQLite {path} with {users:,} users")
    database = fresh_sqlite(path)
    manifest = seed(database, SeedPlan(users=users))
    database.dispose()
    return database, manifest


def seed_mariadb(
    mysql_url: str, name: str, users: int, groups: int = SeedPlan.groups
) -> tuple[Database, Manifest]:
    console.print(f"Seeding MariaDB database {name} with {users:,} users")
    database = fresh_mariadb(mysql_url, name)
    try:
        manifest = seed(database, SeedPlan(users=users, groups=groups))
    except BaseException:
        drop_mariadb(database)
        raise
    return database, manifest


def fill_over_http(users: int) -> Callable[[Launch], Manifest]:
    def prepare(launch: Launch) -> Manifest:
        with Progress(
            TextColumn("  filling over HTTP"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        ) as progress:
            task = progress.add_task("users", total=users)
            started = time.perf_counter()
            manifest = preload(
                launch.base_url, {}, users, progress=lambda n: progress.advance(task, n)
            )
        manifest.notes["fill_seconds"] = round(time.perf_counter() - started, 1)
        return manifest

    return prepare


def ceiling_manifest(users: int) -> Manifest:
    """The ceiling answers any id: a manifest of made-up ids of the right shape."""
    return Manifest(
        users=users,
        user_ids=[str(7 + i) for i in range(users)],
        big_group_id="g1",
        big_group_members=min(50_000, users // 2),
        groups=1000,
    )


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "sqlite": sqlite3.sqlite_version,
    }
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                info["memory_gb"] = round(int(line.split()[1]) / 1024 / 1024, 1)
                break
    except OSError:
        pass
    for package in ("falcon", "waitress", "gunicorn", "SQLAlchemy", "PyMySQL", "scim2-server"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            info[package] = metadata.version(package)
    return info


def verdict_table(found: list[verdicts.Verdict]) -> Table:
    table = Table(title="Targets", title_justify="left")
    table.add_column("target")
    table.add_column("measured")
    table.add_column("met")
    for v in found:
        mark = "[green]yes[/]" if v.ok else "[dim]n/a[/]" if v.ok is None else "[red]NO[/]"
        table.add_row(v.target, v.measured, mark)
    return table


def save(stamp: str, payload: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{stamp}.json"
    path.write_text(json.dumps(payload, indent=2, default=str), encoding="utf-8")
    return path


def _serialise(results: Mapping[str, list[PhaseResult]]) -> dict[str, list[dict[str, object]]]:
    return {name: [r.as_dict() for r in rows] for name, rows in results.items()}


def compare(options: dict[str, Any], stamp: str, work: Path) -> dict[str, Any]:
    users: int = options["users"]
    limits = Limits(options["concurrency"], options["requests"], options["seconds"])
    only: tuple[str, ...] = options["phases"]
    wanted: tuple[str, ...] = options["targets"] or TARGETS
    threads: int = options["threads"]
    results: dict[str, list[PhaseResult]] = {}
    info: dict[str, Any] = {}

    if "sqlite" in wanted:
        database, manifest = seed_sqlite(work / "glpi.sqlite", users)
        launch = glpi_scim_waitress(
            "glpi-scim sqlite", database.url, manifest.notes["server_id"], work, threads
        )
        try:
            results["glpi-scim sqlite"] = bench(launch, manifest, limits, only)
        finally:
            if not options["keep"]:
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{work / 'glpi.sqlite'}{suffix}").unlink(missing_ok=True)

    if "mariadb" in wanted:
        name = f"{options['mysql_name']}_{stamp.replace('-', '_')}"
        database, manifest = seed_mariadb(options["mysql"], name, users)
        info["mariadb"] = mariadb_version(database)
        counters = mariadb_counters(database)
        try:
            launch = glpi_scim_waitress(
                "glpi-scim mariadb", database.url, manifest.notes["server_id"], work, threads
            )
            results["glpi-scim mariadb"] = bench(launch, manifest, limits, only, counters)
            # Membership edits as an IdP sends them for one group: one at a time.
            serial = tuple(p for p in verdicts.MEMBER_PHASES if not only or p in only)
            if serial:
                launch = glpi_scim_waitress(
                    verdicts.SERIAL, database.url, manifest.notes["server_id"], work, threads
                )
                results[verdicts.SERIAL] = bench(
                    launch, manifest, replace(limits, concurrency=1), serial, counters
                )
            baseline_users = options["baseline_users"]
            filters = tuple(p for p in verdicts.FILTER_PHASES if not only or p in only)
            if baseline_users and filters and baseline_users != users:
                big = (database, manifest, counters)
                results.update(filter_rounds(options, name, big, filters, limits, work))
        finally:
            if not options["keep"]:
                drop_mariadb(database)

    if "scim2-server" in wanted:
        reference_users = options["reference_users"] or users
        launch = scim2_server(work)
        results["scim2-server"] = bench(
            launch,
            ceiling_manifest(reference_users),
            limits,
            only,
            prepare=fill_over_http(reference_users),
        )
        info["scim2_server_users"] = reference_users

    if "ceiling" in wanted:
        results["ceiling"] = bench(ceiling(work, threads), ceiling_manifest(users), limits, only)

    console.rule("[bold]Results")
    console.print(
        comparison_table(
            results, [verdicts.SUBJECT, "glpi-scim sqlite"], [verdicts.REFERENCE, verdicts.CEILING]
        )
    )
    found = verdicts.check(results)
    console.print(verdict_table(found))
    return {"results": _serialise(results), "verdicts": [v.as_dict() for v in found], "info": info}


def filter_rounds(
    options: dict[str, Any],
    name: str,
    big: tuple[Database, Manifest, Counters],
    filters: tuple[str, ...],
    limits: Limits,
    work: Path,
) -> dict[str, list[PhaseResult]]:
    """The filter phases on the full database and on a small one, in alternating rounds.

    One run of each, minutes apart, differs by up to 15 % with identical plans and rows read;
    the median of alternating rounds compares the two sizes under the same conditions.
    """
    database, manifest, counters = big
    small, small_manifest = seed_mariadb(
        options["mysql"], name + "_small", options["baseline_users"], groups=10
    )
    threads: int = options["threads"]
    rounds: dict[str, list[list[PhaseResult]]] = {verdicts.FILTER_ROUNDS: [], verdicts.BASELINE: []}
    try:
        small_counters = mariadb_counters(small)
        for number in range(1, options["filter_rounds"] + 1):
            for label, db, seeded, sampled in (
                (verdicts.FILTER_ROUNDS, database, manifest, counters),
                (verdicts.BASELINE, small, small_manifest, small_counters),
            ):
                launch = glpi_scim_waitress(
                    f"{label}, round {number}", db.url, seeded.notes["server_id"], work, threads
                )
                rounds[label].append(bench(launch, seeded, limits, filters, sampled))
    finally:
        drop_mariadb(small)
    return {label: verdicts.median_by_rate(runs) for label, runs in rounds.items()}


def scaling(options: dict[str, Any], stamp: str, work: Path) -> dict[str, Any]:
    """glpi-scim on MariaDB: requests/s as waitress threads and gunicorn workers grow."""
    # Enough clients to keep the largest configuration busy.
    limits = Limits(max(options["concurrency"], 8), options["requests"], options["seconds"])
    only = options["phases"] or SCALING_PHASES
    name = f"{options['mysql_name']}_{stamp.replace('-', '_')}_scaling"
    database, manifest = seed_mariadb(options["mysql"], name, options["users"])
    server_id = manifest.notes["server_id"]
    counters = mariadb_counters(database)
    results: dict[str, list[PhaseResult]] = {}
    try:
        for threads in (1, 2, 4, 8):
            launch = glpi_scim_waitress(
                f"waitress {threads} threads", database.url, server_id, work, threads
            )
            results[launch.name] = bench(launch, manifest, limits, only, counters)
        for workers in (1, 2, 4):
            launch = glpi_scim_gunicorn(
                f"gunicorn {workers} workers", database.url, server_id, work, workers
            )
            results[launch.name] = bench(launch, manifest, limits, only, counters)
    finally:
        if not options["keep"]:
            drop_mariadb(database)
    console.rule("[bold]Scaling")
    console.print(scaling_table(results))
    return {"results": _serialise(results)}


@click.command()
@click.option("--users", default=100_000, show_default=True, help="Users in each seeded database.")
@click.option(
    "--baseline-users",
    default=1000,
    show_default=True,
    help="Users of the small MariaDB database the filter phases are compared with (0: skip).",
)
@click.option(
    "--filter-rounds",
    default=3,
    show_default=True,
    help="Alternating rounds of the filter phases at both sizes (the median is compared).",
)
@click.option(
    "--reference-users", default=0, help="Users filled into scim2-server (default: --users)."
)
@click.option(
    "--concurrency", default=Limits.concurrency, show_default=True, help="Client workers."
)
@click.option(
    "--requests", default=Limits.requests, show_default=True, help="Request cap per phase."
)
@click.option("--seconds", default=Limits.seconds, show_default=True, help="Time cap per phase.")
@click.option("--threads", default=8, show_default=True, help="Waitress threads of the servers.")
@click.option(
    "--target", "targets", multiple=True, type=click.Choice(TARGETS), help="Only these servers."
)
@click.option(
    "--phase", "phases", multiple=True, type=click.Choice(PHASE_NAMES), help="Only these phases."
)
@click.option("--mysql", default=DEFAULT_MYSQL, show_default=True, help="MariaDB server URL.")
@click.option(
    "--mysql-name",
    default="glpiscim_bench",
    show_default=True,
    help="Prefix of the databases made.",
)
@click.option(
    "--keep", is_flag=True, help="Keep the seeded databases (MariaDB, SQLite file) afterwards."
)
@click.option(
    "--scaling", "scaling_mode", is_flag=True, help="Throughput vs threads/workers instead."
)
def main(scaling_mode: bool, **options: Any) -> None:
    """Benchmark glpi-scim against scim2-server and the framework ceiling."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    work = RESULTS / stamp
    work.mkdir(parents=True, exist_ok=True)
    info = machine()
    console.print(f"Machine: {info}")
    started = time.perf_counter()
    payload = scaling(options, stamp, work) if scaling_mode else compare(options, stamp, work)
    payload["info"] = {
        **info,
        **payload.get("info", {}),
        "seconds": round(time.perf_counter() - started),
    }
    payload["options"] = options
    path = save(stamp, payload)
    console.print(f"Results: {path}  (server logs in {work})")
    if any(r["errors"] for rows in payload["results"].values() for r in rows):
        sys.exit(1)


if __name__ == "__main__":
    main()
