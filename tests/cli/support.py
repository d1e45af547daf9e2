"""Helpers of the CLI tests."""

from __future__ import annotations

from click.testing import Result


def one_line_error(result: Result) -> str:
    """The error a command printed: exactly one line on stderr, no traceback."""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert lines[0].startswith("Error:"), lines[0]
    return lines[0]
