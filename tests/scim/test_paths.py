"""Attribute paths (RFC 7644 §3.10) and PATCH paths (§3.5.2)."""

from __future__ import annotations

import pytest

from glpi_scim.scim.ast import And, AttrPath, Compare, PatchPath
from glpi_scim.scim.errors import InvalidPath
from glpi_scim.scim.paths import parse_attr_list, parse_attr_path, parse_path

from .helpers import ENTERPRISE, USER_URN


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("userName", AttrPath("userName")),
        ("name.givenName", AttrPath("name", "givenName")),
        (f"{USER_URN}:name.givenName", AttrPath("name", "givenName", USER_URN)),
        (f"{ENTERPRISE}:manager.value", AttrPath("manager", "value", ENTERPRISE)),
        (f"{ENTERPRISE}:department", AttrPath("department", None, ENTERPRISE)),
        ("members.$ref", AttrPath("members", "$ref")),
        (" title ", AttrPath("title")),
        (ENTERPRISE, AttrPath(ENTERPRISE)),  # a whole extension
    ],
)
def test_attribute_paths(text: str, expected: AttrPath) -> None:
    assert parse_attr_path(text, "User") == expected


@pytest.mark.parametrize("text", ["", "name.", ".x", "a.b.c", "1abc", "a b", "urn::x", "a[b]"])
def test_bad_attribute_paths(text: str) -> None:
    with pytest.raises(InvalidPath) as caught:
        parse_attr_path(text)
    assert caught.value.scim_type == "invalidPath"


def test_attribute_list() -> None:
    assert parse_attr_list("userName, name.givenName,,emails") == (
        AttrPath("userName"),
        AttrPath("name", "givenName"),
        AttrPath("emails"),
    )


def test_keys_are_case_insensitive() -> None:
    assert parse_attr_path("USERNAME").key == parse_attr_path("username").key


def test_patch_path_with_value_filter_and_sub_attribute() -> None:
    parsed = parse_path('emails[type eq "work" and primary eq true].value', "User")
    assert parsed == PatchPath(
        AttrPath("emails"),
        And(Compare(AttrPath("type"), "eq", "work"), Compare(AttrPath("primary"), "eq", True)),
        "value",
    )


def test_patch_path_forms() -> None:
    assert parse_path("name.givenName") == PatchPath(AttrPath("name", "givenName"))
    assert parse_path(f"{ENTERPRISE}:manager", "User") == PatchPath(
        AttrPath("manager", None, ENTERPRISE)
    )
    assert parse_path('members[value eq "2819c223"]', "Group") == PatchPath(
        AttrPath("members"), Compare(AttrPath("value"), "eq", "2819c223")
    )
    assert parse_path(ENTERPRISE, "User") == PatchPath(AttrPath(ENTERPRISE))
    assert parse_path('EMAILS[TYPE EQ "work"].VALUE', "User").value_sub_attr == "VALUE"
    assert parse_path('emails[type eq "work"]', "User").value_sub_attr is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('emails[type eq "work"', "expected ']'"),
        ('emails[type eq "work"].', "sub-attribute name"),
        ('emails[type eq "work"] x', "unexpected 'x'"),
        ('emails[typo eq "work"]', "unknown attribute 'emails.typo'"),
        ('name[givenName eq "x"]', "not multi-valued"),
        ('emails.value[type eq "x"]', "cannot follow the sub-attribute"),
        ("", "expected an attribute path"),
        ("a b", "unexpected 'b'"),
    ],
)
def test_bad_patch_paths(text: str, message: str) -> None:
    with pytest.raises(InvalidPath) as caught:
        parse_path(text, "User")
    assert message in caught.value.detail
    assert caught.value.status == 400
