"""Memory and CPU time of a server process tree, read from /proc (VmRSS now, VmHWM = peak so
far, utime + stime)."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")


def _status_kb(pid: int, field: str) -> int:
    try:
        text = (PROC / str(pid) / "status").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return 0
    for line in text.splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time the processes used so far."""
    total = 0
    for pid in pids:
        try:
            fields = (PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / CLOCK_TICKS


def machine_busy_seconds() -> float:
    """CPU time all processors spent on anything but idling, since boot (all cores summed)."""
    fields = [int(v) for v in (PROC / "stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / CLOCK_TICKS


def find_process(command_name: str) -> int | None:
    """The first process whose command name is exactly `command_name` (e.g. mariadbd)."""
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == command_name:
                    return int(entry.name)
            except (FileNotFoundError, ProcessLookupError, PermissionError):
                continue
    return None


def process_tree(pid: int) -> list[int]:
    """pid and all its descendants (gunicorn's master and workers, for example)."""
    children: dict[int, list[int]] = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        # The command name may hold spaces and parentheses: the ppid follows the last ')'.
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(children.get(current, ()))
    return found


@dataclass(frozen=True)
class Memory:
    rss_peak_kb: int  # largest sampled sum of VmRSS over the process tree
    hwm_kb: int  # largest VmHWM of one process of the tree (the kernel's exact peak)
    cpu_seconds: float = 0.0  # CPU time the tree used while sampled


class RssSampler:
    """Samples a process tree's RSS in a background thread while a phase runs."""

    def __init__(self, pid: int | None, interval: float = 0.1) -> None:
        self.pid = pid
        self.interval = interval
        self._peak = 0
        self._pids: list[int] = []
        self._cpu_start = 0.0
        self._cpu_end = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def _sample(self) -> None:
        if self.pid is None:
            return
        self._pids = process_tree(self.pid)
        self._peak = max(self._peak, sum(_status_kb(p, "VmRSS") for p in self._pids))

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self) -> RssSampler:
        self._sample()
        self._cpu_start = cpu_seconds(self._pids)
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()
        self._cpu_end = cpu_seconds(self._pids)

    def result(self) -> Memory:
        hwm = max((_status_kb(p, "VmHWM") for p in self._pids), default=0)
        return Memory(self._peak, hwm, max(0.0, self._cpu_end - self._cpu_start))
