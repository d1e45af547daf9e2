"""List and search parameters (RFC 7644 §3.4.2, §3.4.3) -> ListQuery."""

from __future__ import annotations

from typing import Any

import pytest

from glpi_scim.scim.ast import AttrPath, Compare
from glpi_scim.scim.errors import InvalidFilter, InvalidSyntax, InvalidValue, TooMany
from glpi_scim.scim.query import QueryLimits, parse_list_query, parse_search_request
from glpi_scim.scim.store import ListQuery

from .helpers import ENTERPRISE, SEARCH_REQUEST

LIMITS = QueryLimits(max_results=100)


def query(params: dict[str, Any], resource_type: str | None = "User") -> ListQuery:
    return parse_list_query(params, resource_type, LIMITS)


def test_defaults() -> None:
    assert query({}) == ListQuery(count=100, skip=frozenset({"password"}))
    assert parse_list_query({}, "User", QueryLimits(max_results=100, default_count=20)).count == 20


def test_filter() -> None:
    assert query({"filter": 'userName eq "x"'}).filter == Compare(AttrPath("userName"), "eq", "x")
    assert query({"filter": "  "}).filter is None
    with pytest.raises(InvalidFilter):
        query({"filter": "nope pr"})
    with pytest.raises(TooMany):
        parse_list_query({"filter": "a pr " * 100}, None, QueryLimits(max_filter_length=50))


@pytest.mark.parametrize(
    ("given", "expected"), [("1", 1), ("0", 1), ("-5", 1), ("42", 42), (" 7 ", 7), (None, 1)]
)
def test_start_index(given: str | None, expected: int) -> None:
    assert query({"startIndex": given}).start_index == expected


@pytest.mark.parametrize(
    ("given", "expected"), [("10", 10), ("0", 0), ("-1", 0), ("100", 100), ("5000", 100)]
)
def test_count(given: str, expected: int) -> None:
    assert query({"count": given}).count == expected


@pytest.mark.parametrize(
    "params",
    [
        {"count": "ten"},
        {"count": "1.5"},
        {"startIndex": "abc"},
        {"startIndex": "١٢"},
        {"sortOrder": "up"},
        {"sortBy": "nope"},
        {"sortBy": "name"},
        {"sortBy": "password"},
        {"sortBy": "a b"},
        {"attributes": "userName,a b"},
        {"excludedAttributes": "[x]"},
    ],
)
def test_bad_values_are_invalid_value(params: dict[str, Any]) -> None:
    with pytest.raises(InvalidValue) as caught:
        query(params)
    assert caught.value.status == 400
    assert caught.value.scim_type == "invalidValue"


def test_sort() -> None:
    assert query({"sortBy": "USERNAME"}).sort_by == AttrPath("userName")
    assert query({"sortBy": "name.familyName"}).sort_by == AttrPath("name", "familyName")
    assert query({"sortBy": "emails"}).sort_by == AttrPath("emails", "value")
    assert query({"sortBy": "meta.lastModified"}).sort_by == AttrPath("meta", "lastModified")
    assert query({"sortBy": f"{ENTERPRISE}:manager.value"}).sort_by == AttrPath(
        "manager", "value", ENTERPRISE
    )
    assert query({"sortBy": "userName", "sortOrder": "DESCENDING"}).descending is True
    assert query({"sortBy": "userName", "sortOrder": "ascending"}).descending is False
    assert query({"sortOrder": "descending"}).descending is False  # without sortBy


def test_parameter_names_are_case_insensitive_and_lists_take_the_first() -> None:
    parsed = query({"STARTINDEX": ["3", "9"], "Count": "2", "sortby": "title"})
    assert (parsed.start_index, parsed.count, parsed.sort_by) == (3, 2, AttrPath("title"))


def test_attributes_compute_skip() -> None:
    parsed = parse_list_query({"attributes": "displayName"}, "Group", LIMITS)
    assert parsed.attributes == (AttrPath("displayName"),)
    assert "members" in parsed.skip
    assert "id" not in parsed.skip and "meta" not in parsed.skip
    excluded = parse_list_query({"excludedAttributes": "members"}, "Group", LIMITS)
    assert excluded.skip == frozenset({"members"})
    users = query({"attributes": "userName,emails"})
    assert "groups" in users.skip and "emails" not in users.skip
    assert ENTERPRISE.lower() in users.skip
    assert query({}).skip == frozenset({"password"})


def test_search_request() -> None:
    body = {
        "schemas": [SEARCH_REQUEST],
        "attributes": ["displayName", "userName"],
        "excludedAttributes": "emails",
        "filter": 'displayName sw "smith"',
        "startIndex": 2,
        "count": "10",
        "sortBy": "userName",
        "sortOrder": "descending",
    }
    parsed = parse_search_request(body, "User", LIMITS)
    assert parsed.attributes == (AttrPath("displayName"), AttrPath("userName"))
    assert parsed.excluded_attributes == (AttrPath("emails"),)
    assert (parsed.start_index, parsed.count, parsed.descending) == (2, 10, True)
    assert parse_search_request({"count": 3}, "User", LIMITS).count == 3  # schemas omitted


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ([], InvalidSyntax),
        ({"schemas": ["urn:x"]}, InvalidSyntax),
        ({"count": True}, InvalidValue),
        ({"count": [1]}, InvalidValue),
        ({"filter": 5}, InvalidValue),
        ({"attributes": [1]}, InvalidValue),
        ({"sortBy": 3}, InvalidValue),
    ],
)
def test_bad_search_requests(body: Any, error: type[Exception]) -> None:
    with pytest.raises(error):
        parse_search_request(body, "User", LIMITS)


def test_root_search_checks_only_syntax() -> None:
    parsed = parse_search_request({"filter": 'displayName eq "x" or userName eq "y"'}, None, LIMITS)
    assert parsed.filter is not None
    assert parse_search_request({"sortBy": "displayName"}, None, LIMITS).sort_by == AttrPath(
        "displayName"
    )
    with pytest.raises(InvalidValue):
        parse_search_request({"sortBy": "nope"}, None, LIMITS)
