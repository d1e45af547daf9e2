"""Immutable syntax tree of SCIM attribute paths and filters (RFC 7644 section 3.4.2.2).

The parser (filter.py, paths.py) produces these nodes; the in-memory evaluator and the SQL
translation of a store both consume them. Attribute names are kept as the client spelled them;
`AttrPath.key` gives the lower-cased form used for case-insensitive matching.

A bare schema URN (an extension as a whole, as in `attributes=urn:...:enterprise:2.0:User` or a
PATCH path naming the extension) is `AttrPath(attr=<urn>)`: no `schema`, no `sub_attr`.

Binary `And`/`Or` chains are left-associative: `a or b or c` is `Or(Or(a, b), c)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

CompareOp = Literal["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"]
COMPARE_OPS: tuple[CompareOp, ...] = ("eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le")

# A literal in a filter: string, number, boolean or null (dateTime values are strings).
Literal_ = str | int | float | bool | None


@dataclass(frozen=True)
class AttrPath:
    """`[urn:...:]attr[.sub]`. `schema` is the URN prefix when the client gave one."""

    attr: str
    sub_attr: str | None = None
    schema: str | None = None

    @property
    def key(self) -> tuple[str | None, str, str | None]:
        return (
            self.schema.lower() if self.schema else None,
            self.attr.lower(),
            self.sub_attr.lower() if self.sub_attr else None,
        )

    def __str__(self) -> str:
        text = f"{self.schema}:{self.attr}" if self.schema else self.attr
        return f"{text}.{self.sub_attr}" if self.sub_attr else text


@dataclass(frozen=True)
class Compare:
    path: AttrPath
    op: CompareOp
    value: Literal_


@dataclass(frozen=True)
class Present:
    path: AttrPath


@dataclass(frozen=True)
class And:
    left: Filter
    right: Filter


@dataclass(frozen=True)
class Or:
    left: Filter
    right: Filter


@dataclass(frozen=True)
class Not:
    operand: Filter


@dataclass(frozen=True)
class ValuePath:
    """`attr[filter]` inside a filter: some element of multi-valued `attr` matches `filter`.

    Paths inside `filter` are relative to the element (their `attr` is the sub-attribute).
    """

    path: AttrPath
    filter: Filter


Filter = Compare | Present | And | Or | Not | ValuePath


@dataclass(frozen=True)
class PatchPath:
    """A PATCH target: `attr[.sub]`, or `attr[filter][.sub]` (RFC 7644 section 3.5.2)."""

    path: AttrPath
    value_filter: Filter | None = None
    value_sub_attr: str | None = None
