"""The request log's redaction as it was before it ran in linear time.

Only the oracle of test_redaction's differential property: every secret this removed, the
current redaction must remove too. Small inputs only: its patterns backtrack.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, quote

REDACTED = "[REDACTED]"

# A name (JSON key, form field, query parameter, PATCH path) is secret when its last segment
# contains one of these words, or is one of the exact names.
_SECRET_WORDS = (
    "password",
    "passwd",
    "secret",
    "token",
    "apikey",
    "api_key",
    "api-key",
    "code_verifier",
    "assertion",
    "authorization",
    "cookie",
)
_SECRET_NAMES = frozenset({"code", "pwd", "pass"})

# Headers whose whole value is a credential. Authorization keeps its scheme word when it is a
# known one ("Bearer [REDACTED]") so that the log still tells which method a client used.
_SECRET_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "api-key"}
)
_KNOWN_SCHEMES = frozenset({"basic", "bearer", "digest", "negotiate", "ntlm"})

# -- patterns for free text -----------------------------------------------------------------

_KEY = (
    r"[a-z0-9_.:-]*(?:password|passwd|secret|token|api[_-]?key|code_verifier|assertion)"
    r"[a-z0-9_-]*|code|pwd|pass"
)
# A value: bracketed (to its first closing bracket), quoted (possibly cut short, possibly escaped
# inside another JSON string) or bare.
_VALUE = (
    r"\{[^}]*\}?|\[[^\]]*\]?"
    r"|\"(?:[^\"\\]|\\.)*(?:\"|\\?$)|'(?:[^'\\]|\\.)*(?:'|\\?$)|[^\s&,;}\]]+"
)
_KEY_VALUE = re.compile(rf"(?<![a-z0-9_])({_KEY})(\\?[\"']?\s*[:=]\s*\\?)({_VALUE})", re.IGNORECASE)
# `password eq "x"` in a filter.
_FILTER_VALUE = re.compile(
    rf"(?<![a-z0-9_])({_KEY})([\"']?\s+(?:eq|ne|co|sw|ew|gt|ge|lt|le)\s+)({_VALUE})",
    re.IGNORECASE,
)
# Credentials after a header-like name run to the end of the line (`Authorization: Bearer x`).
_HEADER_LINE = re.compile(
    r"(?<![a-z0-9_])((?:proxy-)?authorization|set-cookie|cookie)(\\?[\"']?\s*[:=]\s*)([^\r\n]*)",
    re.IGNORECASE,
)
# A PATCH operation aiming at a secret: in unparsable text every "value" is then redacted.
_SECRET_PATH = re.compile(rf"[\"']?path[\"']?\s*:\s*\\?[\"'][^\"']*?(?:{_KEY})", re.IGNORECASE)
# ... from each "value" key to the next "op" or "path" key, or to the end.
_ANY_VALUE = re.compile(
    r"([\"']?value\\?[\"']?\s*:\s*)(.*?)(?=(?<!\\)[\"'](?:op|path)[\"']\s*:|\Z)",
    re.IGNORECASE | re.DOTALL,
)
# JWTs (base64url of '{"...'), whole or cut short.
_JWT = re.compile(r"eyJ[A-Za-z0-9_\-+/=]{6,}(?:\.[A-Za-z0-9_\-+/=]*){0,2}")


def is_secret_name(name: str) -> bool:
    """`password`, `Password`, `urn:...:User:password`, `client_secret`, `code`... -> True."""
    leaf = name.strip().lower()
    leaf = leaf.split("[", 1)[0] if not leaf.startswith("[") else leaf
    leaf = leaf.rsplit(":", 1)[-1].rsplit(".", 1)[-1]
    return leaf in _SECRET_NAMES or any(word in leaf for word in _SECRET_WORDS)


def redact_text(text: str) -> str:
    """Secrets removed from free text by pattern (last resort for what cannot be parsed)."""
    if _SECRET_PATH.search(text):
        text = _ANY_VALUE.sub(lambda m: f"{m.group(1)}{REDACTED}", text)
    text = _HEADER_LINE.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
    text = _KEY_VALUE.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
    text = _FILTER_VALUE.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
    return _JWT.sub(REDACTED, text)


def redact_json(value: Any) -> Any:
    """A copy of a parsed JSON value with every secret replaced by REDACTED."""
    if isinstance(value, dict):
        return _redact_object(value)
    if isinstance(value, list):
        return [redact_json(item) for item in value]
    if isinstance(value, str):
        return redact_text(value)
    return value


def _redact_object(obj: dict[str, Any]) -> dict[str, Any]:
    # A PATCH operation {"op", "path": "password", "value": ...}: the value is the secret.
    path_key = next((k for k in obj if k.lower() == "path"), None)
    secret_value = (
        path_key is not None and isinstance(obj[path_key], str) and is_secret_name(obj[path_key])
    )
    result: dict[str, Any] = {}
    for key, item in obj.items():
        if is_secret_name(key) or (secret_value and key.lower() == "value"):
            result[redact_text(key)] = REDACTED
        else:
            result[redact_text(key)] = redact_json(item)
    return result


def redact_pairs(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Form fields or query parameters: secret names lose their value, the rest is scanned."""
    return [
        (redact_text(name), REDACTED if is_secret_name(name) else redact_text(value))
        for name, value in pairs
    ]


def redact_query(query: str | None) -> str | None:
    """A query string (without '?') with secret parameters redacted; unchanged when clean."""
    if not query:
        return query
    pairs = parse_qsl(query, keep_blank_values=True)
    cleaned = redact_pairs(pairs)
    if cleaned == pairs and redact_text(query) == query:
        return query
    return _encode_pairs(cleaned)


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Header names lower-cased; credentials replaced, other values scanned for tokens."""
    result: dict[str, str] = {}
    for name, value in headers.items():
        lower = name.lower()
        if lower in _SECRET_HEADERS or is_secret_name(lower):
            result[lower] = _redact_credential_header(lower, value)
        else:
            result[lower] = redact_text(value)
    return result


def _redact_credential_header(name: str, value: str) -> str:
    if name.endswith("authorization"):
        scheme = value.strip().split(" ", 1)[0]
        if scheme.lower() in _KNOWN_SCHEMES:
            return f"{scheme} {REDACTED}"
    return REDACTED


def redact_body(body: str | bytes | None, content_type: str | None = None) -> str | None:
    """A request or response body as text, secrets removed.

    JSON (whatever the content type says) is redacted structurally and kept as sent when it
    holds no secret; form bodies field by field; anything else by pattern.
    """
    if body is None:
        return None
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    if not text.strip():
        return text
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError):
        parsed = _NOT_JSON
    if parsed is not _NOT_JSON:
        try:
            cleaned = redact_json(parsed)
        except RecursionError:
            return redact_text(text)
        if cleaned == parsed:
            return text
        return json.dumps(cleaned, ensure_ascii=False, separators=(",", ":"))
    if _looks_like_form(text, content_type):
        pairs = parse_qsl(text.strip(), keep_blank_values=True)
        cleaned_pairs = redact_pairs(pairs)
        unchanged = cleaned_pairs == pairs and redact_text(text) == text
        return text if unchanged else _encode_pairs(cleaned_pairs)
    return redact_text(text)


_NOT_JSON = object()
_FORM_TEXT = re.compile(r"^[^\s{}\[\]\"]*=[^\s{}\[\]\"]*$")


def _looks_like_form(text: str, content_type: str | None) -> bool:
    if content_type and "x-www-form-urlencoded" in content_type.lower():
        return True
    return bool(_FORM_TEXT.match(text.strip()))


def _encode_pairs(pairs: list[tuple[str, str]]) -> str:
    # Readable yet unambiguous: only the characters that would change the meaning are escaped.
    safe = " :/,\"'[]@!$()*;"
    return "&".join(f"{quote(name, safe=safe)}={quote(value, safe=safe)}" for name, value in pairs)
