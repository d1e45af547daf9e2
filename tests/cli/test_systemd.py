"""`glpi-scim systemd print-unit`: units that name this install and that systemd accepts."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from glpi_scim.cli.main import cli
from glpi_scim.cli.systemd import UNITS


def print_unit(*args: str) -> str:
    result = CliRunner().invoke(cli, ["systemd", "print-unit", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_the_service_runs_this_glpi_scim_as_its_own_user(tmp_path: Path) -> None:
    executable = tmp_path / "bin" / "glpi-scim"
    unit = print_unit("--exec", str(executable), "--port", "8181")
    assert f"ExecStartPre={executable} db check\n" in unit
    assert f"ExecStart={executable} serve --host 127.0.0.1 --port 8181\n" in unit
    assert "User=glpi-scim\nGroup=glpi-scim\n" in unit
    assert "EnvironmentFile=-/etc/glpi-scim/glpi-scim.env\n" in unit
    assert "ProtectSystem=strict\n" in unit


def test_the_purge_service_and_its_timer() -> None:
    purge = print_unit("glpi-scim-purge.service", "--keep", "90d", "--exec", "/opt/x/glpi-scim")
    assert "ExecStart=/opt/x/glpi-scim logs purge --older-than 90d --yes\n" in purge
    assert "Type=oneshot\n" in purge
    timer = print_unit("glpi-scim-purge.timer")
    assert "OnCalendar=daily\n" in timer and "Unit=glpi-scim-purge.service\n" in timer


def test_a_bad_keep_duration_is_a_usage_error() -> None:
    result = CliRunner().invoke(
        cli, ["systemd", "print-unit", "glpi-scim-purge.service", "--keep", "soon"]
    )
    assert result.exit_code == 2
    assert "--keep" in result.stderr


def test_systemd_accepts_every_unit(tmp_path: Path) -> None:
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed here: the units could not be verified")
    executable = Path(sys.executable).with_name("glpi-scim")
    assert executable.exists()
    for unit in UNITS:
        (tmp_path / unit).write_text(print_unit(unit, "--exec", str(executable)))
    completed = subprocess.run(
        ["systemd-analyze", "verify", *(str(tmp_path / unit) for unit in UNITS)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stderr == "", completed.stderr
    # And it does catch a mistake.
    broken = tmp_path / "broken.service"
    broken.write_text(print_unit("--exec", str(tmp_path / "missing" / "glpi-scim")))
    refused = subprocess.run(
        ["systemd-analyze", "verify", str(broken)], capture_output=True, text=True, timeout=120
    )
    assert refused.returncode != 0 and "is not executable" in refused.stderr
