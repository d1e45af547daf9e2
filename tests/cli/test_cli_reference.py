"""docs/cli.md documents every command exactly as click defines it."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import click
from click.testing import CliRunner

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "cli_docs.py"


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("cli_docs", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("cli_docs", module)
    spec.loader.exec_module(module)
    return module


def test_docs_cli_md_matches_the_commands() -> None:
    generator = load_generator()
    expected = generator.render()
    current = generator.DOC_PATH.read_text(encoding="utf-8")
    assert current == expected, (
        "docs/cli.md is out of date with the click commands: run `python scripts/cli_docs.py`"
    )


def test_every_command_has_a_section_and_a_working_help() -> None:
    from glpi_scim.cli.main import cli

    generator = load_generator()
    text = generator.DOC_PATH.read_text(encoding="utf-8")
    root = click.Context(cli, info_name="glpi-scim")
    paths = [context.command_path for _, context in generator.walk(cli, root)][1:]
    assert {"glpi-scim server add", "glpi-scim token revoke", "glpi-scim logs tail"} <= set(paths)
    for path in paths:
        assert f"# {path}\n" in text, path
        result = CliRunner().invoke(cli, [*path.split()[1:], "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert "Usage:" in result.output


def test_a_new_command_appears_without_touching_the_generator() -> None:
    generator = load_generator()

    @click.group()
    def root() -> None:
        """Root."""

    @root.group("widget")
    def widget() -> None:
        """Widgets."""

    @widget.command("spin")
    @click.argument("name")
    @click.option("--speed", type=int, default=3, show_default=True, help="Turns | second.")
    def spin(name: str, speed: int) -> None:
        """Spin a widget.

        Faster is better.
        """

    text = generator.render(root)
    assert "- [`glpi-scim widget spin`](#glpi-scim-widget-spin)" in text
    assert "### glpi-scim widget spin\n\nSpin a widget.\n\nFaster is better.\n" in text
    assert "glpi-scim widget spin [OPTIONS] NAME" in text
    assert "| `--speed INTEGER` | Turns \\| second.  [default: 3] |" in text
