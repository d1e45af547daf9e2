"""attributes / excludedAttributes and `returned` (RFC 7644 §3.9, RFC 7643 §2.2)."""

from __future__ import annotations

from glpi_scim.scim.paths import parse_attr_list
from glpi_scim.scim.projection import Projection, project

from .helpers import ENTERPRISE, GROUP_URN, USER_URN, group, user

FULL = user(
    externalId="e1",
    password="secret",
    name={"givenName": "Barbara", "familyName": "Jensen"},
    emails=[{"value": "b@x.org", "type": "work", "primary": True}],
    groups=[{"value": "10", "display": "Ops"}],
    **{ENTERPRISE: {"department": "R&D", "manager": {"value": "2", "displayName": "Boss"}}},
)
FULL["schemas"] = [USER_URN, ENTERPRISE]


def paths(text: str) -> tuple:  # type: ignore[type-arg]
    return parse_attr_list(text, "User")


def test_default_returns_default_and_always_but_never_password() -> None:
    result = project(FULL, "User")
    assert "password" not in result
    # manager.displayName is `returned: request`: absent by default.
    expected = {k: v for k, v in FULL.items() if k != "password"}
    expected[ENTERPRISE] = {"department": "R&D", "manager": {"value": "2"}}
    assert result == expected
    assert list(result)[:2] == ["schemas", "id"]


def test_request_sub_attributes_come_only_when_asked() -> None:
    asked = project(FULL, "User", paths(f"{ENTERPRISE}:manager.displayName"))
    assert asked[ENTERPRISE] == {"manager": {"displayName": "Boss"}}
    whole = project(FULL, "User", paths(f"{ENTERPRISE}:manager"))
    assert whole[ENTERPRISE] == {"manager": {"value": "2", "displayName": "Boss"}}
    members = group(members=[{"value": "7", "display": "Alice", "type": "User"}])
    assert project(members, "Group")["members"] == [{"value": "7", "type": "User"}]
    assert project(members, "Group", parse_attr_list("members.display", "Group"))["members"] == [
        {"display": "Alice"}
    ]


def test_attributes_keep_only_those_plus_always() -> None:
    assert project(FULL, "User", paths("userName")) == {
        "schemas": [USER_URN],
        "id": "1",
        "userName": "bjensen",
    }


def test_attributes_with_sub_attributes() -> None:
    assert project(FULL, "User", paths("name.givenName,emails.value,meta.version")) == {
        "schemas": [USER_URN],
        "id": "1",
        "name": {"givenName": "Barbara"},
        "emails": [{"value": "b@x.org"}],
        "meta": {"version": 'W/"1"'},
    }


def test_attributes_case_insensitive_and_qualified() -> None:
    result = project(FULL, "User", paths(f"USERNAME,{USER_URN}:externalId,{ENTERPRISE}:department"))
    assert result == {
        "schemas": [USER_URN, ENTERPRISE],
        "id": "1",
        "userName": "bjensen",
        "externalId": "e1",
        ENTERPRISE: {"department": "R&D"},
    }


def test_whole_extension_by_urn() -> None:
    result = project(FULL, "User", paths(ENTERPRISE))
    assert result[ENTERPRISE] == FULL[ENTERPRISE]


def test_password_never_even_when_asked() -> None:
    assert "password" not in project(FULL, "User", paths("password"))


def test_excluded_attributes() -> None:
    result = project(FULL, "User", (), paths(f"emails,name.familyName,id,{ENTERPRISE}:manager"))
    assert "emails" not in result
    assert result["name"] == {"givenName": "Barbara"}
    assert result["id"] == "1"  # always returned
    assert result[ENTERPRISE] == {"department": "R&D"}


def test_excluding_a_whole_extension_updates_schemas() -> None:
    result = project(FULL, "User", (), paths(ENTERPRISE))
    assert ENTERPRISE not in result
    assert result["schemas"] == [USER_URN]


def test_unknown_names_are_ignored() -> None:
    assert project(FULL, "User", paths("nope,userName")) == project(FULL, "User", paths("userName"))
    assert project(FULL, "User", (), paths("nope")) == project(FULL, "User")


def test_group_members_excluded_and_skip() -> None:
    ops = group(members=[{"value": "1", "display": "B"}])
    projection = Projection("Group", (), parse_attr_list("members", "Group"))
    assert "members" not in projection(ops)
    assert projection.skip == frozenset({"members"})
    only_name = Projection("Group", parse_attr_list("displayName", "Group"))
    assert only_name(ops) == {"schemas": [GROUP_URN], "id": "10", "displayName": "Ops"}
    assert "members" in only_name.skip and "externalid" in only_name.skip


def test_empty_values_are_not_returned() -> None:
    assert "emails" not in project(user(emails=[], nickName=None), "User")
