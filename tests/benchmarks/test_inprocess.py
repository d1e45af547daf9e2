"""The in-process benchmark's tiny form: every operation reaches both applications and succeeds
(a failing request raises), and glpi-scim's round trips are counted. No speed is asserted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks.databases import fresh_sqlite
from benchmarks.inprocess import (
    OPERATIONS,
    exercise,
    glpi_scim_target,
    scim2_server_target,
    summary,
)


def test_every_operation_is_measured_on_both_applications(tmp_path: Path) -> None:
    glpi_scim = glpi_scim_target("sqlite", fresh_sqlite(tmp_path / "glpi.sqlite"))
    reference = scim2_server_target()
    for target in (glpi_scim, reference):
        exercise(target, preload=3, requests=2)
    rows = summary([glpi_scim, reference])
    assert list(rows) == list(OPERATIONS)
    for operation, row in rows.items():
        assert row["sqlite"]["cpu_ms"] > 0, operation
        assert row["sqlite"]["round_trips"] >= 2, operation  # at least a query and its COMMIT
        assert "round_trips" not in row["scim2-server"]
        assert row["scim2-server"]["x_scim2_server"] == 1.0
    # The requests really landed: the created users were deleted again, the preloaded remain.
    listed = glpi_scim.call("GET", "/Users?filter=" + 'userName sw "u0000"')
    assert sorted(r["userName"] for r in listed["Resources"]) == [
        "u000000@inprocess.example",
        "u000001@inprocess.example",
        "u000002@inprocess.example",
    ]


def test_several_runs_give_the_median_of_their_medians() -> None:
    from benchmarks.inprocess import median_of_runs

    def run(cpu: float, trips: int) -> dict[str, Any]:
        return {"get": {"sqlite": {"cpu_ms": cpu, "round_trips": trips}}}

    runs = [run(1.0, 4), run(3.0, 4), run(2.0, 5)]
    assert median_of_runs(runs) == {"get": {"sqlite": {"cpu_ms": 2.0, "round_trips": 4}}}
    assert median_of_runs([run(1.5, 3)]) == run(1.5, 3)
