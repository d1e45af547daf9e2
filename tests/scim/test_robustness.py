"""Whatever a client sends, the core answers with a ScimError of the documented kind, never a
crash (KeyError, TypeError, RecursionError...)."""

from __future__ import annotations

import contextlib
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from glpi_scim.scim.errors import (
    InvalidFilter,
    InvalidPath,
    InvalidValue,
    ScimError,
    TooMany,
)
from glpi_scim.scim.filter import parse_filter
from glpi_scim.scim.patch import apply_patch
from glpi_scim.scim.paths import parse_path
from glpi_scim.scim.query import parse_list_query, parse_search_request
from glpi_scim.scim.resources import validate_resource

from .helpers import ENTERPRISE, user

FILTER_PIECES = [
    "userName",
    "emails",
    "[",
    "]",
    "(",
    ")",
    " ",
    "eq",
    "pr",
    "and",
    "or",
    "not",
    '"x"',
    "1",
    "true",
    "null",
    ".",
    "value",
    "type",
    "name.givenName",
    f"{ENTERPRISE}:manager",
    "gt",
    '"',
    "\\",
    "co",
    "meta.created",
    '"2011-05-13T04:42:34Z"',
    "active",
    "-",
    "e5",
    "members",
]
filter_texts = st.lists(st.sampled_from(FILTER_PIECES), max_size=12).map(" ".join) | st.text(
    max_size=40
)


@settings(max_examples=300, deadline=None)
@given(filter_texts, st.sampled_from([None, "User", "Group"]))
def test_filters_fail_only_with_invalid_filter(text: str, resource_type: str | None) -> None:
    with contextlib.suppress(InvalidFilter, TooMany):
        parse_filter(text, resource_type)


@settings(max_examples=200, deadline=None)
@given(filter_texts)
def test_paths_fail_only_with_invalid_path(text: str) -> None:
    with contextlib.suppress(InvalidPath):
        parse_path(text, "User")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8) | st.floats(allow_nan=False),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=8,
)
keys = st.sampled_from(
    [
        "userName",
        "name",
        "name.givenName",
        "emails",
        "active",
        "id",
        "meta",
        "schemas",
        "groups",
        "members",
        ENTERPRISE,
        f"{ENTERPRISE}:manager",
        "displayName",
        "urn:x:y:z",
        "x509Certificates",
    ]
)
bodies = st.dictionaries(keys, json_values, max_size=5) | json_values


@settings(max_examples=300, deadline=None)
@given(bodies, st.sampled_from(["User", "Group"]))
def test_validation_fails_only_with_scim_errors(body: Any, resource_type: str) -> None:
    try:
        validate_resource(body, resource_type)
    except ScimError as exc:
        assert exc.status == 400


operations = st.fixed_dictionaries(
    {"op": st.sampled_from(["add", "Replace", "remove", "bad", 3])},
    optional={
        "path": st.sampled_from(
            [
                "title",
                "emails",
                'emails[type eq "work"].value',
                "name",
                "name.givenName",
                "members",
                'members[value eq "1"]',
                ENTERPRISE,
                "id",
                "groups",
                "nope",
                "",
                4,
            ]
        ),
        "value": json_values,
    },
)
documents = (
    st.fixed_dictionaries(
        {"Operations": st.lists(operations, max_size=4)}, optional={"schemas": json_values}
    )
    | json_values
)


@settings(max_examples=300, deadline=None)
@given(documents)
def test_patch_fails_only_with_scim_errors(document: Any) -> None:
    try:
        apply_patch(user(emails=[{"value": "a", "type": "work"}]), document, "User")
    except ScimError as exc:
        assert exc.status in (400, 413)


params = st.dictionaries(
    st.sampled_from(
        [
            "filter",
            "sortBy",
            "sortOrder",
            "startIndex",
            "count",
            "attributes",
            "excludedAttributes",
            "COUNT",
            "other",
        ]
    ),
    st.text(max_size=10) | st.lists(st.text(max_size=5), max_size=2),
    max_size=5,
)


@settings(max_examples=300, deadline=None)
@given(params)
def test_list_parameters_fail_only_with_400s(query: dict[str, Any]) -> None:
    with contextlib.suppress(InvalidValue, InvalidFilter, TooMany):
        parse_list_query(query, "User")


@settings(max_examples=200, deadline=None)
@given(
    json_values | st.dictionaries(st.sampled_from(["count", "sortBy", "attributes"]), json_values)
)
def test_search_requests_fail_only_with_400s(body: Any) -> None:
    try:
        parse_search_request(body, "Group")
    except ScimError as exc:
        assert exc.status == 400
