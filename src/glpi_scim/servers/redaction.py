"""Secrets out of everything the request log stores: bodies, headers, query strings, paths.

Structured data is redacted structurally (JSON keys, PATCH operations whose path names a
secret, form fields); whatever cannot be parsed falls back to patterns over the raw text, and
JWT-looking strings are removed wherever they appear. Over-redacting is acceptable, leaking
is not.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote

from glpi_scim.security.methods import registry
from glpi_scim.security.methods.base import Redaction

REDACTED = "[REDACTED]"

# What is secret whatever the security methods: each method adds what its own credentials
# travel in (security/methods/*.py, `redaction`), and the registry gives the union.
#
# A name (JSON key, form field, query parameter, PATCH path) is secret when its last segment
# contains one of the words, or is one of the exact names. Headers: their whole value is a
# credential. Authorization keeps its scheme word when it is a known one ("Bearer [REDACTED]")
# so that the log still tells which method a client used.
_ALWAYS = Redaction.of(
    headers=[
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-api-key",
        "api-key",
    ],
    schemes=["negotiate", "ntlm"],
    words=[
        "password",
        "passwd",
        "secret",
        "apikey",
        "api_key",
        "api-key",
        "authorization",
        "cookie",
    ],
    names=["pwd", "pass"],
)

# -- free text, in linear time ------------------------------------------------------------------
#
# Each pass below finds its anchors (a secret word, "path", "value") with a plain search, then
# matches short anchored patterns after them and resumes past what it consumed, so no character
# is looked at more than a few times whatever the input (a name is matched once). The passes and
# their order keep the behaviour of the earlier all-regex version, which backtracked: 12 KB of
# "a." took seconds.

_IC = re.IGNORECASE
# A name is a run of these (":" and "." separate segments of URNs and dotted paths).
_NAME_RUN = re.compile(r"[a-z0-9_-]*", _IC)
_NAME_CHAR = re.compile(r"[a-z0-9_]", _IC)
# Anchors are searched for in lower case in the text folded by _FOLD (same length, so the same
# positions), which finds what a case-insensitive search would, several times faster.
_FOLD = str.maketrans(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ\u0130\u0131\u017f\u212a", "abcdefghijklmnopqrstuvwxyziisk"
)
# Credentials after a header-like name run to the end of the line (`Authorization: Bearer x`).
_HEADER_WORDS = ("authorization", "cookie")
_HEADER_ANCHOR = re.compile("|".join(_HEADER_WORDS))
_HEADER_NAMES = re.compile("|".join(_HEADER_WORDS), _IC)

# What follows a name: `: `, `=`, `": "`, `\": \"` (JSON inside a JSON string) ...
_ASSIGN = re.compile(r"\\?[\"']?\s*[:=]\s*\\?", _IC)
_HEADER_ASSIGN = re.compile(r"\\?[\"']?\s*[:=]\s*", _IC)
# ... or a filter operator: `password eq "x"`.
_FILTER_OPERATOR = re.compile(r"[\"']?\s+(?:eq|ne|co|sw|ew|gt|ge|lt|le)\s+", _IC)
# A value: bracketed (to its first closing bracket), quoted (possibly cut short, possibly escaped
# inside another JSON string) or bare.
_VALUE = re.compile(
    r"\{[^}]*\}?|\[[^\]]*\]?"
    r"|\"(?:[^\"\\]|\\.)*(?:\"|\\?$)|'(?:[^'\\]|\\.)*(?:'|\\?$)|[^\s&,;}\]]+",
    _IC,
)
_TO_END_OF_LINE = re.compile(r"[^\r\n]*")

# A PATCH operation aiming at a secret: in unparsable text every "value" is then redacted, from
# its key to the next "op" or "path" key, or to the end.
_PATH_ANCHOR = re.compile("path")
_PATH_ASSIGN = re.compile(r"[\"']?\s*:\s*\\?[\"']")
_QUOTE = re.compile(r"[\"']")
_VALUE_ANCHOR = re.compile("value")
_VALUE_ASSIGN = re.compile(r"\\?[\"']?\s*:\s*")
_NEXT_OPERATION_KEY = re.compile(r"(?<!\\)[\"'](?:op|path)[\"']\s*:", _IC)
# JWTs (base64url of '{"...'), whole or cut short.
_JWT = re.compile(r"eyJ[A-Za-z0-9_\-+/=]{6,}(?:\.[A-Za-z0-9_\-+/=]*){0,2}")


def _alternatives(words: frozenset[str]) -> str:
    return "|".join(re.escape(word) for word in sorted(words, key=lambda w: (-len(w), w)))


@dataclass(frozen=True)
class _Vocabulary:
    """The secret names of `_ALWAYS` and of every registered method, and their patterns."""

    words: frozenset[str]
    names: frozenset[str]
    headers: frozenset[str]
    schemes: frozenset[str]
    # Free text: a name is secret when its last segment contains one of `contained`... (the
    # header words are left to the header pass, which redacts to the end of the line)
    contained: re.Pattern[str]
    # ... or ends with one of `exact_words`, as a whole word.
    exact_words: tuple[str, ...]
    exact: re.Pattern[str]
    key_anchor: re.Pattern[str]
    secret_in_path: re.Pattern[str]

    @staticmethod
    def of(redaction: Redaction) -> _Vocabulary:
        contained_words = redaction.words - set(_HEADER_WORDS)
        contained = _alternatives(contained_words)
        exact = _alternatives(redaction.names)
        return _Vocabulary(
            words=redaction.words,
            names=redaction.names,
            headers=redaction.headers,
            schemes=redaction.schemes,
            contained=re.compile(contained, _IC),
            exact_words=tuple(sorted(redaction.names, key=lambda w: (-len(w), w))),
            exact=re.compile(exact, _IC),
            key_anchor=re.compile(f"{contained}|{exact}"),
            secret_in_path=re.compile(_alternatives(contained_words | redaction.names), _IC),
        )

    def is_secret_name(self, name: str) -> bool:
        leaf = name.strip().lower()
        leaf = leaf.split("[", 1)[0] if not leaf.startswith("[") else leaf
        leaf = leaf.rsplit(":", 1)[-1].rsplit(".", 1)[-1]
        return leaf in self.names or any(word in leaf for word in self.words)

    def redact_text(self, text: str) -> str:
        if _aims_at_secret(text, self.secret_in_path):
            text = _redact_operation_values(text)
        text = _redact_after_names(text, _HEADER_ANCHOR, _is_header_name, _HEADER_ASSIGN, _line)
        text = _redact_after_names(text, self.key_anchor, self.is_secret_key, _ASSIGN, _value)
        text = _redact_after_names(
            text, self.key_anchor, self.is_secret_key, _FILTER_OPERATOR, _value
        )
        return _JWT.sub(REDACTED, text)

    def redact_json(self, value: Any) -> Any:
        if isinstance(value, dict):
            return self._redact_object(JsonObject(value.items()), as_dict=True)
        if isinstance(value, JsonObject):
            return self._redact_object(value)
        if isinstance(value, list):
            return [self.redact_json(item) for item in value]
        if isinstance(value, str):
            return self.redact_text(value)
        return value

    def _redact_object(self, pairs: JsonObject, *, as_dict: bool = False) -> Any:
        # A PATCH operation {"op", "path": "password", "value": ...}: the value is the secret,
        # and with several "path" keys (any case) one naming a secret is enough.
        secret_value = any(
            key.lower() == "path" and isinstance(item, str) and self.is_secret_name(item)
            for key, item in pairs
        )
        result = JsonObject(
            (
                self.redact_text(key),
                REDACTED
                if self.is_secret_name(key) or (secret_value and key.lower() == "value")
                else self.redact_json(item),
            )
            for key, item in pairs
        )
        return dict(result) if as_dict else result

    def redact_pairs(self, pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
        return [
            (
                self.redact_text(name),
                REDACTED if self.is_secret_name(name) else self.redact_text(value),
            )
            for name, value in pairs
        ]

    def is_secret_key(self, text: str, found: int, end: int, floor: int) -> bool:
        """Whether the name ending at `end` is secret; `found` is its first anchor word, and the
        name starts at `floor` at the earliest (where the search resumed)."""
        if self.contained.search(text, found, end):
            return True
        for word in self.exact_words:
            begin = end - len(word)
            if begin >= floor and self.exact.fullmatch(text, begin, end):
                return begin == 0 or not _NAME_CHAR.match(text, begin - 1)
        return False


_built: tuple[Redaction, _Vocabulary] | None = None


def _vocabulary() -> _Vocabulary:
    """Rebuilt only when the registry's methods change (it hands out the same object until then)."""
    global _built
    wanted = registry.redaction()
    built = _built
    if built is None or built[0] is not wanted:
        built = _built = (wanted, _Vocabulary.of(_ALWAYS | wanted))
    return built[1]


def is_secret_name(name: str) -> bool:
    """`password`, `Password`, `urn:...:User:password`, `client_secret`, `code`... -> True."""
    return _vocabulary().is_secret_name(name)


def redact_text(text: str) -> str:
    """Secrets removed from free text by pattern (last resort for what cannot be parsed)."""
    return _vocabulary().redact_text(text)


def _is_header_name(text: str, found: int, end: int, floor: int) -> bool:
    # `Authorization`, `Proxy-Authorization`, `Cookie`, `Set-Cookie`, `X-Cookie`: the name ends
    # the token and starts it or follows a "-".
    for size in (len("authorization"), len("cookie")):
        begin = end - size
        if begin >= floor and _HEADER_NAMES.fullmatch(text, begin, end):
            return begin == 0 or not _NAME_CHAR.match(text, begin - 1)
    return False


# A value's end, and whether it is bare (names inside it are looked at too: `a:password=x`
# reads as the name `a:password` as well as `a` = `password=x`).
ValueEnd = Callable[[str, int, int], "tuple[int, bool] | None"]


def _value(text: str, start: int, bare_end: int) -> tuple[int, bool] | None:
    if start < bare_end and text[start] not in "{[\"'":
        return bare_end, True  # inside a bare value, a bare value ends where it ends
    match = _VALUE.match(text, start)
    if match is None:
        return None
    return match.end(), text[start] not in "{[\"'"


def _line(text: str, start: int, bare_end: int) -> tuple[int, bool] | None:
    return _TO_END_OF_LINE.match(text, start).end(), False  # type: ignore[union-attr]


def _redact_after_names(
    text: str,
    anchor: re.Pattern[str],
    is_secret: Callable[[str, int, int, int], bool],
    separator: re.Pattern[str],
    value_end: ValueEnd,
) -> str:
    """Every `name<separator>value` whose name is secret, with the value replaced."""
    pieces: list[str] = []
    kept = pos = 0
    span_start = span_end = bare_end = -1  # the redacted span being extended
    folded = text.translate(_FOLD)
    while (found := anchor.search(folded, pos)) is not None:
        floor = pos
        name_end = _NAME_RUN.match(text, found.end()).end()  # type: ignore[union-attr]
        pos = name_end
        if not is_secret(text, found.start(), name_end, floor):
            continue
        assign = separator.match(text, name_end)
        if assign is None:
            continue
        value_start = assign.end()
        value = value_end(text, value_start, bare_end)
        if value is None and text.endswith("\\", name_end, value_start):
            # The optional backslash ending the separator may begin a bare value instead.
            value_start -= 1
            value = value_end(text, value_start, bare_end)
        if value is None:
            continue
        end, bare = value
        if value_start > span_end:
            if span_end >= 0:
                pieces += (text[kept:span_start], REDACTED)
                kept = span_end
            span_start, span_end = value_start, end
        else:
            span_end = max(span_end, end)
        if bare:
            bare_end = end
            pos = value_start
        else:
            pos = end
    if span_end < 0:
        return text
    pieces += (text[kept:span_start], REDACTED, text[span_end:])
    return "".join(pieces)


def _aims_at_secret(text: str, secret_in_path: re.Pattern[str]) -> bool:
    """Whether some `"path": "..."` in the text names a secret."""
    pos = 0
    folded = text.translate(_FOLD)
    while (found := _PATH_ANCHOR.search(folded, pos)) is not None:
        pos = found.end()
        assign = _PATH_ASSIGN.match(text, pos)
        if assign is None:
            continue
        quote_at = _QUOTE.search(text, assign.end())
        end = len(text) if quote_at is None else quote_at.start()
        if secret_in_path.search(text, assign.end(), end):
            return True
        pos = assign.end()
    return False


def _redact_operation_values(text: str) -> str:
    """Each `"value": ...` replaced up to the next operation's "op" or "path" key."""
    pieces: list[str] = []
    kept = pos = 0
    folded = text.translate(_FOLD)
    while (found := _VALUE_ANCHOR.search(folded, pos)) is not None:
        assign = _VALUE_ASSIGN.match(text, found.end())
        if assign is None:
            pos = found.end()
            continue
        boundary = _NEXT_OPERATION_KEY.search(text, assign.end())
        end = len(text) if boundary is None else boundary.start()
        pieces.append(text[kept : assign.end()])
        pieces.append(REDACTED)
        kept = pos = end
        if boundary is None:
            break
    if not pieces:
        return text
    pieces.append(text[kept:])
    return "".join(pieces)


class JsonObject(list[tuple[str, Any]]):
    """A JSON object as its key/value pairs, in order, repeated keys included.

    The log reads bodies this way because the last of two equal keys is all `json.loads` keeps,
    so `{"path": "password", "path": "x", "value": "secret"}` would look harmless and be stored
    as sent; here every occurrence of a key is seen and redacted.
    """


def redact_json(value: Any) -> Any:
    """A copy of a parsed JSON value (dicts or `JsonObject`s) with every secret replaced."""
    return _vocabulary().redact_json(value)


_SCALAR_ENCODER = json.JSONEncoder(ensure_ascii=False)


def dump_json(value: Any) -> str:
    """Compact JSON text of a value that may hold `JsonObject`s (repeated keys kept)."""
    if isinstance(value, JsonObject):
        members = ",".join(f"{_SCALAR_ENCODER.encode(k)}:{dump_json(v)}" for k, v in value)
        return "{" + members + "}"
    if isinstance(value, list):
        return "[" + ",".join(dump_json(item) for item in value) + "]"
    if isinstance(value, dict):
        return dump_json(JsonObject(value.items()))
    return _SCALAR_ENCODER.encode(value)


def redact_pairs(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Form fields or query parameters: secret names lose their value, the rest is scanned."""
    return _vocabulary().redact_pairs(pairs)


def redact_query(query: str | None) -> str | None:
    """A query string (without '?') with secret parameters redacted; unchanged when clean."""
    if not query:
        return query
    vocabulary = _vocabulary()
    pairs = parse_qsl(query, keep_blank_values=True)
    cleaned = vocabulary.redact_pairs(pairs)
    if cleaned == pairs and vocabulary.redact_text(query) == query:
        return query
    return _encode_pairs(cleaned)


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Header names lower-cased; credentials replaced, other values scanned for tokens."""
    result: dict[str, str] = {}
    vocabulary = _vocabulary()
    for name, value in headers.items():
        lower = name.lower()
        if lower in vocabulary.headers or vocabulary.is_secret_name(lower):
            result[lower] = _redact_credential_header(lower, value, vocabulary.schemes)
        else:
            result[lower] = vocabulary.redact_text(value)
    return result


def _redact_credential_header(name: str, value: str, schemes: frozenset[str]) -> str:
    if name.endswith("authorization"):
        scheme = value.strip().split(" ", 1)[0]
        if scheme.lower() in schemes:
            return f"{scheme} {REDACTED}"
    return REDACTED


def redact_body(
    body: str | bytes | None, content_type: str | None = None, *, max_chars: int | None = None
) -> str | None:
    """A request or response body as text, secrets removed.

    JSON (whatever the content type says) is redacted structurally and kept as sent when it
    holds no secret; form bodies field by field; anything else by pattern. `max_chars`: the
    size the log keeps; text that is not JSON is cut to it before its patterns run.
    """
    if body is None:
        return None
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    if not text.strip():
        return text
    try:
        parsed = json.loads(text, object_pairs_hook=JsonObject)
    except (ValueError, RecursionError):
        parsed = _NOT_JSON
    if max_chars is not None and parsed is _NOT_JSON:
        text = text[:max_chars]
    if parsed is not _NOT_JSON:
        try:
            cleaned = redact_json(parsed)
            if cleaned == parsed:
                return text
            return dump_json(cleaned)
        except RecursionError:
            return redact_text(text if max_chars is None else text[:max_chars])
    if _looks_like_form(text, content_type):
        pairs = parse_qsl(text.strip(), keep_blank_values=True)
        cleaned_pairs = redact_pairs(pairs)
        unchanged = cleaned_pairs == pairs and redact_text(text) == text
        return text if unchanged else _encode_pairs(cleaned_pairs)
    return redact_text(text)


_NOT_JSON = object()
_NOT_IN_FORMS = re.compile(r"[\s{}\[\]\"]")


def _looks_like_form(text: str, content_type: str | None) -> bool:
    if content_type and "x-www-form-urlencoded" in content_type.lower():
        return True
    # `name=value&...` without spaces, brackets or quotes (a plain test: a pattern for it
    # backtracked on long runs of "=").
    stripped = text.strip()
    return "=" in stripped and _NOT_IN_FORMS.search(stripped) is None


def _encode_pairs(pairs: list[tuple[str, str]]) -> str:
    # Readable yet unambiguous: only the characters that would change the meaning are escaped.
    safe = " :/,\"'[]@!$()*;"
    return "&".join(f"{quote(name, safe=safe)}={quote(value, safe=safe)}" for name, value in pairs)
