"""The load driver: runs the phases against one server with a pool of keep-alive workers.

Every phase is bounded by a request count and a time limit; it reports requests, errors,
requests/s, resources/s, p50/p90/p99 latencies and the server's memory (VmRSS sampled, VmHWM).

    python -m benchmarks.load --manifest results/manifest.json --pid 1234
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

import click

from benchmarks.client import Client, Reply
from benchmarks.dataset import Manifest
from benchmarks.phases import PHASE_NAMES, BadReply, Phase, Step, build_phases
from benchmarks.rss import RssSampler, machine_busy_seconds

MAX_ERROR_SAMPLES = 5


@dataclass(frozen=True)
class Limits:
    concurrency: int = 4
    requests: int = 2000  # per phase
    seconds: float = 15.0  # per phase


@dataclass
class PhaseResult:
    phase: str
    title: str
    requests: int = 0
    errors: int = 0
    resources: int = 0
    seconds: float = 0.0
    rps: float = 0.0
    resources_per_s: float = 0.0
    p50_ms: float = 0.0
    p90_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    rss_peak_mb: float = 0.0
    hwm_mb: float = 0.0
    server_cpu_ms: float = 0.0  # server CPU time per request
    # Cores kept busy during the phase by processes other than this client, the server and
    # the database: how much the machine was shared (a noisy run shows here).
    other_load: float = 0.0
    # Private accounting for other_load.
    machine_cpu_s: float = 0.0
    client_cpu_s: float = 0.0
    server_cpu_s: float = 0.0
    error_samples: list[str] = field(default_factory=list)
    skipped: str | None = None
    # Per-request deltas of server-side counters (e.g. MariaDB rows read), when sampled.
    per_request: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return 0.0
    rank = max(0, min(len(sorted_values) - 1, round(fraction * len(sorted_values) + 0.5) - 1))
    return sorted_values[rank]


class _Tally:
    """What the workers of one phase observed; appends are atomic under the GIL."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.errors = 0
        self.resources = 0
        self.samples: list[str] = []
        self._lock = threading.Lock()

    def error(self, message: str) -> None:
        with self._lock:
            self.errors += 1
            if len(self.samples) < MAX_ERROR_SAMPLES:
                self.samples.append(message)


def _send_step(client: Client, step: Step, tally: _Tally) -> None:
    for call in step:
        try:
            reply: Reply = client.request(call.method, call.path, call.body)
        except OSError as exc:
            client.close()
            tally.error(f"{call.method} {call.path[:80]}: {type(exc).__name__}: {exc}")
            return
        tally.latencies.append(reply.seconds)
        if reply.status not in call.expect:
            tally.error(f"{call.method} {call.path[:80]} -> {reply.status} {reply.body[:300]!r}")
            return  # the rest of the step depends on this call
        try:
            tally.resources += call.check(reply.body) if call.check else 1
        except (BadReply, ValueError) as exc:
            tally.error(f"{call.method} {call.path[:80]}: {exc}")
            return


def _client_cpu() -> float:
    times = os.times()
    return times.user + times.system


def run_phase(
    phase: Phase,
    base_url: str,
    headers: dict[str, str],
    limits: Limits,
    pid: int | None = None,
) -> PhaseResult:
    steps: deque[Step] = deque(phase.make_steps(limits.requests))
    result = PhaseResult(phase.name, phase.title)
    if not steps:
        result.skipped = "nothing to do"
        return result
    tally = _Tally()
    deadline = time.perf_counter() + limits.seconds

    def worker() -> None:
        client = Client(base_url, headers)
        try:
            while time.perf_counter() < deadline:
                try:
                    step = steps.popleft()
                except IndexError:
                    return
                _send_step(client, step, tally)
        finally:
            client.close()

    threads = [
        threading.Thread(target=worker, name=f"load-{n}", daemon=True)
        for n in range(limits.concurrency)
    ]
    machine_before, client_before = machine_busy_seconds(), _client_cpu()
    with RssSampler(pid) as sampler:
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
    memory = sampler.result()
    result.machine_cpu_s = machine_busy_seconds() - machine_before
    result.client_cpu_s = _client_cpu() - client_before
    result.server_cpu_s = memory.cpu_seconds

    latencies = sorted(tally.latencies)
    result.requests = len(latencies)
    result.errors = tally.errors
    result.resources = tally.resources
    result.seconds = elapsed
    result.rps = len(latencies) / elapsed if elapsed else 0.0
    result.resources_per_s = tally.resources / elapsed if elapsed else 0.0
    result.p50_ms = percentile(latencies, 0.50) * 1000
    result.p90_ms = percentile(latencies, 0.90) * 1000
    result.p99_ms = percentile(latencies, 0.99) * 1000
    result.max_ms = (latencies[-1] if latencies else 0.0) * 1000
    result.rss_peak_mb = memory.rss_peak_kb / 1024
    result.hwm_mb = memory.hwm_kb / 1024
    result.server_cpu_ms = memory.cpu_seconds * 1000 / len(latencies) if latencies else 0.0
    result.error_samples = tally.samples
    return result


def run_phases(
    manifest: Manifest,
    limits: Limits,
    *,
    pid: int | None = None,
    only: tuple[str, ...] = (),
    unsupported: Mapping[str, str] | None = None,
    tag: str | None = None,
    counters: Mapping[str, Callable[[], float]] | None = None,
    on_result: Callable[[PhaseResult], None] | None = None,
) -> list[PhaseResult]:
    """Every phase in order (or those in `only`); `unsupported` maps a phase to why it is not
    run; `counters` are read before and after each phase (their delta per request is kept)."""
    tag = tag or time.strftime("%H%M%S")
    results = []
    for phase in build_phases(manifest, tag):
        if only and phase.name not in only:
            continue
        reason = (unsupported or {}).get(phase.name) or phase.not_applicable
        if reason:
            results.append(PhaseResult(phase.name, phase.title, skipped=reason))
            continue
        base_url, headers = phase.target or (manifest.base_url, manifest.headers)
        before = {name: read() for name, read in (counters or {}).items()}
        result = run_phase(phase, base_url, headers, limits, pid)
        deltas = {name: read() - before[name] for name, read in (counters or {}).items()}
        if result.requests:
            result.per_request = {name: delta / result.requests for name, delta in deltas.items()}
        others = result.machine_cpu_s - result.client_cpu_s - result.server_cpu_s
        others -= deltas.get("mariadbd_cpu_ms", 0.0) / 1000
        result.other_load = max(0.0, others / result.seconds) if result.seconds else 0.0
        results.append(result)
        if on_result is not None:
            on_result(result)
    return results


def warm_up(manifest: Manifest, requests: int = 200, concurrency: int = 2) -> None:
    """A few reads so that connection pools, caches and imports are warm before measuring."""
    limits = Limits(concurrency=concurrency, requests=requests, seconds=30)
    for phase in build_phases(manifest, "warmup"):
        if phase.name in ("get", "filter_username"):
            run_phase(phase, manifest.base_url, manifest.headers, limits)


@click.command()
@click.option(
    "--manifest", "manifest_path", type=click.Path(exists=True, dir_okay=False), required=True
)
@click.option("--url", default=None, help="Base URL (default: the manifest's).")
@click.option("--token", default=None, help="Bearer token (default: the manifest's headers).")
@click.option("--pid", type=int, default=None, help="Server process whose memory to report.")
@click.option("--concurrency", default=Limits.concurrency, show_default=True)
@click.option("--requests", default=Limits.requests, show_default=True, help="Per phase.")
@click.option("--seconds", default=Limits.seconds, show_default=True, help="Per phase.")
@click.option("--phase", "phases", multiple=True, type=click.Choice(PHASE_NAMES))
@click.option("--json-out", type=click.Path(dir_okay=False), default=None)
def main(
    manifest_path: str,
    url: str | None,
    token: str | None,
    pid: int | None,
    concurrency: int,
    requests: int,
    seconds: float,
    phases: tuple[str, ...],
    json_out: str | None,
) -> None:
    """Run the load phases against one server described by a seeding manifest."""
    from benchmarks.report import console, phase_table

    manifest = Manifest.load(Path(manifest_path))
    if url:
        manifest.base_url = url
    if token:
        manifest.headers = {"Authorization": f"Bearer {token}"}
    limits = Limits(concurrency, requests, seconds)
    warm_up(manifest)
    results = run_phases(manifest, limits, pid=pid, only=phases)
    console.print(phase_table(manifest.base_url, results))
    if json_out:
        Path(json_out).write_text(json.dumps([r.as_dict() for r in results], indent=2))


if __name__ == "__main__":
    main()
