"""A tiny benchmark run in the normal suite: every phase against every server, no errors.

No speed is asserted here (docs/performance.md has the numbers); this keeps the seeder, the
load driver, the reference servers and glpi-scim's behaviour under the driver working.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from benchmarks.databases import fresh_sqlite
from benchmarks.dataset import Manifest
from benchmarks.load import Limits, PhaseResult, run_phases
from benchmarks.phases import PHASE_NAMES
from benchmarks.run import ceiling_manifest, fill_over_http
from benchmarks.seed import SeedPlan, seed
from benchmarks.targets import Launch, ceiling, glpi_scim_waitress, scim2_server

from glpi_scim.db.database import Database

TINY = SeedPlan(users=40, groups=4)
LIMITS = Limits(concurrency=2, requests=10, seconds=20)
# Phases needing a glpi-scim server option (a second identity server on the same data).
GLPI_SCIM_ONLY = ("member_add_remove_204",)


def run_everything(launch: Launch, manifest: Manifest) -> list[PhaseResult]:
    with launch.process:
        return run_phases(
            replace(manifest, base_url=launch.base_url), LIMITS, pid=launch.process.pid
        )


def assert_every_phase_ran_cleanly(
    results: list[PhaseResult], not_applicable: tuple[str, ...] = ()
) -> None:
    assert [r.phase for r in results] == list(PHASE_NAMES)
    for r in results:
        if r.phase in not_applicable:
            assert r.skipped, f"{r.phase} ran on a server without what it needs"
            continue
        assert r.skipped is None, f"{r.phase} skipped: {r.skipped}"
        assert r.requests > 0, f"{r.phase} sent nothing"
        assert r.errors == 0, f"{r.phase}: {r.errors} errors, e.g. {r.error_samples}"
        assert r.hwm_mb > 0, f"{r.phase}: the server's memory was not read"


def test_glpi_scim_on_sqlite_runs_every_phase(tmp_path: Path) -> None:
    database = fresh_sqlite(tmp_path / "glpi.sqlite")
    manifest = seed(database, TINY, quiet=True)
    database.dispose()
    launch = glpi_scim_waitress(
        "sqlite", database.url, manifest.notes["server_id"], tmp_path, threads=4
    )
    assert_every_phase_ran_cleanly(run_everything(launch, manifest))


@pytest.mark.mysql
def test_glpi_scim_on_mariadb_runs_every_phase(mysql_database: Database, tmp_path: Path) -> None:
    # GLPI's real schema, as a fresh install (tests/conftest.py).
    manifest = seed(mysql_database, TINY, quiet=True)
    launch = glpi_scim_waitress(
        "mariadb", mysql_database.url, manifest.notes["server_id"], tmp_path, threads=4
    )
    assert_every_phase_ran_cleanly(run_everything(launch, manifest))


def test_scim2_server_runs_every_phase(tmp_path: Path) -> None:
    launch = scim2_server(tmp_path)
    with launch.process:
        manifest = fill_over_http(TINY.users)(launch)
        results = run_phases(
            replace(manifest, base_url=launch.base_url), LIMITS, pid=launch.process.pid
        )
    assert_every_phase_ran_cleanly(results, GLPI_SCIM_ONLY)


def test_ceiling_runs_every_phase(tmp_path: Path) -> None:
    results = run_everything(ceiling(tmp_path, threads=4), ceiling_manifest(TINY.users))
    assert_every_phase_ran_cleanly(results, GLPI_SCIM_ONLY)
