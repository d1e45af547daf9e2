"""Durations typed by administrators (`--expires`, `--older-than`)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from glpi_scim.identity.durations import describe_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10y", timedelta(days=3650)),
        ("90d", timedelta(days=90)),
        ("12h", timedelta(hours=12)),
        ("2w", timedelta(days=14)),
        ("30min", timedelta(minutes=30)),
        ("1d12h", timedelta(hours=36)),
        (" 1D 12H ", timedelta(hours=36)),
    ],
)
def test_parse(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty duration"),
        ("10", "cannot read duration"),
        ("d", "cannot read duration"),
        ("10 years", "cannot read duration"),
        ("-5d", "cannot read duration"),
        ("6m", "ambiguous"),
        ("0d", "longer than zero"),
        ("99999999999999999999y", "too long"),
    ],
)
def test_refusals(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_duration(text)


def test_describe_round_trips() -> None:
    for text in ("10y", "90d", "1d12h", "30min"):
        assert describe_duration(parse_duration(text)) == text
