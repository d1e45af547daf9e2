"""A real `glpi-scim serve` process on a free port, over an embedded SQLite database.

One process per module: identity servers are created in the shared database by each test
(the endpoint reads them from the database on every request), so tests stay independent.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from glpi_scim.db.database import Database, engine_for_url, mask_url_password, sqlite_url
from glpi_scim.db.schema import initialise_embedded

STARTUP_SECONDS = 30


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Served:
    database: Database
    database_url: str
    base_url: str  # http://127.0.0.1:PORT
    log: Path


def _wait_until_healthy(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"`glpi-scim serve` exited {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    pytest.fail(f"`glpi-scim serve` did not answer within {STARTUP_SECONDS}s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    directory = tmp_path_factory.mktemp("doctor-serve")
    url = sqlite_url(directory / "glpi.sqlite")
    database = Database(engine_for_url(url), url, mask_url_password(url))
    initialise_embedded(database)
    port = free_port()
    log = directory / "serve.log"
    environment = {**os.environ, "GLPI_SCIM_LOG_LEVEL": "WARNING"}
    environment.pop("GLPI_SCIM_CONFIG", None)
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "glpi_scim",
                "--database",
                url,
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--threads",
                "4",
            ],
            stdout=output,
            stderr=subprocess.STDOUT,
            env=environment,
            cwd=directory,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(process, base_url, log)
        yield Served(database, url, base_url, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        database.dispose()
