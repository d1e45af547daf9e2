"""Profile glpi-scim under load: py-spy samples the server process while one phase runs.

    python -m benchmarks.seed --mysql mysql+pymysql://root@127.0.0.1:3306/ --name bench \
        --manifest m.json
    python -m benchmarks.profile --manifest m.json \
        --database mysql+pymysql://root@127.0.0.1:3306/bench --phase get

Writes a flame graph (SVG) and prints the functions holding most samples, inclusive and self.
py-spy must be installed in the venv (pip install py-spy).
"""

from __future__ import annotations

import subprocess
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

import click

from benchmarks.databases import open_url
from benchmarks.dataset import Manifest
from benchmarks.load import Limits, run_phases, warm_up
from benchmarks.phases import PHASE_NAMES
from benchmarks.procs import venv_script
from benchmarks.report import console, phase_table
from benchmarks.run import mariadb_counters
from benchmarks.targets import glpi_scim_waitress

RESULTS = Path(__file__).resolve().parent / "results"


def summarise(
    collapsed: Path, top: int = 25
) -> tuple[list[tuple[str, int]], list[tuple[str, int]], int]:
    """(inclusive, self) sample counts per function from py-spy's collapsed stacks."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack:
            continue
        count = int(count_text)
        frames = stack.split(";")
        total += count
        own[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
    return inclusive.most_common(top), own.most_common(top), total


@click.command()
@click.option(
    "--manifest", "manifest_path", type=click.Path(exists=True, dir_okay=False), required=True
)
@click.option("--database", "database_url", required=True, help="URL of the seeded database.")
@click.option("--phase", "phases", multiple=True, type=click.Choice(PHASE_NAMES), required=True)
@click.option("--concurrency", default=4, show_default=True)
@click.option("--requests", default=2000, show_default=True)
@click.option("--seconds", default=15.0, show_default=True)
@click.option("--threads", default=8, show_default=True)
@click.option("--rate", default=250, show_default=True, help="py-spy samples per second.")
@click.option("--top", default=30, show_default=True)
@click.option(
    "--gil/--wall",
    default=True,
    show_default=True,
    help="Sample only the thread holding the GIL (CPU profile) or every busy thread.",
)
def main(
    manifest_path: str,
    database_url: str,
    phases: tuple[str, ...],
    concurrency: int,
    requests: int,
    seconds: float,
    threads: int,
    rate: int,
    top: int,
    gil: bool,
) -> None:
    """Sample the server with py-spy while the given phases run."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    work = RESULTS / f"profile-{stamp}"
    work.mkdir(parents=True, exist_ok=True)
    manifest = Manifest.load(Path(manifest_path))
    launch = glpi_scim_waitress(
        "glpi-scim", database_url, manifest.notes["server_id"], work, threads
    )
    collapsed = work / "stacks.txt"
    counters = {}
    if not database_url.startswith("sqlite"):
        database = open_url(database_url)
        counters = mariadb_counters(database)
    with launch.process:
        manifest = replace(manifest, base_url=launch.base_url)
        warm_up(manifest)
        spy = subprocess.Popen(
            [
                venv_script("py-spy"), "record", "--pid", str(launch.process.pid),
                "--rate", str(rate), "--format", "raw", "--output", str(collapsed),
                "--nonblocking", "--threads", *(["--gil"] if gil else []),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )  # fmt: skip
        time.sleep(1.0)
        results = run_phases(
            manifest,
            Limits(concurrency, requests, seconds),
            pid=launch.process.pid,
            only=phases,
            counters=counters,
        )
        spy.send_signal(2)  # SIGINT: py-spy writes its output and exits
        _, err = spy.communicate(timeout=60)
    console.print(phase_table("profiled run", results))
    if not collapsed.exists():
        raise click.ClickException(f"py-spy wrote nothing: {err.decode(errors='replace')[-500:]}")
    # Idle waitress threads wait in select/condition waits: keep only samples doing work.
    busy = work / "busy.txt"
    busy.write_text(
        "\n".join(
            line for line in collapsed.read_text().splitlines()
            if "handler_thread" in line or "service (waitress" in line
        )
    )  # fmt: skip
    inclusive, own, total = summarise(busy, top)
    console.print(f"{total} busy samples; stacks in {collapsed}")
    console.rule("inclusive")
    for frame, count in inclusive:
        console.print(f"{100 * count / total:6.1f}%  {frame}", markup=False)
    console.rule("self")
    for frame, count in own:
        console.print(f"{100 * count / total:6.1f}%  {frame}", markup=False)


if __name__ == "__main__":
    main()
