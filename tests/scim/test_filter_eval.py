"""In-memory filter evaluation: the reference semantics of a store's filter translation."""

from __future__ import annotations

from typing import Any

import pytest

from glpi_scim.scim.filter import matches, parse_filter

from .helpers import ENTERPRISE, group, user

BARBARA = user(
    userName="BJensen",
    externalId="Ext-1",
    name={"givenName": "Barbara", "familyName": "Jensen"},
    title="Tour Guide",
    active=True,
    emails=[
        {"value": "bjensen@example.com", "type": "work", "primary": True},
        {"value": "babs@jensen.org", "type": "home"},
    ],
    meta={
        "resourceType": "User",
        "created": "2011-08-01T18:29:49.793Z",
        "lastModified": "2011-08-01T20:31:02+02:00",
        "version": 'W/"1"',
    },
    **{ENTERPRISE: {"employeeNumber": "701984", "manager": {"value": "26118915"}}},
)


def check(text: str, resource: dict[str, Any] = BARBARA, resource_type: str = "User") -> bool:
    return matches(parse_filter(text, resource_type), resource, resource_type)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('userName eq "bjensen"', True),  # caseExact false
        ('USERNAME EQ "BJENSEN"', True),
        ('externalId eq "ext-1"', False),  # caseExact true
        ('externalId eq "Ext-1"', True),
        ('userName ne "bjensen"', False),
        ('userName co "JENS"', True),
        ('userName sw "bj"', True),
        ('userName ew "SEN"', True),
        ('userName gt "a"', True),
        ('userName lt "a"', False),
        ('userName ge "bjensen"', True),
        ('userName le "bjensen"', True),
        ('name.familyName co "ens"', True),
        ("title pr", True),
        ("nickName pr", False),
        ("name pr", True),
        ("active eq true", True),
        ("active ne true", False),
        ('active eq "True"', True),
        ("nickName eq null", True),
        ('nickName ne "x"', True),
        ('nickName co "x"', False),
        ("userName eq null", False),
        ("userName ne null", True),
    ],
)
def test_single_valued(text: str, expected: bool) -> None:
    assert check(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('emails co "example.com"', True),  # compares emails.value
        ('emails.value co "jensen.org"', True),
        ('emails.type eq "home"', True),
        ('emails.type eq "other"', False),
        ('emails.type ne "home"', False),  # ne: no value equals
        ('emails.type ne "other"', True),
        ('emails[type eq "work" and value co "example"]', True),
        ('emails[type eq "home" and value co "example"]', False),  # both on the same value
        ('emails[type eq "work"] and emails[value ew ".org"]', True),
        ('emails[primary eq true].value eq "bjensen@example.com"', True),
        ('emails[not (type eq "work")]', True),
        ("emails pr", True),
        ("phoneNumbers pr", False),
        ('phoneNumbers[type eq "work"]', False),
        ('phoneNumbers.value ne "1"', True),
    ],
)
def test_multi_valued(text: str, expected: bool) -> None:
    assert check(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('meta.created gt "2011-08-01T18:00:00Z"', True),
        ('meta.created lt "2011-08-01T18:00:00Z"', False),
        ('meta.created eq "2011-08-01T20:29:49.793+02:00"', True),  # same instant
        ('meta.lastModified eq "2011-08-01T18:31:02Z"', True),
        ('meta.lastModified ge "2011-08-01T18:31:02.000Z"', True),
        ('meta.lastModified gt "2011-08-01T18:31:02Z"', False),
    ],
)
def test_datetime_compares_instants(text: str, expected: bool) -> None:
    assert check(text) is expected


def test_extension_attributes() -> None:
    assert check(f'{ENTERPRISE}:employeeNumber eq "701984"')
    assert check(f'{ENTERPRISE}:manager.value eq "26118915"')
    assert not check(f"{ENTERPRISE}:department pr")
    assert not check(f"{ENTERPRISE}:manager.value pr", user())


def test_logic() -> None:
    assert check('title pr and (userName eq "x" or active eq true)')
    assert not check("title pr and not (active eq true)")
    assert check("not (nickName pr)")


def test_group_members() -> None:
    ops = group(members=[{"value": "1", "type": "User"}, {"value": "2", "type": "Group"}])
    assert check('members[value eq "2"]', ops, "Group")
    assert check('members eq "1"', ops, "Group")
    assert check('members.type eq "group"', ops, "Group")  # type is not caseExact
    assert not check('members[value eq "3"]', ops, "Group")
    assert check('displayName eq "OPS"', ops, "Group")
    assert not check("members pr", group(), "Group")


def test_unicode_normalisation() -> None:
    composed = user(userName="Zoé")
    decomposed_filter = 'userName eq "Zoe\u0301"'
    assert check(decomposed_filter, composed)


def test_type_mismatch_never_matches() -> None:
    odd = user(title=5)
    assert not check('title eq "5"', odd)
    assert check('title ne "5"', odd)


def test_without_schema_is_case_insensitive_and_lenient() -> None:
    resource = {"userName": "BJensen", "custom": {"level": 3}, "tags": ["A", "b"]}
    assert matches(parse_filter('username eq "bjensen"'), resource)
    assert matches(parse_filter("custom.level ge 3"), resource)
    assert matches(parse_filter('tags eq "a"'), resource)
    assert matches(parse_filter('tags[value eq "B"]'), resource)
    assert not matches(parse_filter("missing pr"), resource)
