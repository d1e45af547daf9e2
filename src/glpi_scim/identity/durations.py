"""Durations typed by administrators: `10y`, `90d`, `12h`, `2w`, `1d12h`, `30min`."""

from __future__ import annotations

import re
from datetime import timedelta

_UNITS = {
    "y": timedelta(days=365),
    "w": timedelta(weeks=1),
    "d": timedelta(days=1),
    "h": timedelta(hours=1),
    "min": timedelta(minutes=1),
}
_PART = re.compile(r"(\d+)\s*(y|w|d|h|min|m)", re.IGNORECASE)
_HELP = "a number and a unit: y (years), w (weeks), d (days), h (hours), min; e.g. 90d or 1d12h"


def parse_duration(text: str) -> timedelta:
    """`"90d"` -> 90 days. ValueError with a readable message on anything else."""
    spec = text.strip().lower().replace(" ", "")
    if not spec:
        raise ValueError(f"empty duration; expected {_HELP}")
    total = timedelta()
    position = 0
    for match in _PART.finditer(spec):
        if match.start() != position:
            break
        unit = match.group(2)
        if unit == "m":
            raise ValueError(f"duration {text!r}: 'm' is ambiguous; use 'min' for minutes or 'd'")
        try:
            total += int(match.group(1)) * _UNITS[unit]
        except OverflowError:
            raise ValueError(f"duration {text!r} is too long") from None
        position = match.end()
    if position != len(spec):
        raise ValueError(f"cannot read duration {text!r}; expected {_HELP}")
    if total <= timedelta():
        raise ValueError(f"duration {text!r} must be longer than zero")
    return total


def describe_duration(delta: timedelta) -> str:
    """A short human form: 3650 days -> '10y', 36 hours -> '1d12h'."""
    seconds = int(delta.total_seconds())
    if seconds <= 0:
        return "0min"
    parts = []
    for unit, size in (("y", 365 * 86400), ("d", 86400), ("h", 3600), ("min", 60)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "<1min"
