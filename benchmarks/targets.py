"""How to start each server under test, and where its SCIM endpoints are."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.procs import LOOPBACK, ServerProcess, free_port, python_module, venv_script

# The benchmark measures one identity server at every concurrency: no per-server cap.
UNCAPPED = {"GLPI_SCIM_MAX_REQUESTS_IN_FLIGHT": "0"}


@dataclass(frozen=True)
class Launch:
    """A server to start: its process and the base URL of its SCIM endpoints."""

    name: str
    process: ServerProcess
    base_url: str
    # Phases this server cannot run, with the reason shown in the results.
    unsupported: dict[str, str] = field(default_factory=dict)


def glpi_scim_waitress(
    name: str, database_url: str, server_id: int, logs: Path, threads: int = 8
) -> Launch:
    port = free_port()
    command = python_module(
        "glpi_scim", "--database", database_url,
        "serve", "--host", LOOPBACK, "--port", str(port), "--threads", str(threads),
    )  # fmt: skip
    process = ServerProcess(
        name,
        command,
        f"http://{LOOPBACK}:{port}/healthz",
        logs / f"{_slug(name)}.log",
        env=UNCAPPED,
    )
    return Launch(name, process, f"http://{LOOPBACK}:{port}/scim/v2/{server_id}")


def glpi_scim_gunicorn(
    name: str, database_url: str, server_id: int, logs: Path, workers: int, threads: int = 4
) -> Launch:
    port = free_port()
    command = [
        venv_script("gunicorn"),
        "--bind", f"{LOOPBACK}:{port}",
        "--workers", str(workers),
        "--worker-class", "gthread",
        "--threads", str(threads),
        "--log-level", "warning",
        "glpi_scim.server.app:app",
    ]  # fmt: skip
    process = ServerProcess(
        name,
        command,
        f"http://{LOOPBACK}:{port}/healthz",
        logs / f"{_slug(name)}.log",
        env={"GLPI_SCIM_DATABASE_URL": database_url, **UNCAPPED},
    )
    return Launch(name, process, f"http://{LOOPBACK}:{port}/scim/v2/{server_id}")


def scim2_server(logs: Path) -> Launch:
    """scim2-server's own command with its defaults: in memory, no authentication."""
    port = free_port()
    command = [venv_script("scim2-server"), "--hostname", LOOPBACK, "--port", str(port)]
    base = f"http://{LOOPBACK}:{port}/v2"
    process = ServerProcess(
        "scim2-server", command, f"{base}/ServiceProviderConfig", logs / "scim2-server.log"
    )
    return Launch("scim2-server", process, base)


def ceiling(logs: Path, threads: int = 8) -> Launch:
    port = free_port()
    command = python_module(
        "benchmarks.ceiling", "--host", LOOPBACK, "--port", str(port), "--threads", str(threads)
    )
    process = ServerProcess(
        "ceiling", command, f"http://{LOOPBACK}:{port}/healthz", logs / "ceiling.log"
    )
    return Launch("ceiling", process, f"http://{LOOPBACK}:{port}/scim/v2")


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-")
