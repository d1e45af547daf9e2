"""Time as the tool's tables store it: naive UTC in GLPI-style TIMESTAMP columns.

Code outside the repositories handles aware UTC datetimes; these helpers convert at the edge.
"""

from __future__ import annotations

from datetime import datetime, timezone

# MySQL/MariaDB TIMESTAMP columns end here; later values cannot be stored.
TIMESTAMP_MAX = datetime(2038, 1, 19, 3, 14, 7, tzinfo=timezone.utc)


def utcnow() -> datetime:
    """Now, aware UTC, whole seconds (TIMESTAMP columns keep no fractions)."""
    return datetime.now(timezone.utc).replace(microsecond=0)


def to_db(moment: datetime | None) -> datetime | None:
    """Aware (or naive UTC) datetime -> naive UTC for a TIMESTAMP column."""
    if moment is None:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment.replace(microsecond=0)


def from_db(value: datetime | None) -> datetime | None:
    """Naive UTC from a TIMESTAMP column -> aware UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)
