"""Running `glpi-scim` in-process with click's CliRunner against the `database` fixture."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from glpi_scim.db.database import Database

Run = Callable[..., Result]


@pytest.fixture
def isolated_cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No settings file or GLPI_SCIM_* variable of the machine leaks into a test."""
    for name in list(os.environ):
        if name.startswith("GLPI_SCIM_") and name != "GLPI_SCIM_TEST_MYSQL_URL":
            monkeypatch.delenv(name)
    monkeypatch.delenv("GLPI_CONFIG_DIR", raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def run(database: Database, isolated_cli: None) -> Run:
    """`run("server", "list", input=None, expect=0)`: `glpi-scim --database URL server list`.

    Fails the test when the exit code is not `expect`; unexpected exceptions propagate.
    """
    from glpi_scim.cli.main import cli

    def invoke(*args: str, input: str | None = None, expect: int | None = 0) -> Result:
        result = CliRunner().invoke(
            cli, ["--database", database.url, *args], input=input, catch_exceptions=False
        )
        if expect is not None:
            assert result.exit_code == expect, (
                f"exit {result.exit_code}, expected {expect}\n"
                f"stdout: {result.stdout}\nstderr: {result.stderr}"
            )
        return result

    return invoke


@pytest.fixture
def run_json(run: Run) -> Callable[..., Any]:
    """`run_json("server", "show", "x")`: the command with --json, its output parsed."""

    def invoke(*args: str, input: str | None = None) -> Any:
        return json.loads(run(*args, "--json", input=input).stdout)

    return invoke
