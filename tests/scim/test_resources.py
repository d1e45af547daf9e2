"""Validation and normalisation of POST/PUT bodies (RFC 7643 §2, §7; RFC 7644 §3.3, §3.5.1)."""

from __future__ import annotations

from typing import Any

import pytest

from glpi_scim.scim.errors import InvalidSyntax, InvalidValue, Mutability
from glpi_scim.scim.resources import validate_resource

from .helpers import ENTERPRISE, GROUP_URN, USER_URN


def validate(body: dict[str, Any], resource_type: str = "User", **kw: Any) -> dict[str, Any]:
    return validate_resource(body, resource_type, **kw)


def test_full_user_is_normalised() -> None:
    body = {
        "schemas": [USER_URN, ENTERPRISE],
        "USERNAME": "BJensen@Example.com",
        "externalid": "Ext-1",
        "Name": {"GivenName": "Barbara", "familyname": "Jensen"},
        "active": "True",
        "emails": [{"value": "b@x.org", "type": "Work", "primary": "true"}],
        "phoneNumbers": [{"value": "555", "type": "MOBILE"}],
        ENTERPRISE.upper(): {"EmployeeNumber": 701984, "manager": {"value": "26"}},
    }
    assert validate(body) == {
        "userName": "BJensen@Example.com",  # never lower-cased
        "externalId": "Ext-1",
        "name": {"givenName": "Barbara", "familyName": "Jensen"},
        "active": True,
        "emails": [{"value": "b@x.org", "type": "work", "primary": True}],
        "phoneNumbers": [{"value": "555", "type": "mobile"}],
        ENTERPRISE: {"employeeNumber": "701984", "manager": {"value": "26"}},
        "schemas": [USER_URN, ENTERPRISE],
    }


def test_schemas_lists_the_extensions_present() -> None:
    assert validate({"userName": "a"})["schemas"] == [USER_URN]
    with_ext = validate({"userName": "a", ENTERPRISE: {"department": "R&D"}})
    assert with_ext["schemas"] == [USER_URN, ENTERPRISE]
    empty_ext = validate({"schemas": [USER_URN, ENTERPRISE], "userName": "a", ENTERPRISE: {}})
    assert empty_ext["schemas"] == [USER_URN]
    assert ENTERPRISE not in empty_ext


def test_read_only_attributes_are_ignored() -> None:
    body = {
        "userName": "a",
        "id": "999",
        "meta": {"version": "x"},
        "groups": [{"value": "1"}],
        ENTERPRISE: {"manager": {"value": "2", "displayName": "Boss"}},
    }
    assert validate(body) == {
        "userName": "a",
        ENTERPRISE: {"manager": {"value": "2"}},
        "schemas": [USER_URN, ENTERPRISE],
    }


def test_unknown_core_attributes_are_ignored() -> None:
    body = {
        "userName": "a",
        "favouriteColour": "blue",
        "name": {"nick": "x"},
        f"{USER_URN}:shoeSize": 42,
        f"{ENTERPRISE}:badge": "x",
        ENTERPRISE: {"floor": 3},
    }
    assert validate(body) == {
        "userName": "a",
        "schemas": [USER_URN],
    }


def test_unknown_extension_is_invalid_value() -> None:
    custom = "urn:ietf:params:scim:schemas:extension:CustomExtension:2.0:User"
    with pytest.raises(InvalidValue) as caught:
        validate({"userName": "a", custom: {"costCentre": "1"}})
    assert custom in caught.value.detail
    with pytest.raises(InvalidValue):
        validate({"schemas": [USER_URN, custom], "userName": "a"})
    with pytest.raises(InvalidValue):
        validate({"userName": "a", f"{custom}:costCentre": "1"})


def test_tolerated_extension_is_dropped() -> None:
    custom = "urn:ietf:params:scim:schemas:extension:CustomExtension:2.0:User"
    body = {"schemas": [USER_URN, custom], "userName": "a", custom: {"x": 1}, f"{custom}:y": 2}
    assert validate(body, tolerated_extensions=[custom.upper()]) == {
        "userName": "a",
        "schemas": [USER_URN],
    }


def test_qualified_and_dotted_keys() -> None:
    body = {
        f"{USER_URN}:userName": "a",
        "name.givenName": "B",
        f"{ENTERPRISE}:department": "R&D",
        f"{ENTERPRISE}:manager": "42",
    }
    assert validate(body) == {
        "userName": "a",
        "name": {"givenName": "B"},
        ENTERPRISE: {"department": "R&D", "manager": {"value": "42"}},
        "schemas": [USER_URN, ENTERPRISE],
    }


def test_legacy_urns() -> None:
    body = {"schemas": ["urn:scim:schemas:core:2.0:User"], "userName": "a"}
    assert validate(body)["schemas"] == [USER_URN]
    group = validate({"schemas": ["urn:scim:schemas:core:2.0"], "displayName": "G"}, "Group")
    assert group["schemas"] == [GROUP_URN]


def test_schemas_may_be_omitted_but_must_be_right_when_given() -> None:
    validate({"userName": "a"})
    with pytest.raises(InvalidValue, match="must include"):
        validate({"schemas": [ENTERPRISE], "userName": "a"})
    with pytest.raises(InvalidValue, match="not a schema of User"):
        validate({"schemas": [GROUP_URN], "userName": "a"})
    with pytest.raises(InvalidValue):
        validate({"schemas": "nonsense", "userName": "a"})
    with pytest.raises(InvalidValue):
        validate({"schemas": [1], "userName": "a"})


@pytest.mark.parametrize(
    "body",
    [{}, {"userName": ""}, {"userName": "   "}, {"userName": None}, {"name": {"givenName": "x"}}],
)
def test_user_name_is_required(body: dict[str, Any]) -> None:
    with pytest.raises(InvalidValue, match="'userName' is required"):
        validate(body)


def test_group_display_name_is_required() -> None:
    with pytest.raises(InvalidValue, match="'displayName' is required"):
        validate({"members": []}, "Group")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"userName": "a", "active": "yes"}, "'active' must be a boolean"),
        ({"userName": "a", "active": 1}, "'active' must be a boolean"),
        ({"userName": True}, "'userName' must be a string"),
        ({"userName": "a", "name": "Barbara"}, "'name' must be a JSON object"),
        ({"userName": "a", "name": {"givenName": ["x"]}}, "'name.givenName' must be a string"),
        ({"userName": "a", "emails": [[]]}, "'emails[0]' must be a JSON object"),
        ({"userName": "a", "emails": [{"value": "a", "primary": "maybe"}]}, "emails[0].primary"),
        ({"userName": "a", "profileUrl": 5}, "'profileUrl' must be a reference"),
        ({"userName": "a", "x509Certificates": [{"value": "not base64!"}]}, "base64"),
        ({"userName": "a", "name.givenName": {}}, "must be a string"),
        ({"userName": "a", "emails.value": "x"}, "as a list of values"),
        ({"userName": "a", ENTERPRISE: "x"}, "must be a JSON object"),
    ],
)
def test_type_errors(body: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        validate(body)
    assert message in caught.value.detail
    assert caught.value.scim_type == "invalidValue"


def test_multi_valued_tolerances() -> None:
    body = {
        "userName": "a",
        "emails": {"value": "a@x"},  # a single value for a multi-valued attribute
        "phoneNumbers": ["555"],  # scalars for complex values with `value`
        "roles": [],
        "ims": None,
    }
    assert validate(body) == {
        "userName": "a",
        "emails": [{"value": "a@x"}],
        "phoneNumbers": [{"value": "555"}],
        "schemas": [USER_URN],
    }


def test_duplicates_are_kept_once() -> None:
    body = {"userName": "a", "emails": [{"value": "a@x"}, {"value": "a@x"}, {"value": "b@x"}]}
    assert validate(body)["emails"] == [{"value": "a@x"}, {"value": "b@x"}]


def test_at_most_one_primary() -> None:
    body = {
        "userName": "a",
        "emails": [{"value": "a@x", "primary": True}, {"value": "b@x", "primary": "True"}],
    }
    with pytest.raises(InvalidValue, match="at most one value may have primary"):
        validate(body)


def test_canonical_values_take_their_canonical_spelling() -> None:
    body = {"displayName": "G", "members": [{"value": "1", "type": "user"}]}
    assert validate(body, "Group")["members"] == [{"value": "1", "type": "User"}]
    other = validate({"userName": "a", "emails": [{"value": "x", "type": "Office"}]})
    assert other["emails"] == [{"value": "x", "type": "Office"}]  # not canonical: unchanged


def test_members_need_a_value() -> None:
    with pytest.raises(InvalidValue, match=r"members\[0\].value' is required"):
        validate({"displayName": "G", "members": [{"type": "User"}]}, "Group")


def test_members_display_is_ignored() -> None:
    body = {"displayName": "G", "members": [{"value": "1", "display": "Bob"}]}
    assert validate(body, "Group")["members"] == [{"value": "1"}]


def test_datetime_and_numbers() -> None:
    assert validate({"userName": 12345})["userName"] == "12345"
    with pytest.raises(InvalidValue, match=r"'userName' must be a string, not the number 1.5"):
        validate({"userName": 1.5})


def test_password_is_kept_for_the_store() -> None:
    assert validate({"userName": "a", "password": "s3cret"})["password"] == "s3cret"


def test_body_must_be_an_object() -> None:
    with pytest.raises(InvalidSyntax):
        validate_resource([], "User")


class TestPut:
    def test_immutable_member_type_cannot_change(self) -> None:
        old = {"displayName": "G", "members": [{"value": "1", "type": "User"}]}
        body = {"displayName": "G", "members": [{"value": "1", "type": "Group"}]}
        with pytest.raises(Mutability):
            validate(body, "Group", old=old)
        same = {"displayName": "G", "members": [{"value": "1"}, {"value": "2", "type": "Group"}]}
        assert validate(same, "Group", old=old)["members"] == same["members"]

    def test_read_only_are_not_compared(self) -> None:
        old = {"id": "1", "userName": "a", "meta": {"version": "1"}}
        assert validate({"userName": "b", "id": "other"}, old=old) == {
            "userName": "b",
            "schemas": [USER_URN],
        }
