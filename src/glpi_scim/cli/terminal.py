"""Stored text made safe to print: what an IdP (or anyone reaching the endpoint) sent must not
move the cursor, recolour the terminal, forge a line or inject rich markup.

`printable` shows control characters (C0, DEL, C1), line and paragraph separators and the
bidirectional overrides as escapes (`\\x1b`, `\\n`, `\\u202e`); `shown` also escapes rich markup,
for text that goes into a markup string or a table cell.
"""

from __future__ import annotations

import re

from rich.markup import escape

_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str | None) -> str:
    """The text with every character that could act on a terminal shown as an escape."""
    if not text:
        return text or ""
    return _UNSAFE.sub(_escape, text)


def shown(text: str | None) -> str:
    """`printable`, then rich markup escaped (`[red]` printed as typed)."""
    return escape(printable(text))


_UNSAFE_IN_JSON = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f" + _UNSAFE.pattern[len("[\x00-\x1f") :])


def json_escaped(text: str) -> str:
    """JSON text with the unsafe characters as \\u escapes (JSON's own whitespace excepted:
    outside strings it is layout, and inside them json.dumps already escaped it)."""
    return _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
