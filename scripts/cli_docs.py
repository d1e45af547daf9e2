"""Write docs/cli.md from the click definitions of every `glpi-scim` command.

    python scripts/cli_docs.py          # rewrite docs/cli.md
    python scripts/cli_docs.py --check  # exit 1 when docs/cli.md is out of date

Commands are found by walking the root click group, so a command added in any module of
glpi_scim/cli appears here without touching this script. tests/cli/test_cli_reference.py fails
when docs/cli.md and the commands disagree.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Iterator
from pathlib import Path

import click

DOC_PATH = Path(__file__).resolve().parent.parent / "docs" / "cli.md"
PROGRAM = "glpi-scim"
HEADER = f"""# `{PROGRAM}` command line reference

<!-- Generated from the click definitions by `python scripts/cli_docs.py`: do not edit by
hand; change the command's docstring or option help and run the script again. A test fails
when this file and the commands disagree. -->

Every command accepts `-h`/`--help`. Commands that print data accept `--json` for scripts.
Exit codes: 0 success, 1 the operation failed (bad input, not found, conflict), 2 usage
error, 3 the database or the configuration is unusable.
"""


def walk(
    command: click.Command, context: click.Context
) -> Iterator[tuple[click.Command, click.Context]]:
    """The command and every sub-command under it, depth first, in name order."""
    yield command, context
    if isinstance(command, click.Group):
        for name in sorted(command.list_commands(context)):
            sub = command.get_command(context, name)
            if sub is None or sub.hidden:
                continue
            yield from walk(sub, click.Context(sub, info_name=name, parent=context))


def help_text(command: click.Command) -> str:
    text = inspect.cleandoc(command.help or "").split("\f", 1)[0]
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    cleaned = []
    for paragraph in paragraphs:
        lines = paragraph.splitlines()
        if lines and lines[0].strip() == "\b":  # click's "keep as is" marker
            cleaned.append("\n".join(line for line in lines[1:]))
        else:
            cleaned.append(" ".join(line.strip() for line in lines))
    return "\n\n".join(cleaned)


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").strip()


def options_table(command: click.Command, context: click.Context) -> list[str]:
    rows = []
    for param in command.get_params(context):
        if isinstance(param, click.Option) and "--help" in param.opts:
            continue
        record = param.get_help_record(context)
        if record is None:
            continue
        names, description = record
        if isinstance(param, click.Argument) and not description:
            continue  # arguments are named in the usage line and explained in the help text
        rows.append(f"| `{cell(names)}` | {cell(description)} |")
    if not rows:
        return []
    return ["| Option | Description |", "|---|---|", *rows, ""]


def anchor(path: str) -> str:
    return path.lower().replace(" ", "-")


def render(root: click.Command | None = None) -> str:
    if root is None:
        from glpi_scim.cli.main import cli

        root = cli
    root_context = click.Context(root, info_name=PROGRAM, max_content_width=100)
    entries = list(walk(root, root_context))
    lines = [HEADER]
    lines.append(help_text(root) + "\n")
    for _, context in entries[1:]:
        path = context.command_path
        indent = "  " * (path.count(" ") - 1)
        lines.append(f"{indent}- [`{path}`](#{anchor(path)})")
    lines.append("")
    lines.append("## Global options\n")
    lines.append(f"They come before the command: `{PROGRAM} [GLOBAL OPTIONS] COMMAND ...`.\n")
    lines.extend(options_table(root, root_context))
    for command, context in entries[1:]:
        path = context.command_path
        level = "#" * min(2 + path.count(" ") - 1, 4)
        lines.append(f"{level} {path}\n")
        text = help_text(command)
        if text:
            lines.append(text + "\n")
        if isinstance(command, click.Group):
            continue
        usage = " ".join(command.collect_usage_pieces(context))
        lines.append(f"```\n{path} {usage}\n```\n")
        lines.extend(options_table(command, context))
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        current = DOC_PATH.read_text(encoding="utf-8") if DOC_PATH.exists() else ""
        if current != text:
            print(f"{DOC_PATH} is out of date: run python scripts/cli_docs.py", file=sys.stderr)
            return 1
        return 0
    DOC_PATH.parent.mkdir(parents=True, exist_ok=True)
    DOC_PATH.write_text(text, encoding="utf-8")
    print(f"wrote {DOC_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
