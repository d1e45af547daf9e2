"""`glpi-scim serve` (or gunicorn) as a real process on a free loopback port."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import requests

GLPI_SCIM = [sys.executable, "-m", "glpi_scim"]
START_TIMEOUT = 60.0

_SERVING = re.compile(r"serving on (http://\S+)")
_TOKEN = re.compile(r"Bearer token \(shown once, keep it secret\): (\S+)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def child_environment(extra: Mapping[str, str]) -> dict[str, str]:
    """The test's environment without GLPI_SCIM_* settings (they would leak in), plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GLPI_SCIM_")}
    env.pop("GLPI_CONFIG_DIR", None)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


@dataclass
class RunningProcess:
    process: subprocess.Popen[str]
    stdout: list[str] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        for stream, sink in (
            (self.process.stdout, self.stdout),
            (self.process.stderr, self.stderr),
        ):
            threading.Thread(target=_pump, args=(stream, sink), daemon=True).start()

    @property
    def output(self) -> str:
        return "".join(self.stdout)

    @property
    def errors(self) -> str:
        return "".join(self.stderr)

    def wait_for(self, pattern: re.Pattern[str], timeout: float = START_TIMEOUT) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = pattern.search(self.output)
            if found:
                return found
            if self.process.poll() is not None:
                time.sleep(0.2)  # let the pumps read the last lines
                found = pattern.search(self.output)
                if found:
                    return found
                raise AssertionError(
                    f"process exited with {self.process.returncode} before printing "
                    f"{pattern.pattern!r}\nstdout:\n{self.output}\nstderr:\n{self.errors}"
                )
            time.sleep(0.05)
        raise AssertionError(
            f"no {pattern.pattern!r} after {timeout}s\nstdout:\n{self.output}\n"
            f"stderr:\n{self.errors}"
        )

    def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM, then the exit code (SIGKILL if it does not stop in time)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
                raise AssertionError(f"did not stop within {timeout}s after SIGTERM") from None
        time.sleep(0.1)
        return int(self.process.returncode)


def _pump(stream: object, sink: list[str]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        sink.append(line)


def start(command: Sequence[str], env: Mapping[str, str], cwd: Path) -> RunningProcess:
    process = subprocess.Popen(
        list(command),
        env=child_environment(env),
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return RunningProcess(process)


@dataclass
class Serve:
    """A running `glpi-scim serve`: its base URL and, on a first run, the printed token."""

    running: RunningProcess
    base_url: str
    token: str | None

    def scim_url(self, server_id: int | None = None) -> str:
        root = f"{self.base_url}/scim/v2"
        return root if server_id is None else f"{root}/{server_id}"


def start_serve(
    cwd: Path, *args: str, env: Mapping[str, str] | None = None, expect_token: bool = False
) -> Serve:
    running = start([*GLPI_SCIM, *args, "serve", "--port", "0"], env or {}, cwd)
    base_url = running.wait_for(_SERVING).group(1)
    token = running.wait_for(_TOKEN).group(1) if expect_token else None
    # The URL is printed once the socket listens; the first request proves it answers.
    wait_until_answers(f"{base_url}/healthz")
    return Serve(running, base_url, token)


def wait_until_answers(url: str, timeout: float = START_TIMEOUT) -> requests.Response:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return requests.get(url, timeout=5)
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
