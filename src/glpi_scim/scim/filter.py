"""SCIM filters (RFC 7644 §3.4.2.2): parse to an immutable AST, print back, evaluate in memory.

`parse_filter(text, "User")` also checks every attribute against the User schema, so a store
never receives a filter on an attribute it does not know: an unknown attribute is a 400
invalidFilter (never silently dropped), as is an operator the attribute type does not support.
"""

from __future__ import annotations

import json
from functools import lru_cache

from glpi_scim.errors import GlpiScimError
from glpi_scim.scim.ast import (
    And,
    AttrPath,
    Compare,
    Filter,
    Literal_,
    Not,
    Or,
    Present,
    ValuePath,
)
from glpi_scim.scim.attributes import Attribute
from glpi_scim.scim.errors import InvalidFilter, TooMany
from glpi_scim.scim.evaluate import comparison_attribute, matches
from glpi_scim.scim.grammar import GrammarError, Hooks, Parser, locate
from glpi_scim.scim.schemas import ResourceType, resource_type
from glpi_scim.scim.values import parse_boolean, parse_datetime

__all__ = [
    "DEFAULT_MAX_CLAUSES",
    "DEFAULT_MAX_DEPTH",
    "DEFAULT_MAX_LENGTH",
    "UnknownAttribute",
    "attribute_paths",
    "check_leaf",
    "comparison_attribute",
    "matches",
    "parse_filter",
    "restrict",
    "to_string",
]

DEFAULT_MAX_LENGTH = 4096
DEFAULT_MAX_DEPTH = 32
# Comparisons and presence tests in one filter: each one is work for every candidate row.
DEFAULT_MAX_CLAUSES = 50

_SUBSTRING = frozenset({"co", "sw", "ew"})


class UnknownAttribute(GlpiScimError, ValueError):
    """The filter names an attribute the resource type does not have."""


def parse_filter(
    text: str,
    resource_type_: str | ResourceType | None = None,
    *,
    max_length: int = DEFAULT_MAX_LENGTH,
    max_depth: int = DEFAULT_MAX_DEPTH,
    max_clauses: int = DEFAULT_MAX_CLAUSES,
) -> Filter:
    """Parse a filter; with a resource type, validate and normalise it against its schema.

    Raises InvalidFilter (syntax, unknown attribute, operator or value not valid for the
    attribute, nesting deeper than `max_depth`, more than `max_clauses` comparisons) or TooMany
    (longer than `max_length`).
    """
    if len(text) > max_length:
        raise TooMany(f"the filter is longer than {max_length} characters")
    if not text.strip():
        raise InvalidFilter("the filter is empty")
    name = resource_type(resource_type_).name if resource_type_ is not None else None
    if len(text) <= _CACHED_LENGTH:
        parsed = _parse_cached(text, name, max_depth)
    else:
        parsed = _parse(text, name, max_depth)
    clauses = count_clauses(parsed)
    if clauses > max_clauses:
        raise InvalidFilter(
            f"the filter has {clauses} comparisons; at most {max_clauses} are allowed in one "
            "filter: split the search into several requests"
        )
    return parsed


def count_clauses(node: Filter) -> int:
    """The comparisons and presence tests of a filter, value filters included."""
    if isinstance(node, And | Or):
        return count_clauses(node.left) + count_clauses(node.right)
    if isinstance(node, Not):
        return count_clauses(node.operand)
    if isinstance(node, ValuePath):
        return count_clauses(node.filter)
    return 1


# IdPs send the same few filters over and over; trees are immutable, so they can be shared.
_CACHED_LENGTH = 512


def _parse(text: str, resource_type_name: str | None, max_depth: int) -> Filter:
    hooks = Hooks()
    if resource_type_name is not None:
        rt = resource_type(resource_type_name)
        hooks = Hooks(
            leaf=lambda leaf, scope: check_leaf(rt, leaf, scope),
            value_path=lambda path: check_value_path(rt, path),
        )
    try:
        parser = Parser(text, max_depth=max_depth, hooks=hooks)
        result = parser.parse_filter()
        parser.finish()
    except GrammarError as exc:
        raise InvalidFilter(f"invalid filter: {locate(text, exc)}") from None
    return result


_parse_cached = lru_cache(maxsize=1024)(_parse)


def check_value_path(rt: ResourceType, path: AttrPath) -> None:
    """Refuse `attr[...]` unless `attr` is a multi-valued attribute of the resource type."""
    resolved = rt.resolve(path)
    if resolved is None:
        raise UnknownAttribute(f"unknown attribute '{path}'")
    if not resolved.attribute.multi_valued:
        raise ValueError(f"'{path}' is not multi-valued: a value filter '[...]' needs a list")


def _leaf_attribute(rt: ResourceType, path: AttrPath, scope: AttrPath | None) -> Attribute:
    if scope is None:
        resolved = rt.resolve(path)
        if resolved is None:
            raise UnknownAttribute(f"unknown attribute '{path}'")
        return resolved.target
    if path.schema is not None or path.sub_attr is not None:
        raise ValueError(
            f"'{path}' inside '{scope}[...]' must be a plain sub-attribute name of '{scope}'"
        )
    parent = rt.resolve(scope)
    sub = parent.attribute.sub(path.attr) if parent is not None else None
    if sub is None:
        raise UnknownAttribute(f"unknown attribute '{scope}.{path.attr}'")
    return sub


def check_leaf(
    rt: ResourceType, leaf: Compare | Present, scope: AttrPath | None
) -> Compare | Present:
    """Validate one comparison or presence test against the schema; may normalise its value."""
    attribute = _leaf_attribute(rt, leaf.path, scope)
    if attribute.returned == "never":
        raise ValueError(f"'{leaf.path}' cannot be used in a filter")
    if isinstance(leaf, Present):
        return leaf
    target = comparison_attribute(attribute)
    if target.is_complex:
        raise ValueError(
            f"'{leaf.path}' is a complex attribute: compare one of its sub-attributes, or use 'pr'"
        )
    value = _check_value(target, leaf)
    return leaf if value is leaf.value else Compare(leaf.path, leaf.op, value)


def _check_value(attribute: Attribute, leaf: Compare) -> Literal_:
    op, value, kind = leaf.op, leaf.value, attribute.type
    if value is None:
        if op not in ("eq", "ne"):
            raise ValueError(f"'{op}' cannot compare with null")
        return value
    if kind == "boolean":
        if op not in ("eq", "ne"):
            raise ValueError(f"'{op}' is not valid for the boolean attribute '{leaf.path}'")
        flag = parse_boolean(value)
        if flag is None:
            raise ValueError(f"'{leaf.path}' is boolean: compare it with true or false")
        return flag
    if kind == "binary" and op not in ("eq", "ne"):
        raise ValueError(f"'{op}' is not valid for the binary attribute '{leaf.path}'")
    if kind in ("integer", "decimal"):
        if op in _SUBSTRING:
            raise ValueError(f"'{op}' is not valid for the numeric attribute '{leaf.path}'")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"'{leaf.path}' is numeric: compare it with a number")
        if kind == "integer" and isinstance(value, float) and not value.is_integer():
            raise ValueError(f"'{leaf.path}' is an integer: {value} is not one")
        return value
    if not isinstance(value, str):
        raise ValueError(f"'{leaf.path}' is a {kind}: compare it with a quoted string")
    if kind == "dateTime":
        if op in _SUBSTRING:
            raise ValueError(f"'{op}' is not valid for the dateTime attribute '{leaf.path}'")
        if parse_datetime(value) is None:
            raise ValueError(f'{value!r} is not a dateTime such as "2011-05-13T04:42:34Z"')
    return value


def restrict(filter_: Filter, resource_type_: str | ResourceType) -> Filter | bool:
    """The filter as it applies to one resource type, for a search across several types.

    Tests on attributes the type does not have are false (RFC 7644 §3.4.2.1), and the result is
    simplified: True means every resource matches, False that none does. Other errors raise
    InvalidFilter.
    """
    rt = resource_type(resource_type_)

    def walk(node: Filter, scope: AttrPath | None) -> Filter | bool:
        try:
            if isinstance(node, Compare | Present):
                return check_leaf(rt, node, scope)
            if isinstance(node, ValuePath):
                check_value_path(rt, node.path)
                inner = walk(node.filter, node.path)
                if inner is False:
                    return False
                return Present(node.path) if inner is True else ValuePath(node.path, inner)
        except UnknownAttribute:
            return False
        except ValueError as exc:
            raise InvalidFilter(f"invalid filter: {exc}") from None
        if isinstance(node, Not):
            operand = walk(node.operand, scope)
            return (not operand) if isinstance(operand, bool) else Not(operand)
        left, right = walk(node.left, scope), walk(node.right, scope)
        if isinstance(node, And):
            if left is False or right is False:
                return False
            if left is True:
                return right
            return left if right is True else And(left, right)
        if left is True or right is True:
            return True
        if left is False:
            return right
        return left if right is False else Or(left, right)

    return walk(filter_, None)


# -- printing


def literal(value: Literal_) -> str:
    """A filter literal in the JSON syntax the grammar reads back."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return json.dumps(value)
    return json.dumps(value, ensure_ascii=False)


def to_string(filter_: Filter) -> str:
    """Print a filter so that `parse_filter(to_string(f)) == f`."""
    if isinstance(filter_, Compare):
        return f"{filter_.path} {filter_.op} {literal(filter_.value)}"
    if isinstance(filter_, Present):
        return f"{filter_.path} pr"
    if isinstance(filter_, Not):
        return f"not ({to_string(filter_.operand)})"
    if isinstance(filter_, ValuePath):
        return f"{filter_.path}[{to_string(filter_.filter)}]"
    # Chains are left-associative: parenthesise a right operand of the same kind, and an `or`
    # inside an `and`.
    if isinstance(filter_, And):
        left = _wrap(filter_.left, isinstance(filter_.left, Or))
        right = _wrap(filter_.right, isinstance(filter_.right, And | Or))
        return f"{left} and {right}"
    left = to_string(filter_.left)
    right = _wrap(filter_.right, isinstance(filter_.right, Or))
    return f"{left} or {right}"


def _wrap(node: Filter, parenthesise: bool) -> str:
    text = to_string(node)
    return f"({text})" if parenthesise else text


def attribute_paths(filter_: Filter) -> list[AttrPath]:
    """The top-level attribute paths a filter tests (value paths count as their attribute)."""
    found: list[AttrPath] = []

    def walk(node: Filter) -> None:
        if isinstance(node, Compare | Present | ValuePath):
            found.append(node.path)
        elif isinstance(node, Not):
            walk(node.operand)
        else:
            walk(node.left)
            walk(node.right)

    walk(filter_)
    return found
