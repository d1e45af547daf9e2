"""The README's administrator's flow and every provider guide, run as written.

The commands are read from the Markdown itself (code blocks and `glpi-scim ...` code spans of
the section that sets things up) and run in order on a fresh database, the README's flow first
and then the guide, as an administrator follows them. Commands that run until stopped or need
the endpoint on the internet (`serve`, `doctor`, `logs tail -f`) are parsed with every option
they carry, not run. So a renamed option, a clashing server name or a wrong URL in the docs
fails here.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import make_url

from glpi_scim.cli.main import cli
from glpi_scim.db import tables
from glpi_scim.db.database import Database

ROOT = Path(__file__).resolve().parents[2]
GUIDES = sorted((ROOT / "docs" / "providers").glob("*.md"))
# The section of each page that sets a connection up.
SECTIONS = {"README.md": "Administrator's flow", "index.md": "Setting up any IdP, in order"}
NOT_RUN = ("serve", "doctor")
PUBLIC_URL = "https://glpi.example.com"


def section(path: Path) -> str:
    title = SECTIONS.get(path.name, "Set up")
    text = path.read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, f"{path.name} has no '## {title}' section"
    # The README's day-to-day table names commands with placeholders (NAME, ID): not a flow.
    return match.group(1).split("\nDay to day", 1)[0]


def commands(path: Path) -> list[str]:
    """The shell lines of the section, in order: code blocks' command lines (continuations
    joined, comments dropped) and, in the guides, inline `glpi-scim ...` spans of the prose."""
    found: list[str] = []
    for block, prose in re.findall(r"^ *```[a-z]*\n(.*?)^ *```|(`glpi-scim [^`]+`)",
                                   section(path), re.M | re.S):  # fmt: skip
        if prose:
            # The README and the index explain their block with placeholders (SERVER, ID).
            if path.name not in SECTIONS:
                found.append(prose.strip("`"))
            continue
        for line in re.sub(r"\\\n\s*", " ", block).splitlines():
            words = shlex.split(line, comments=True)
            if words and words[0] in ("glpi-scim", "export"):  # not a JSON example
                found.append(shlex.join(words))
    return found


class Shell:
    """Runs the documented lines against one database, with the environment they export."""

    def __init__(self, database: Database, glpi_config: Path) -> None:
        self.database = database
        self.glpi_config = glpi_config
        self.env: dict[str, str] = {"COLUMNS": "200"}
        self.outputs: list[Result] = []

    def run(self, line: str) -> None:
        words = shlex.split(line)
        if words[0] == "export":
            name, _, value = words[1].partition("=")
            self.export(name, value)
            return
        assert words[0] == "glpi-scim", line
        args = words[1:]
        if args[0] in NOT_RUN or (args[:2] == ["logs", "tail"] and "-f" in args):
            args = [*args, "--help"]  # parsed, every option checked, not run
        result = CliRunner().invoke(cli, args, env=self.env, catch_exceptions=False)
        assert result.exit_code == 0, f"{line}\n{result.output}"
        self.outputs.append(result)

    def export(self, name: str, value: str) -> None:
        # /etc/glpi stands for GLPI's config directory: here one whose config_db.php reaches
        # the test database (the embedded file has none, so the URL variable stands in).
        if name == "GLPI_CONFIG_DIR" and not self.database.is_sqlite:
            self.env[name] = str(self.glpi_config)
        else:
            self.env["GLPI_SCIM_DATABASE_URL"] = self.database.url


@pytest.fixture
def shell(database: Database, isolated_cli: None, tmp_path: Path) -> Iterator[Shell]:
    config = tmp_path / "glpi-config"
    config.mkdir()
    if not database.is_sqlite:
        url = make_url(database.url)
        (config / "config_db.php").write_text(
            "<?php\nclass DB extends DBmysql {\n"
            f"   public $dbhost = '{url.host}:{url.port or 3306}';\n"
            f"   public $dbuser = '{url.username}';\n"
            f"   public $dbpassword = '{url.password or ''}';\n"
            f"   public $dbdefault = '{url.database}';\n"
            "}\n",
            encoding="utf-8",
        )
    # Step 1 of every guide, done in GLPI's UI: the user that owns the IdP's changes.
    with database.begin() as connection:
        connection.execute(tables.users.insert().values(name="glpi-scim", authtype=1))
    yield Shell(database, config)


def run_page(shell: Shell, path: Path) -> list[str]:
    lines = commands(path)
    assert any(line.startswith("glpi-scim server add") for line in lines), path.name
    for line in lines:
        shell.run(line)
    return lines


def test_the_readme_flow_runs_as_written(shell: Shell) -> None:
    lines = run_page(shell, ROOT / "README.md")
    assert lines[0].startswith("export GLPI_CONFIG_DIR=")
    added = next(r for r in shell.outputs if "SCIM base URL for the IdP" in r.stdout)
    assert f"SCIM base URL for the IdP: {PUBLIC_URL}/scim/v2/1" in added.stdout


@pytest.mark.parametrize("guide", GUIDES, ids=[path.stem for path in GUIDES])
def test_each_provider_guide_runs_after_the_readme(shell: Shell, guide: Path) -> None:
    run_page(shell, ROOT / "README.md")
    before = len(shell.outputs)
    run_page(shell, guide)
    added = next(r for r in shell.outputs[before:] if "SCIM base URL for the IdP" in r.stdout)
    assert f"SCIM base URL for the IdP: {PUBLIC_URL}/scim/v2/2" in added.stdout
    text = guide.read_text(encoding="utf-8")
    # Ids depend on what exists already: a guide names the URL server add printed.
    assert not re.search(r"/(scim/v2|oauth2)/\d", text), guide.name


def test_the_pages_hold_the_commands_expected() -> None:
    readme = commands(ROOT / "README.md")
    assert [line.split()[1] for line in readme if line.startswith("glpi-scim")] == [
        "db", "db", "server", "serve", "doctor", "logs",
    ]  # fmt: skip
    okta = commands(ROOT / "docs" / "providers" / "okta.md")
    assert okta[0].startswith("glpi-scim server add Okta --security bearer")
    assert "glpi-scim serve" in okta and any(line.startswith("glpi-scim doctor") for line in okta)
