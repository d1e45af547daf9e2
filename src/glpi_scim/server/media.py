"""SCIM media: which request bodies are accepted, strict JSON reading, fast JSON writing.

Bodies are read and parsed here rather than through falcon's media handlers so that the rules
are SCIM's own: `application/scim+json` or `application/json` only (415 otherwise), UTF-8 only,
and a document that is ambiguous or abusive (duplicate keys, NaN, lone surrogates, nesting
deeper than `MAX_DEPTH`) is refused with 400 invalidSyntax before anything reads it.
"""

from __future__ import annotations

import json
import math
from typing import Any

from glpi_scim.pipeline.gate import read_limited
from glpi_scim.pipeline.request import Readable
from glpi_scim.scim.errors import InvalidSyntax, ScimError

SCIM_MEDIA_TYPE = "application/scim+json"
RESPONSE_CONTENT_TYPE = "application/scim+json; charset=utf-8"
ACCEPTED_MEDIA_TYPES = frozenset({SCIM_MEDIA_TYPE, "application/json"})
MAX_DEPTH = 64
# No SCIM value needs more (a 64-bit integer has 20 digits).
MAX_INTEGER_DIGITS = 100

# One encoder for every response: compact separators, UTF-8 text, no NaN (not JSON).
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


class UnsupportedMediaType(ScimError):
    status = 415


def dump_json(document: Any) -> bytes:
    return _ENCODER.encode(document).encode("utf-8")


def check_content_type(content_type: str | None) -> None:
    """415 unless the body is declared as SCIM JSON (or plain JSON), in UTF-8."""
    if not content_type:
        raise UnsupportedMediaType(f"a request body needs a Content-Type header: {SCIM_MEDIA_TYPE}")
    media_type, *params = (part.strip() for part in content_type.split(";"))
    if media_type.lower() not in ACCEPTED_MEDIA_TYPES:
        raise UnsupportedMediaType(
            f"Content-Type {media_type!r} is not supported; send {SCIM_MEDIA_TYPE}"
        )
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in (
            "utf-8",
            "utf8",
        ):
            raise UnsupportedMediaType(
                f"charset {value.strip()!r} is not supported; SCIM bodies are UTF-8"
            )


def read_body(stream: Readable, content_length: int | None, limit: int) -> bytes:
    """The request body, refusing more than `limit` bytes whatever Content-Length says."""
    return read_limited(stream, content_length, limit)


def parse_json_object(raw: bytes) -> dict[str, Any]:
    """A SCIM request document: a JSON object, strictly parsed."""
    if not raw.strip():
        raise InvalidSyntax("the request body is empty; a JSON object is expected")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidSyntax(f"the request body is not valid UTF-8 (byte {exc.start})") from None
    try:
        document = json.loads(
            text,
            object_pairs_hook=_object_without_duplicates,
            parse_constant=_refuse_constant,
            parse_float=_finite_float,
            parse_int=_bounded_int,
        )
    except json.JSONDecodeError as exc:
        raise InvalidSyntax(
            f"the request body is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    except RecursionError:
        raise InvalidSyntax(f"the request body nests deeper than {MAX_DEPTH} levels") from None
    if not isinstance(document, dict):
        raise InvalidSyntax(f"the request body must be a JSON object, not {_json_type(document)}")
    _check_depth_and_text(document)
    return document


class _DuplicateKey(ValueError):
    pass


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document = dict(pairs)
    if len(document) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise InvalidSyntax(f"the request body repeats the key {key!r} in one object")
            seen.add(key)
    return document


def _refuse_constant(name: str) -> Any:
    raise InvalidSyntax(f"the request body contains {name}, which is not JSON")


def _finite_float(literal: str) -> float:
    # 1e999 is valid JSON syntax, but Python reads it as infinity, which no column can hold.
    value = float(literal)
    if not math.isfinite(value):
        raise InvalidSyntax(f"the request body contains the number {literal[:40]}, too large")
    return value


def _bounded_int(literal: str) -> int:
    # Python refuses to convert integers of thousands of digits (and converting is slow).
    if len(literal.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise InvalidSyntax(
            f"the request body contains an integer of more than {MAX_INTEGER_DIGITS} digits"
        )
    return int(literal)


def _check_depth_and_text(document: Any) -> None:
    # Iterative walk: a deep document must not exhaust the stack of the check itself.
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            if depth > MAX_DEPTH:
                raise InvalidSyntax(f"the request body nests deeper than {MAX_DEPTH} levels")
            for key, item in value.items():
                _check_text(key)
                stack.append((item, depth + 1))
        elif isinstance(value, list):
            if depth > MAX_DEPTH:
                raise InvalidSyntax(f"the request body nests deeper than {MAX_DEPTH} levels")
            stack.extend((item, depth + 1) for item in value)
        elif isinstance(value, str):
            _check_text(value)


def _check_text(text: str) -> None:
    # \ud800-style escapes decode to lone surrogates, which no database column can store.
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidSyntax(
                "the request body contains an unpaired UTF-16 surrogate escape"
            ) from None


def _json_type(value: Any) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "null"
    return "a number"
