"""GLPI 10's text encoding: `&`, `<` and `>` are stored as `&#38;`, `&#60;` and `&#62;`.

GLPI sanitizes every input before it reaches the database and decodes on output, so a value the
tool writes must be encoded the same way to look right in GLPI's UI and to compare equal to what
GLPI itself stored; values read back are decoded so that `R&D` round-trips through SCIM.
"""

from __future__ import annotations

import re

_ENCODE = str.maketrans({"&": "&#38;", "<": "&#60;", ">": "&#62;"})
# Decoding replaces `>` and `<` first and `&` last, so that an encoded entity such as `&#38;#60;`
# (the text "&#60;") decodes to "&#60;" and not to "<".
_DECODE_CURRENT = (("&#62;", ">"), ("&#60;", "<"), ("&#38;", "&"))
_DECODE_LEGACY = (("&gt;", ">"), ("&lt;", "<"))
# Raw special characters: `<`, `>`, or `&` that does not start an entity.
_RAW_SPECIAL = re.compile(r"<|>|&(?!#?[a-z0-9]+;)", re.IGNORECASE)
_ENCODED_MARKS = ("&#38;", "&#60;", "&#62;", "&lt;", "&gt;")


def encode(value: str) -> str:
    """The text as GLPI stores it."""
    return value.translate(_ENCODE)


def decode(value: str) -> str:
    """The text GLPI's encoded `value` stands for.

    Like GLPI, a value that still holds a raw special character was never encoded (written by
    something else than GLPI's input layer) and is returned as is.
    """
    if "&" not in value or _RAW_SPECIAL.search(value):
        return value
    if not any(mark in value for mark in _ENCODED_MARKS):
        return value
    pairs = _DECODE_CURRENT if any(m in value for m in _ENCODED_MARKS[:3]) else _DECODE_LEGACY
    for entity, char in pairs:
        value = value.replace(entity, char)
    return value


def decode_optional(value: str | None) -> str | None:
    return None if value is None else decode(value)


def encode_optional(value: str | None) -> str | None:
    return None if value is None else encode(value)
