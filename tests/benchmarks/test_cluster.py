"""The scale-out run's tiny form: a real 3-node Galera cluster, three glpi-scim instances and
HAProxy, on loopback; the race and failover checks must all hold (no speed is asserted).

Skipped, with what is missing, where Debian's mariadb-server, galera-4, rsync or haproxy are not
installed (`.ci/run` installs them).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from benchmarks.galera import missing_tools
from benchmarks.haproxy import haproxy_binary

ROOT = Path(__file__).resolve().parents[2]
MISSING = missing_tools() + ([] if haproxy_binary() else ["haproxy (Debian package haproxy)"])


@pytest.mark.slow
@pytest.mark.skipif(bool(MISSING), reason="missing: " + ", ".join(MISSING))
def test_tiny_cluster_run_holds_every_check() -> None:
    folder = Path(tempfile.mkdtemp(prefix="glpiscim-cluster-test-"))
    folder.chmod(0o755)  # the nodes run as the `mysql` user when the tests run as root
    report_path = folder / "report.json"
    try:
        result = subprocess.run(
            [
                sys.executable, "-m", "benchmarks.cluster", "--tiny",
                "--folder", str(folder / "run"), "--json", str(report_path),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )  # fmt: skip
        assert report_path.exists(), result.stdout[-4000:] + result.stderr[-4000:]
        report = json.loads(report_path.read_text())
        failed = {
            part: [name for name, held in report[part]["checks"].items() if not held]
            for part in ("race", "failover")
        }
        assert not any(failed.values()), (failed, report["race"], report["failover"])
        assert report["race"]["answers"] == {"201": 1, "409": report["plan"]["race_clients"] - 1}
        assert report["failover"]["users_acknowledged"] > 0
        assert report["failover"]["memberships_acknowledged"] > 0
        assert [row["instances"] for row in report["throughput"]] == [1, 2, 3]
        assert result.returncode == 0, result.stderr[-4000:]
        # Every process it started is gone: no node, instance or HAProxy outlives the run.
        leftovers = subprocess.run(
            ["pgrep", "-f", str(folder)], capture_output=True, text=True, check=False
        ).stdout.strip()
        assert not leftovers, f"processes left running: {leftovers}"
    finally:
        shutil.rmtree(folder, ignore_errors=True)
