"""Property tests: printing round-trips, and parser and evaluator agree with scim2-models.

scim2-models is only a test oracle here: its grammar and its `ScimFilter.match` are an
independent reading of RFC 7644 §3.4.2.2.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scim2_models import EnterpriseUser, ScimFilter, User
from scim2_models.path import expressions as oracle
from scim2_models.path.grammar import _parse_filter as oracle_parse

from glpi_scim.scim.ast import And, AttrPath, Compare, Filter, Not, Or, Present, ValuePath
from glpi_scim.scim.filter import matches, parse_filter, to_string

from .helpers import ENTERPRISE, USER_URN

KEYWORDS = {"and", "or", "not", "pr", "eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"}
KEYWORDS |= {"true", "false", "null"}
OPS = ["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"]

# -- arbitrary syntax trees -------------------------------------------------------------------

names = st.from_regex(r"\$?[A-Za-z][A-Za-z0-9_-]{0,7}", fullmatch=True).filter(
    lambda n: n.lower() not in KEYWORDS
)
urns = st.lists(
    st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,5}", fullmatch=True), min_size=2, max_size=5
).map(lambda parts: "urn:" + ":".join(parts))
literals = st.one_of(
    st.text(max_size=12),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
)


@st.composite
def attr_paths(draw: st.DrawFn, *, plain: bool = False) -> AttrPath:
    attr = draw(names)
    if plain:
        return AttrPath(attr)
    sub = draw(st.none() | names)
    schema = draw(st.none() | urns)
    return AttrPath(attr, sub, schema)


def leaves(plain: bool) -> st.SearchStrategy[Filter]:
    compare = st.builds(Compare, attr_paths(plain=plain), st.sampled_from(OPS), literals)
    present = st.builds(Present, attr_paths(plain=plain))
    return compare | present


def combine(children: st.SearchStrategy[Filter]) -> st.SearchStrategy[Filter]:
    return (
        st.builds(And, children, children)
        | st.builds(Or, children, children)
        | st.builds(Not, children)
    )


inner_filters = st.recursive(leaves(plain=True), combine, max_leaves=4)
value_paths = st.builds(
    ValuePath, st.builds(AttrPath, names, st.none(), st.none() | urns), inner_filters
)
filters = st.recursive(leaves(plain=False) | value_paths, combine, max_leaves=8)


@settings(max_examples=300, deadline=None)
@given(filters)
def test_printing_then_parsing_gives_the_same_tree(filter_: Filter) -> None:
    assert parse_filter(to_string(filter_)) == filter_


# -- the parser agrees with scim2-models ------------------------------------------------------


def from_oracle(node: Any) -> Filter:
    """scim2-models' tree in this project's node classes (its chains become left folds)."""
    if isinstance(node, oracle.Comparison):
        return Compare(_path(node.attr_path), node.op.value, node.value)
    if isinstance(node, oracle.Present):
        return Present(_path(node.attr_path))
    if isinstance(node, oracle.Not):
        return Not(from_oracle(node.expr))
    if isinstance(node, oracle.ValuePath):
        return ValuePath(_path(node.attr_path), from_oracle(node.val_filter))
    assert isinstance(node, oracle.LogicalExpr)
    kind = And if node.op == oracle.LogicalOperator.and_ else Or
    result = from_oracle(node.terms[0])
    for term in node.terms[1:]:
        result = kind(result, from_oracle(term))
    return result


def _path(path: Any) -> AttrPath:
    return AttrPath(path.attr, path.sub_attr, path.uri)


oracle_names = names.filter(lambda n: "$" not in n)
oracle_urns = st.lists(
    st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,5}", fullmatch=True), min_size=2, max_size=4
).map(lambda parts: "urn:" + ":".join(parts))
oracle_leaves = st.builds(
    Compare,
    st.builds(AttrPath, oracle_names, st.none() | oracle_names, st.none() | oracle_urns),
    st.sampled_from(OPS),
    literals,
) | st.builds(Present, st.builds(AttrPath, oracle_names))
oracle_inner = st.recursive(
    st.builds(Compare, st.builds(AttrPath, oracle_names), st.sampled_from(OPS), literals),
    combine,
    max_leaves=3,
)
oracle_filters = st.recursive(
    oracle_leaves | st.builds(ValuePath, st.builds(AttrPath, oracle_names), oracle_inner),
    combine,
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(oracle_filters)
def test_parser_agrees_with_scim2_models(filter_: Filter) -> None:
    text = to_string(filter_)
    assert parse_filter(text) == from_oracle(oracle_parse(text))


@given(st.sampled_from(['a eq "x" or b eq 1 and not (c pr)', 'emails[type eq "w"].value eq "v"']))
def test_hand_picked_forms_agree_with_scim2_models(text: str) -> None:
    assert parse_filter(text) == from_oracle(oracle_parse(text))


# -- the evaluator agrees with scim2-models on User resources --------------------------------

USER_NAMES = ["bjensen", "BJensen", "alice", "Zoé", "zoe"]
WORDS = ["a", "A", "ab", "Ab", "ba", "Tour Guide", "é"]
EMAILS = ["a@x.org", "A@X.org", "b@y.com", "bjensen@example.com"]
PHONES = ["555-1234", "+33 1 23", "555"]
DATES = [
    "2011-08-01T18:29:49Z",
    "2011-08-01T20:29:49+02:00",
    "2011-08-01T18:29:49.500Z",
    "2020-01-01T00:00:00Z",
]
EMAIL_TYPES = ["work", "home", "other"]
PHONE_TYPES = ["work", "home", "mobile", "fax", "pager", "other"]


def optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


@st.composite
def multi_values(draw: st.DrawFn, values: list[str], types: list[str]) -> list[dict[str, Any]]:
    items = []
    primary_used = False
    for _ in range(draw(st.integers(0, 3))):
        item: dict[str, Any] = {"value": draw(st.sampled_from(values))}
        kind = draw(optional(st.sampled_from(types)))
        if kind is not None:
            item["type"] = kind
        primary = draw(optional(st.booleans()))
        if primary is not None and not (primary and primary_used):
            item["primary"] = primary
            primary_used = primary_used or primary
        items.append(item)
    return items


@st.composite
def users(draw: st.DrawFn) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "schemas": [USER_URN],
        "userName": draw(st.sampled_from(USER_NAMES)),
    }
    for attr in ("title", "nickName", "displayName", "userType"):
        value = draw(optional(st.sampled_from(WORDS)))
        if value is not None:
            resource[attr] = value
    external = draw(optional(st.sampled_from(["Ext-1", "ext-1", "x"])))
    if external is not None:
        resource["externalId"] = external
    active = draw(optional(st.booleans()))
    if active is not None:
        resource["active"] = active
    name = {
        k: v
        for k in ("givenName", "familyName")
        if (v := draw(optional(st.sampled_from(WORDS)))) is not None
    }
    if name:
        resource["name"] = name
    emails = draw(multi_values(EMAILS, EMAIL_TYPES))
    if emails:
        resource["emails"] = emails
    phones = draw(multi_values(PHONES, PHONE_TYPES))
    if phones:
        resource["phoneNumbers"] = phones
    meta = {
        k: v
        for k in ("created", "lastModified")
        if (v := draw(optional(st.sampled_from(DATES)))) is not None
    }
    if meta:
        resource["meta"] = meta
    enterprise: dict[str, Any] = {}
    for attr in ("employeeNumber", "department"):
        value = draw(optional(st.sampled_from(WORDS)))
        if value is not None:
            enterprise[attr] = value
    manager = draw(optional(st.sampled_from(["M1", "m1", "M2"])))
    if manager is not None:
        enterprise["manager"] = {"value": manager}
    if enterprise:
        resource[ENTERPRISE] = enterprise
        resource["schemas"] = [USER_URN, ENTERPRISE]
    return resource


STRING_ATTRS: list[tuple[AttrPath, list[str]]] = [
    (AttrPath("userName"), USER_NAMES),
    (AttrPath("title"), WORDS),
    (AttrPath("nickName"), WORDS),
    (AttrPath("userType"), WORDS),
    (AttrPath("externalId"), ["Ext-1", "ext-1", "x", "EXT-1"]),
    (AttrPath("name", "givenName"), WORDS),
    (AttrPath("name", "familyName"), WORDS),
    (AttrPath("emails", "value"), EMAILS),
    (AttrPath("emails"), EMAILS),
    (AttrPath("phoneNumbers", "value"), PHONES),
    (AttrPath("employeeNumber", None, ENTERPRISE), WORDS),
    (AttrPath("department", None, ENTERPRISE), WORDS),
    (AttrPath("manager", "value", ENTERPRISE), ["M1", "m1", "M2"]),
]
CANONICAL_ATTRS: list[tuple[AttrPath, list[str]]] = [
    (AttrPath("emails", "type"), EMAIL_TYPES),
    (AttrPath("phoneNumbers", "type"), PHONE_TYPES),
]
BOOL_ATTRS = [AttrPath("active"), AttrPath("emails", "primary")]
DATE_ATTRS = [AttrPath("meta", "created"), AttrPath("meta", "lastModified")]
PRESENT_ATTRS = [
    *(p for p, _ in STRING_ATTRS),
    AttrPath("name"),
    AttrPath("phoneNumbers"),
    AttrPath("manager", None, ENTERPRISE),
    AttrPath("active"),
    AttrPath("meta", "created"),
]


@st.composite
def string_leaf(draw: st.DrawFn) -> Filter:
    path, pool = draw(st.sampled_from(STRING_ATTRS + CANONICAL_ATTRS))
    op = draw(st.sampled_from(OPS))
    if op in ("co", "sw", "ew"):
        value: Any = draw(st.sampled_from(["a", "A", "x", "é", "@", "5", "m", "Guide", "."]))
    else:
        value = draw(st.sampled_from([*pool, None] if op in ("eq", "ne") else pool))
    return Compare(path, op, value)  # type: ignore[arg-type]


bool_leaf = st.builds(
    Compare, st.sampled_from(BOOL_ATTRS), st.sampled_from(["eq", "ne"]), optional(st.booleans())
)
date_leaf = st.builds(
    Compare,
    st.sampled_from(DATE_ATTRS),
    st.sampled_from(["eq", "ne", "gt", "ge", "lt", "le"]),
    st.sampled_from(DATES),
)
present_leaf = st.builds(Present, st.sampled_from(PRESENT_ATTRS))
top_leaves = string_leaf() | bool_leaf | date_leaf | present_leaf


@st.composite
def element_leaf(draw: st.DrawFn, values: list[str], types: list[str]) -> Filter:
    sub = draw(st.sampled_from(["value", "type", "primary"]))
    if sub == "primary":
        return Compare(
            AttrPath("primary"), draw(st.sampled_from(["eq", "ne"])), draw(st.booleans())
        )
    if draw(st.booleans()):
        return Present(AttrPath(sub))
    op = draw(st.sampled_from(["eq", "ne", "sw"]))
    pool = values if sub == "value" else types
    value = draw(st.sampled_from(pool)) if op != "sw" else draw(st.sampled_from(["a", "w", "5"]))
    return Compare(AttrPath(sub), op, value)  # type: ignore[arg-type]


user_value_paths = st.builds(
    ValuePath,
    st.just(AttrPath("emails")),
    st.recursive(element_leaf(EMAILS, EMAIL_TYPES), combine, max_leaves=3),
) | st.builds(
    ValuePath,
    st.just(AttrPath("phoneNumbers")),
    st.recursive(element_leaf(PHONES, PHONE_TYPES), combine, max_leaves=3),
)
user_filters = st.recursive(top_leaves | user_value_paths, combine, max_leaves=5)
OracleUser = User[EnterpriseUser]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(user_filters, users())
def test_evaluator_agrees_with_scim2_models(filter_: Filter, resource: dict[str, Any]) -> None:
    text = to_string(filter_)
    mine = matches(parse_filter(text, "User"), resource, "User")
    theirs = ScimFilter[OracleUser](text).match(OracleUser.model_validate(resource))
    assert mine is theirs, text
