"""Start-up time of the `glpi-scim` command, measured like hyperfine: warm-up runs, then
repeated runs of each command line, wall-clock and CPU time of the child process.

    python -m benchmarks.startup                 # --version, --help, server list; 10 runs each
    python -m benchmarks.startup --runs 30 --command "token list 1"
    python -m benchmarks.startup --program "env PYTHONPATH=/tmp/old/src python -m glpi_scim"
    python -m benchmarks.startup --no-mysql      # the embedded SQLite database only

Each run is a fresh process (`glpi-scim` from the same virtualenv as this Python) in a
temporary directory. Commands that read a database run twice: on an embedded SQLite database
made by `db init`, and on a MariaDB database loaded with GLPI's schema (`--mysql`, the server's
URL; the database `--mysql-name` is rebuilt and dropped). Each holds one identity server, so
`server list` prints its table. The child processes may write bytecode (an installed package has
it compiled at install): the warm-up runs write what a checkout lacks. The floor,
`python -c pass`, is printed alongside: what no change to glpi-scim can remove.
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

# Commands that read no database, then those run on each database.
PLAIN_COMMANDS = ("--version", "--help")
DATABASE_COMMANDS = ("server list",)
DEFAULT_MYSQL = os.environ.get("GLPI_SCIM_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/")


@dataclass(frozen=True)
class Timing:
    label: str
    wall: list[float]
    cpu: list[float]
    database: str = ""

    def row(self) -> str:
        wall = sorted(self.wall)
        where = f" ({self.database})" if self.database else ""
        return (
            f"| `{self.label}`{where} | {statistics.median(wall):.3f} | {wall[0]:.3f} "
            f"| {wall[-1]:.3f} | {statistics.median(self.cpu):.3f} |"
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


def measure(
    label: str, argv: list[str], runs: int, warmup: int, cwd: str, database: str = ""
) -> Timing:
    env = {**os.environ, "COLUMNS": "100"}
    env.pop("GLPI_SCIM_DATABASE_URL", None)
    env.pop("GLPI_CONFIG_DIR", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    for _ in range(warmup):
        run_once(argv, cwd, env)
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = run_once(argv, cwd, env)
        walls.append(wall)
        cpus.append(cpu)
    return Timing(label, walls, cpus, database)


def prepare(program: list[str], database: list[str], workdir: str) -> None:
    """One identity server in the database `database` (global options) names."""
    subprocess.run(
        [*program, *database, "server", "add", "Entra ID", "--applied-user", "glpi"],
        cwd=workdir,
        check=True,
        capture_output=True,
    )


def mariadb_url(server_url: str, name: str) -> str:
    """A fresh MariaDB database with GLPI's schema and the tool's tables (benchmarks.databases)."""
    from benchmarks.databases import fresh_mariadb

    database = fresh_mariadb(server_url, name)
    database.dispose()
    return database.url


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="measured runs per command")
    parser.add_argument("--warmup", type=int, default=2, help="unmeasured runs first")
    parser.add_argument(
        "--command",
        action="append",
        help="a glpi-scim command line that reads the database, timed on each (repeatable; "
        "default: server list; --version and --help are always timed)",
    )
    parser.add_argument(
        "--program",
        default=glpi_scim_executable(),
        help="how to start glpi-scim (default: the one next to this Python), e.g. another "
        "checkout's `env PYTHONPATH=.../src python -m glpi_scim` to compare",
    )
    parser.add_argument("--mysql", default=DEFAULT_MYSQL, help="MariaDB server URL")
    parser.add_argument(
        "--mysql-name", default="glpiscim_startup", help="the MariaDB database to rebuild"
    )
    parser.add_argument("--no-mysql", action="store_true", help="the SQLite database only")
    args = parser.parse_args(argv)
    program = shlex.split(args.program)
    commands = args.command or list(DATABASE_COMMANDS)
    mysql_url = None if args.no_mysql else mariadb_url(args.mysql, args.mysql_name)
    try:
        with tempfile.TemporaryDirectory(prefix="glpi-scim-startup-") as workdir:
            subprocess.run([*program, "db", "init"], cwd=workdir, check=True, capture_output=True)
            databases = {
                "SQLite": [],
                **({"MariaDB": ["--database", mysql_url]} if mysql_url else {}),
            }
            for database in databases.values():
                prepare(program, database, workdir)
            floor = [sys.executable, "-c", "pass"]
            timings = [measure("python -c pass", floor, args.runs, 1, workdir)]
            for command in PLAIN_COMMANDS:
                argv_ = [*program, *shlex.split(command)]
                timings.append(
                    measure(f"glpi-scim {command}", argv_, args.runs, args.warmup, workdir)
                )
            for command in commands:
                for name, database in databases.items():
                    argv_ = [*program, *database, *shlex.split(command)]
                    label = f"glpi-scim {command}"
                    timings.append(measure(label, argv_, args.runs, args.warmup, workdir, name))
    finally:
        if mysql_url:
            from benchmarks.databases import ADMIN_TIMEOUT, drop_mariadb, open_url

            drop_mariadb(open_url(mysql_url, ADMIN_TIMEOUT))
    print(f"{args.runs} runs each, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    print("| command | median s | min s | max s | CPU s (median) |")
    print("|---|---|---|---|---|")
    for timing in timings:
        print(timing.row())


if __name__ == "__main__":
    main()
