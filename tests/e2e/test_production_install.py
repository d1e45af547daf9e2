"""README's "Production install", run as written: the wheel in a fresh virtualenv, the
tool's tables, an identity server, the systemd units, and gunicorn answering.

Moved into a temporary directory: /opt/glpi-scim (the virtualenv), /etc/glpi-scim and
/etc/systemd/system; `sudo` is dropped. What needs root or a running systemd (useradd, setfacl,
chmod, systemctl) is left out; `systemd-analyze verify` checks the unit files instead.
"""

from __future__ import annotations

import fcntl
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from glpi_scim import __version__
from glpi_scim.db.database import Database

from .process import child_environment, free_port, start

REPO_ROOT = Path(__file__).resolve().parents[2]
NOT_HERE = ("useradd", "setfacl", "chmod", "systemctl")

pytestmark = pytest.mark.slow


def readme_blocks() -> list[list[str]]:
    """The sh blocks of README's "Production install" section, as lists of lines."""
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Production install\n", 1)[1].split("\n## ", 1)[0]
    return [block.strip().splitlines() for block in re.findall(r"```sh\n(.*?)```", section, re.S)]


@dataclass
class Install:
    root: Path

    @property
    def venv(self) -> Path:
        return self.root / "opt-glpi-scim"

    def rewrite(self, line: str) -> str:
        line = re.sub(r"^sudo (-u glpi-scim )?", "", line).replace("| sudo tee", "| tee")
        line = line.replace("python3 -m build", f"{sys.executable} -m build")
        line = line.replace("--outdir dist", f"--outdir {self.root / 'dist'}")
        line = line.replace("ls dist/", f"ls {self.root / 'dist'}/")
        for real, moved in (
            ("/opt/glpi-scim", self.venv),
            ("/etc/glpi-scim", self.root / "etc-glpi-scim"),
            ("/etc/systemd/system", self.root / "units"),
        ):
            line = line.replace(real, str(moved))
        return line

    def run(self, line: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
        completed = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", self.rewrite(line)],
            cwd=REPO_ROOT,
            env=child_environment(env),
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert completed.returncode == 0, (
            f"{line}\nexit {completed.returncode}\n{completed.stdout}\n{completed.stderr}"
        )
        return completed


def steps(lines: list[str], first: str, last: str | None) -> list[str]:
    """The command lines from comment `first` to comment `last` (excluded)."""
    start_at = next(i for i, line in enumerate(lines) if line.startswith(first))
    end = next((i for i, line in enumerate(lines) if last and line.startswith(last)), len(lines))
    return [
        line
        for line in lines[start_at:end]
        if line
        and not line.startswith("#")
        and line.split()[1 if line.startswith("sudo") else 0] not in NOT_HERE
    ]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Install]:
    """Step 1: build the wheel, install it with the gunicorn extra in a fresh virtualenv."""
    install = Install(tmp_path_factory.mktemp("production-install"))
    (install.root / "units").mkdir()
    # Test workers that each run part of this module build in the same checkout (its build/
    # and egg-info folders): one at a time.
    with open(Path(tempfile.gettempdir()) / "glpi-scim-wheel-build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        lines = steps(readme_blocks()[0], "# 1.", "# 2.")
        outputs = [install.run(line, {}).stdout for line in lines]
    assert outputs[-1].strip() == f"glpi-scim, version {__version__}"
    yield install
    shutil.rmtree(install.root, ignore_errors=True)


def test_the_wheel_holds_what_is_read_at_run_time(installed: Install) -> None:
    site = next(installed.venv.glob("lib/python*/site-packages/glpi_scim"))
    for relative in (
        "py.typed",
        "db/migrations/env.py",
        "db/migrations/script.py.mako",
        "db/migrations/versions/0001_tool_tables.py",
        "server/templates/authorize.html",
        "server/templates/message.html",
    ):
        assert (site / relative).is_file(), relative
    # Installed as a package, not a link back to this checkout.
    assert not (site.parent / "__editable__.glpi_scim-0.1.0.pth").exists()
    assert (installed.venv / "bin" / "gunicorn").exists()


def test_the_readme_production_install(installed: Install, database: Database) -> None:
    env = {"GLPI_SCIM_DATABASE_URL": database.url}
    lines = readme_blocks()[0]
    for line in steps(lines, "# 2.", "# 3."):
        installed.run(line, env)
    settings = (installed.root / "etc-glpi-scim" / "glpi-scim.env").read_text()
    assert "GLPI_CONFIG_DIR=/etc/glpi\n" in settings

    outputs = [installed.run(line, env).stdout for line in steps(lines, "# 3.", "# 4.")]
    assert outputs[1].strip()  # db check printed its report
    assert "Identity server 'entra' created" in outputs[2]
    token = next(line.strip() for line in outputs[2].splitlines() if line.startswith("eyJ"))
    server_id = re.search(r"created \(id (\d+)\)", outputs[2])
    assert server_id is not None

    for line in steps(lines, "# 4.", None):
        installed.run(line, env)
    units = sorted(path.name for path in (installed.root / "units").iterdir())
    assert units == ["glpi-scim-purge.service", "glpi-scim-purge.timer", "glpi-scim.service"]
    service = (installed.root / "units" / "glpi-scim.service").read_text()
    assert f"ExecStart={installed.venv}/bin/glpi-scim serve" in service
    verify_units(installed.root / "units")

    gunicorn = readme_blocks()[1]
    assert len(gunicorn) == 1
    port = free_port()
    command = installed.rewrite(gunicorn[0]).replace("127.0.0.1:8080", f"127.0.0.1:{port}")
    running = start(["bash", "-c", command], env, installed.root)
    try:
        base = f"http://127.0.0.1:{port}"
        # The first request builds the application (imports, database): slow on a busy host.
        assert healthy(f"{base}/healthz").status_code == 200
        users = requests.get(
            f"{base}/scim/v2/{server_id.group(1)}/Users",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert users.status_code == 200, users.text
        assert users.json()["totalResults"] >= 0
    finally:
        assert running.stop() == 0, running.errors


def healthy(url: str, attempts: int = 120) -> requests.Response:
    for _ in range(attempts):
        try:
            return requests.get(url, timeout=60)
        except requests.ConnectionError:
            time.sleep(0.5)
    raise AssertionError(f"{url} never answered")


def verify_units(directory: Path) -> None:
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed here: the unit files were not verified")
    names = sorted(str(path) for path in directory.iterdir())
    completed = subprocess.run(
        ["systemd-analyze", "verify", *names],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stderr == "", completed.stderr
