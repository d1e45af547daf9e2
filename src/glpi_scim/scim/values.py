"""Value helpers shared by validation, filters and sorting: dateTime, booleans, comparison keys."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

# xsd:dateTime as RFC 7643 §2.3.5 requires; a missing offset is read as UTC.
_DATETIME_RE = re.compile(
    r"(?P<y>\d{4})-(?P<mo>\d\d)-(?P<d>\d\d)[Tt](?P<h>\d\d):(?P<mi>\d\d):(?P<s>\d\d)"
    r"(?:\.(?P<f>\d+))?(?P<tz>[Zz]|[+-]\d\d:\d\d)?"
)


def parse_datetime(text: str) -> datetime | None:
    """An aware datetime for an xsd:dateTime string, or None when it is not one."""
    match = _DATETIME_RE.fullmatch(text)
    if match is None:
        return None
    fraction = (match.group("f") or "0")[:6].ljust(6, "0")
    tz_text = match.group("tz")
    tz = timezone.utc
    if tz_text and tz_text not in ("Z", "z"):
        sign = -1 if tz_text[0] == "-" else 1
        hours, minutes = int(tz_text[1:3]), int(tz_text[4:6])
        if hours > 23 or minutes > 59:
            return None
        tz = timezone(sign * timedelta(hours=hours, minutes=minutes))
    try:
        return datetime(
            int(match.group("y")),
            int(match.group("mo")),
            int(match.group("d")),
            int(match.group("h")),
            int(match.group("mi")),
            int(match.group("s")),
            int(fraction),
            tzinfo=tz,
        )
    except ValueError:
        return None


def format_datetime(moment: datetime) -> str:
    """RFC 3339 UTC text with milliseconds, as this server writes dateTime values."""
    utc = moment.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def parse_boolean(value: Any) -> bool | None:
    """True/False for a JSON boolean or the strings "true"/"false" in any case, else None.

    Some identity providers (Entra ID among them) send booleans as strings such as "True".
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered == "true":
            return True
        if lowered == "false":
            return False
    return None


def fold(text: str, case_exact: bool) -> str:
    """The form strings are compared in: NFC, lower-cased unless the attribute is caseExact."""
    normalized = unicodedata.normalize("NFC", text)
    if case_exact:
        return normalized
    return unicodedata.normalize("NFC", normalized.lower())


def get_ci(mapping: Any, name: str) -> Any:
    """`mapping[name]` matching the key case-insensitively; None when absent or not a dict."""
    if not isinstance(mapping, Mapping):
        return None
    if name in mapping:
        return mapping[name]
    lowered = name.lower()
    for key, value in mapping.items():
        if isinstance(key, str) and key.lower() == lowered:
            return value
    return None


def is_present(value: Any) -> bool:
    """The `pr` test (RFC 7644 §3.4.2.2): non-null, non-empty, or a non-empty complex node."""
    if value is None:
        return False
    if isinstance(value, str):
        return value != ""
    if isinstance(value, Mapping):
        return any(is_present(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(is_present(v) for v in value)
    return True


def etag_matches(header: str, version: str) -> bool:
    """Weak comparison of an If-Match / If-None-Match header with a version (RFC 7232 §2.3.2)."""
    if header.strip() == "*":
        return True
    wanted = _opaque(version)
    return any(_opaque(tag) == wanted for tag in header.split(",") if tag.strip())


def _opaque(tag: str) -> str:
    tag = tag.strip()
    return tag[2:] if tag[:2] in ("W/", "w/") else tag
