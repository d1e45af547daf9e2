"""Tokenizer and recursive-descent parser for SCIM filters and PATCH paths.

Grammar (RFC 7644 §3.4.2.2 and §3.5.2, with the errata that forbid a value path inside a
value filter):

    FILTER    = OR
    OR        = AND *("or" AND)                     ; "and" binds tighter than "or"
    AND       = UNARY *("and" UNARY)
    UNARY     = "not" "(" FILTER ")" / "(" FILTER ")" / valuePath / attrExp
    valuePath = attrPath "[" FILTER "]"             ; no valuePath inside the brackets
                [ "." subAttr ( "pr" / compareOp compValue ) ]   ; Entra form, see below
    attrExp   = attrPath "pr" / attrPath compareOp compValue
    PATH      = attrPath / attrPath "[" FILTER "]" [ "." subAttr ]

Keywords and operators are case-insensitive. `emails[type eq "work"].value eq "x"` (sent by
Microsoft Entra ID) is read as `emails[type eq "work" and value eq "x"]`.

Errors carry the character position; the public entry points (filter.py, paths.py) turn them
into InvalidFilter or InvalidPath with a 1-based "at character N".
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from glpi_scim.errors import GlpiScimError
from glpi_scim.scim.ast import (
    COMPARE_OPS,
    And,
    AttrPath,
    Compare,
    CompareOp,
    Filter,
    Literal_,
    Not,
    Or,
    PatchPath,
    Present,
    ValuePath,
)


class GrammarError(GlpiScimError):
    """A syntax or semantic error at a character position (0-based `pos`)."""

    def __init__(self, message: str, pos: int) -> None:
        super().__init__(message)
        self.message = message
        self.pos = pos


_ATTRNAME = r"\$?[A-Za-z][A-Za-z0-9_-]*"
_ATTRNAME_RE = re.compile(_ATTRNAME)
_NAME_PATH_RE = re.compile(rf"(?P<attr>{_ATTRNAME})(?:\.(?P<sub>{_ATTRNAME}))?")
_URN_RE = re.compile(r"[uU][rR][nN](?::[^\s:\[\]()\"]+){2,}")

_TOKEN_RE = re.compile(
    r"""
    (?P<space>[ \t\r\n]+)
  | (?P<punct>[()\[\]])
  | (?P<dot>\.)
  | (?P<string>"(?:[^"\\\x00-\x1f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*")
  | (?P<number>-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?(?![A-Za-z0-9_$.:-]))
  | (?P<word>[A-Za-z$][A-Za-z0-9$_:.-]*)
    """,
    re.VERBOSE,
)

_OPS: frozenset[str] = frozenset(COMPARE_OPS)


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # "punct", "dot", "string", "number", "word", "end"
    text: str
    pos: int


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    length = len(text)
    while pos < length:
        match = _TOKEN_RE.match(text, pos)
        if match is None:
            char = text[pos]
            if char == '"':
                raise GrammarError("unterminated or badly escaped string", pos)
            raise GrammarError(f"unexpected character {char!r}", pos)
        kind = match.lastgroup or ""
        if kind != "space":
            tokens.append(Token(kind, match.group(), pos))
        pos = match.end()
    tokens.append(Token("end", "", length))
    return tokens


def parse_attr_path_token(text: str, pos: int) -> AttrPath:
    """An `attrPath` (`[urn:...:]attr[.sub]`) from the text of one word token."""
    urn: str | None = None
    rest = text
    if text[:4].lower() == "urn:":
        urn, _, rest = text.rpartition(":")  # the attribute name holds no colon
        if _URN_RE.fullmatch(urn) is None:
            raise GrammarError(f"{_short(urn)!r} is not a valid schema URN", pos)
    match = _NAME_PATH_RE.fullmatch(rest)
    if match is None:
        raise GrammarError(f"{_short(text)!r} is not a valid attribute path", pos)
    return AttrPath(match.group("attr"), match.group("sub"), urn)


# Called for each leaf as it is built: (leaf, scope) -> leaf to keep, where `scope` is the
# attribute of the enclosing value path (None at the top level). Raises ValueError to refuse.
LeafCheck = Callable[[Compare | Present, AttrPath | None], Compare | Present]
# Called for the attribute before `[`; raises ValueError to refuse it.
ValuePathCheck = Callable[[AttrPath], None]


@dataclass
class Hooks:
    """Schema checks a caller plugs in; each raises ValueError with a message to refuse."""

    leaf: LeafCheck | None = None
    value_path: ValuePathCheck | None = None


class Parser:
    def __init__(self, text: str, *, max_depth: int, hooks: Hooks | None = None) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0
        self.depth = 0
        self.max_depth = max_depth
        self.hooks = hooks or Hooks()

    # -- token helpers
    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def peek(self, offset: int = 1) -> Token:
        return self.tokens[min(self.index + offset, len(self.tokens) - 1)]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        if token.kind != "end":
            self.index += 1
        return token

    def is_word(self, *words: str) -> bool:
        return self.token.kind == "word" and self.token.text.lower() in words

    def expect(self, text: str, what: str) -> Token:
        if self.token.text != text or self.token.kind != "punct":
            raise GrammarError(f"expected {what}, found {describe(self.token)}", self.token.pos)
        return self.advance()

    def nest(self, pos: int) -> None:
        self.depth += 1
        if self.depth > self.max_depth:
            raise GrammarError(f"nesting deeper than {self.max_depth} levels", pos)

    def unnest(self) -> None:
        self.depth -= 1

    def finish(self) -> None:
        if self.token.kind != "end":
            raise GrammarError(f"unexpected {describe(self.token)}", self.token.pos)

    # -- filters
    def parse_filter(self, scope: AttrPath | None = None) -> Filter:
        left = self.parse_and(scope)
        while self.is_word("or"):
            self.advance()
            left = Or(left, self.parse_and(scope))
        return left

    def parse_and(self, scope: AttrPath | None) -> Filter:
        left = self.parse_unary(scope)
        while self.is_word("and"):
            self.advance()
            left = And(left, self.parse_unary(scope))
        return left

    def parse_unary(self, scope: AttrPath | None) -> Filter:
        token = self.token
        if token.kind == "punct" and token.text == "(":
            self.advance()
            self.nest(token.pos)
            inner = self.parse_filter(scope)
            self.expect(")", "')'")
            self.unnest()
            return inner
        if self.is_word("not") and self.peek().text == "(" and self.peek().kind == "punct":
            self.advance()
            self.advance()
            self.nest(token.pos)
            inner = self.parse_filter(scope)
            self.expect(")", "')' closing 'not ('")
            self.unnest()
            return Not(inner)
        if token.kind != "word":
            raise GrammarError(
                f"expected an attribute name, '(' or 'not', found {describe(token)}", token.pos
            )
        self.advance()
        path = parse_attr_path_token(token.text, token.pos)
        if self.token.kind == "punct" and self.token.text == "[":
            return self.parse_value_path(path, token.pos, scope)
        return self.parse_attr_exp(path, token.pos, scope)

    def parse_value_path(self, path: AttrPath, pos: int, scope: AttrPath | None) -> Filter:
        if scope is not None:
            raise GrammarError("a value filter cannot contain another value filter", pos)
        inner = self.parse_brackets(path, pos)
        if self.token.kind == "dot":
            # Entra: emails[type eq "work"].value eq "x" -> emails[type eq "work" and value eq "x"]
            self.advance()
            sub_token = self.advance()
            if sub_token.kind != "word" or not _ATTRNAME_RE.fullmatch(sub_token.text):
                raise GrammarError(
                    f"expected a sub-attribute name after ']', found {describe(sub_token)}",
                    sub_token.pos,
                )
            leaf = self.parse_attr_exp(AttrPath(sub_token.text), sub_token.pos, path)
            inner = And(inner, leaf)
        return ValuePath(path, inner)

    def parse_brackets(self, path: AttrPath, pos: int) -> Filter:
        if path.sub_attr is not None:
            raise GrammarError(f"a value filter cannot follow the sub-attribute {path}", pos)
        if self.hooks.value_path is not None:
            try:
                self.hooks.value_path(path)
            except ValueError as exc:
                raise GrammarError(str(exc), pos) from exc
        bracket = self.expect("[", "'['")
        self.nest(bracket.pos)
        inner = self.parse_filter(path)
        self.expect("]", "']' closing the value filter")
        self.unnest()
        return inner

    def parse_attr_exp(self, path: AttrPath, pos: int, scope: AttrPath | None) -> Compare | Present:
        op_token = self.advance()
        op = op_token.text.lower()
        leaf: Compare | Present
        if op_token.kind == "word" and op == "pr":
            leaf = Present(path)
        elif op_token.kind == "word" and op in _OPS:
            leaf = Compare(path, _as_op(op), self.parse_value())
        else:
            raise GrammarError(
                f"expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr) after '{path}', "
                f"found {describe(op_token)}",
                op_token.pos,
            )
        if self.hooks.leaf is not None:
            try:
                leaf = self.hooks.leaf(leaf, scope)
            except ValueError as exc:
                raise GrammarError(str(exc), pos) from exc
        return leaf

    def parse_value(self) -> Literal_:
        token = self.advance()
        if token.kind == "string":
            value: str = json.loads(token.text)
            if not value.isascii():
                try:
                    value.encode("utf-8")
                except UnicodeEncodeError:
                    # "\ud800" is valid JSON, but no database can compare with half a character.
                    raise GrammarError(
                        "the string holds an unpaired UTF-16 surrogate escape", token.pos
                    ) from None
            return value
        if token.kind == "number":
            return _number(token)
        if token.kind == "word":
            word = token.text.lower()
            if word == "true":
                return True
            if word == "false":
                return False
            if word == "null":
                return None
        raise GrammarError(
            f"expected a value (a quoted string, a number, true, false or null), "
            f"found {describe(token)}",
            token.pos,
        )

    # -- PATCH paths
    def parse_patch_path(self) -> PatchPath:
        token = self.advance()
        if token.kind != "word":
            raise GrammarError(f"expected an attribute path, found {describe(token)}", token.pos)
        path = parse_attr_path_token(token.text, token.pos)
        value_filter: Filter | None = None
        sub: str | None = None
        if self.token.kind == "punct" and self.token.text == "[":
            value_filter = self.parse_brackets(path, token.pos)
            if self.token.kind == "dot":
                self.advance()
                sub_token = self.advance()
                if sub_token.kind != "word" or not _ATTRNAME_RE.fullmatch(sub_token.text):
                    raise GrammarError(
                        f"expected a sub-attribute name after ']', found {describe(sub_token)}",
                        sub_token.pos,
                    )
                sub = sub_token.text
        self.finish()
        return PatchPath(path, value_filter, sub)


def _as_op(op: str) -> CompareOp:
    for known in COMPARE_OPS:
        if known == op:
            return known
    raise AssertionError(op)  # pragma: no cover - callers check membership first


def _number(token: Token) -> int | float:
    text = token.text
    if not any(c in text for c in ".eE"):
        return int(text)
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise GrammarError(f"number out of range: {text}", token.pos)
    return value


def describe(token: Token) -> str:
    if token.kind == "end":
        return "the end of the text"
    return repr(_short(token.text))


def _short(text: str) -> str:
    """Client text quoted in a message, cut so that errors stay readable."""
    return text if len(text) <= 40 else text[:37] + "..."


def locate(text: str, error: GrammarError) -> str:
    """`message at character N` with a short excerpt of the text from that position."""
    excerpt = text[error.pos : error.pos + 20]
    near = f" (near {excerpt!r})" if excerpt else ""
    return f"{error.message} at character {error.pos + 1}{near}"
