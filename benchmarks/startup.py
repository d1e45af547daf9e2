"""Start-up time of the `glpi-scim` command, measured like hyperfine: warm-up runs, then
repeated runs of each command line, wall-clock and CPU time of the child process.

    python -m benchmarks.startup                 # --version, --help, server list; 10 runs each
    python -m benchmarks.startup --runs 30 --command "db check"
    python -m benchmarks.startup --program "env PYTHONPATH=/tmp/old/src python -m glpi_scim"

Each run is a fresh process (`glpi-scim` from the same virtualenv as this Python), in a
temporary directory holding an embedded SQLite database made by `db init`, so `server list`
reads a real (empty) servers table. The floor, `python -c pass`, is printed alongside: what no
change to glpi-scim can remove.
"""

from __future__ import annotations

import argparse
import os
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

DEFAULT_COMMANDS = ("--version", "--help", "server list")


@dataclass(frozen=True)
class Timing:
    label: str
    wall: list[float]
    cpu: list[float]

    def row(self) -> str:
        wall = sorted(self.wall)
        return (
            f"| `{self.label}` | {statistics.median(wall):.3f} | {wall[0]:.3f} | {wall[-1]:.3f} "
            f"| {statistics.median(self.cpu):.3f} |"
        )


def glpi_scim_executable() -> str:
    return str(Path(sys.executable).with_name("glpi-scim"))


def run_once(argv: list[str], cwd: str, env: dict[str, str]) -> tuple[float, float]:
    """Wall-clock seconds and CPU seconds (user + system) of one run of `argv`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    completed = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if completed.returncode != 0:
        raise SystemExit(
            f"{shlex.join(argv)} failed ({completed.returncode}): {completed.stderr.decode()}"
        )
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def measure(label: str, argv: list[str], runs: int, warmup: int, cwd: str) -> Timing:
    env = {**os.environ, "COLUMNS": "100"}
    env.pop("GLPI_SCIM_DATABASE_URL", None)
    env.pop("GLPI_CONFIG_DIR", None)
    for _ in range(warmup):
        run_once(argv, cwd, env)
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = run_once(argv, cwd, env)
        walls.append(wall)
        cpus.append(cpu)
    return Timing(label, walls, cpus)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="measured runs per command")
    parser.add_argument("--warmup", type=int, default=2, help="unmeasured runs first")
    parser.add_argument(
        "--command",
        action="append",
        help="a glpi-scim command line to time (repeatable; default: --version, --help, "
        "server list)",
    )
    parser.add_argument(
        "--program",
        default=glpi_scim_executable(),
        help="how to start glpi-scim (default: the one next to this Python), e.g. another "
        "checkout's `env PYTHONPATH=.../src python -m glpi_scim` to compare",
    )
    args = parser.parse_args(argv)
    program = shlex.split(args.program)
    commands = args.command or list(DEFAULT_COMMANDS)
    with tempfile.TemporaryDirectory(prefix="glpi-scim-startup-") as workdir:
        subprocess.run([*program, "db", "init"], cwd=workdir, check=True, capture_output=True)
        timings = [measure("python -c pass", [sys.executable, "-c", "pass"], args.runs, 1, workdir)]
        for command in commands:
            label = f"glpi-scim {command}"
            timings.append(
                measure(label, [*program, *shlex.split(command)], args.runs, args.warmup, workdir)
            )
    print(f"{args.runs} runs each, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    print("| command | median s | min s | max s | CPU s (median) |")
    print("|---|---|---|---|---|")
    for timing in timings:
        print(timing.row())


if __name__ == "__main__":
    main()
