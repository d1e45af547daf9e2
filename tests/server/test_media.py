"""Strict JSON reading and the accepted content types (the HTTP tests cover the statuses)."""

from __future__ import annotations

import io

import pytest

from glpi_scim.scim.errors import InvalidSyntax, PayloadTooLarge
from glpi_scim.server.media import (
    MAX_DEPTH,
    UnsupportedMediaType,
    check_content_type,
    dump_json,
    parse_json_object,
    read_body,
)


@pytest.mark.parametrize(
    "content_type",
    [
        "application/scim+json",
        "application/json",
        "application/scim+json; charset=utf-8",
        "Application/JSON; charset=UTF-8",
        'application/json;charset="utf-8"',
    ],
)
def test_scim_and_json_content_types_are_accepted(content_type: str) -> None:
    check_content_type(content_type)


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "",
        "text/plain",
        "application/xml",
        "application/x-www-form-urlencoded",
        "application/json; charset=latin-1",
    ],
)
def test_other_content_types_are_refused_with_415(content_type: str | None) -> None:
    with pytest.raises(UnsupportedMediaType) as caught:
        check_content_type(content_type)
    assert caught.value.status == 415
    assert "application/scim+json" in caught.value.detail or "UTF-8" in caught.value.detail


def test_a_json_object_is_parsed() -> None:
    assert parse_json_object(b'{"userName": "b\xc3\xa9a", "n": [1, 2.5, true, null]}') == {
        "userName": "béa",
        "n": [1, 2.5, True, None],
    }


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (b"", "empty"),
        (b"   ", "empty"),
        (b"\xff\xfe{}", "UTF-8"),
        (b'{"a": "\xc3"}', "UTF-8"),
        (b"{", "not valid JSON"),
        (b"{'a': 1}", "not valid JSON"),
        (b'{"a": 1} x', "not valid JSON"),
        (b'{"a": 1, "a": 2}', "repeats the key 'a'"),
        (b'{"a": {"b": 1, "b": 1}}', "repeats the key 'b'"),
        (b'{"a": NaN}', "NaN"),
        (b'{"a": -Infinity}', "Infinity"),
        (b'{"a": "\\ud800"}', "surrogate"),
        (b'{"\\udfff": 1}', "surrogate"),
        (b"[1, 2]", "JSON object, not an array"),
        (b'"text"', "not a string"),
        (b"null", "not null"),
        (b"\xef\xbb\xbf{}", "not valid JSON"),
    ],
)
def test_malformed_documents_are_invalid_syntax(raw: bytes, words: str) -> None:
    with pytest.raises(InvalidSyntax) as caught:
        parse_json_object(raw)
    assert caught.value.status == 400
    assert caught.value.scim_type == "invalidSyntax"
    assert words in caught.value.detail


def _nested(depth: int) -> bytes:
    # depth counts the outer object: {"a": [[...]]}
    return b'{"a": ' + b"[" * (depth - 1) + b"]" * (depth - 1) + b"}"


def test_nesting_up_to_the_limit_is_accepted_and_one_more_level_is_not() -> None:
    assert parse_json_object(_nested(MAX_DEPTH))["a"] is not None
    with pytest.raises(InvalidSyntax, match="deeper than 64"):
        parse_json_object(_nested(MAX_DEPTH + 1))


def test_pathological_nesting_is_refused_without_crashing() -> None:
    with pytest.raises(InvalidSyntax, match="deeper than 64"):
        parse_json_object(b'{"a": ' + b"[" * 200_000 + b"]" * 200_000 + b"}")


def test_body_reading_stops_at_the_limit_whatever_content_length_says() -> None:
    assert read_body(io.BytesIO(b"x" * 100), None, 100) == b"x" * 100
    with pytest.raises(PayloadTooLarge) as caught:
        read_body(io.BytesIO(b"x" * 101), None, 100)
    assert caught.value.status == 413
    with pytest.raises(PayloadTooLarge):
        read_body(io.BytesIO(b""), 101, 100)


def test_responses_are_compact_utf8() -> None:
    assert dump_json({"a": "é", "b": [1]}) == '{"a":"é","b":[1]}'.encode()
