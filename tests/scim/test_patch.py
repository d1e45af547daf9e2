"""PATCH engine (RFC 7644 §3.5.2): semantics, errors and the IdP forms it tolerates."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from glpi_scim.scim.errors import (
    InvalidPath,
    InvalidSyntax,
    InvalidValue,
    Mutability,
    NoTarget,
    PayloadTooLarge,
)
from glpi_scim.scim.patch import apply_patch

from .helpers import ENTERPRISE, USER_URN, group, patch_op, user

WORK = {"value": "work@x.org", "type": "work", "primary": True}
HOME = {"value": "home@x.org", "type": "home"}


def apply(resource: dict[str, Any], *ops: dict[str, Any], resource_type: str = "User") -> Any:
    return apply_patch(resource, patch_op(*ops), resource_type)


def op(name: str, path: str | None = None, value: Any = ..., **extra: Any) -> dict[str, Any]:
    operation: dict[str, Any] = {"op": name, **extra}
    if path is not None:
        operation["path"] = path
    if value is not ...:
        operation["value"] = value
    return operation


# -- add ----------------------------------------------------------------------------------


def test_add_single_valued_sets_it() -> None:
    assert apply(user(), op("add", "title", "Boss"))["title"] == "Boss"
    assert apply(user(title="Old"), op("add", "title", "New"))["title"] == "New"


def test_add_complex_merges_sub_attributes() -> None:
    result = apply(user(name={"givenName": "B"}), op("add", "name", {"familyName": "J"}))
    assert result["name"] == {"givenName": "B", "familyName": "J"}


def test_add_sub_attribute_creates_the_complex_value() -> None:
    assert apply(user(), op("add", "name.givenName", "B"))["name"] == {"givenName": "B"}


def test_add_multi_valued_appends() -> None:
    result = apply(user(emails=[HOME]), op("add", "emails", [{"value": "x@y", "type": "other"}]))
    assert result["emails"] == [HOME, {"value": "x@y", "type": "other"}]


def test_add_existing_value_is_merged_not_doubled() -> None:
    result = apply(
        user(emails=[HOME]),
        op("add", "emails", [{"value": "HOME@x.org", "type": "home", "display": "H"}]),
    )
    assert result["emails"] == [{"value": "HOME@x.org", "type": "home", "display": "H"}]


def test_add_same_new_value_twice_in_one_operation() -> None:
    values = [{"value": "n@x", "type": "home"}, {"value": "N@X", "type": "home", "display": "N"}]
    result = apply(user(), op("add", "emails", values))
    assert result["emails"] == [{"value": "N@X", "type": "home", "display": "N"}]


def test_add_without_path_merges_attributes() -> None:
    result = apply(user(emails=[HOME]), op("add", value={"title": "T", "emails": [WORK]}))
    assert result["title"] == "T"
    assert result["emails"] == [HOME, WORK]


def test_add_requires_a_value() -> None:
    with pytest.raises(InvalidValue, match="needs a 'value'"):
        apply(user(), op("add", "title"))


def test_add_null_changes_nothing() -> None:
    assert apply(user(title="T"), op("add", "title", None))["title"] == "T"


# -- replace ------------------------------------------------------------------------------


def test_replace_multi_valued_replaces_every_value() -> None:
    result = apply(user(emails=[WORK, HOME]), op("replace", "emails", [{"value": "n@x"}]))
    assert result["emails"] == [{"value": "n@x"}]


def test_replace_complex_merges() -> None:
    result = apply(
        user(name={"givenName": "B", "familyName": "J"}),
        op("replace", "name", {"givenName": "Babs"}),
    )
    assert result["name"] == {"givenName": "Babs", "familyName": "J"}


def test_replace_with_null_or_empty_unassigns() -> None:
    result = apply(
        user(title="T", emails=[HOME]), op("replace", "title", None), op("replace", "emails", [])
    )
    assert "title" not in result and "emails" not in result


def test_replace_without_path() -> None:
    result = apply(user(active=True), op("replace", value={"active": False, "nickName": "B"}))
    assert result["active"] is False and result["nickName"] == "B"


def test_replace_value_filter_sub_attribute() -> None:
    result = apply(
        user(emails=[WORK, HOME]), op("replace", 'emails[type eq "home"].value', "new@x")
    )
    assert result["emails"] == [WORK, {"value": "new@x", "type": "home"}]


def test_replace_value_filter_whole_value_merges() -> None:
    result = apply(
        user(emails=[WORK, HOME]), op("replace", 'emails[type eq "home"]', {"display": "Home"})
    )
    assert result["emails"][1] == {**HOME, "display": "Home"}


def test_replace_value_filter_matching_several_values() -> None:
    emails = [{"value": "a", "type": "work"}, {"value": "b", "type": "work"}]
    result = apply(user(emails=emails), op("replace", 'emails[type eq "work"].display', "W"))
    assert [e["display"] for e in result["emails"]] == ["W", "W"]


def test_replace_sub_attribute_of_every_value() -> None:
    result = apply(user(emails=[WORK, HOME]), op("replace", "emails.display", "E"))
    assert [e["display"] for e in result["emails"]] == ["E", "E"]
    with pytest.raises(NoTarget):
        apply(user(), op("replace", "emails.display", "E"))


def test_replace_value_filter_with_null_removes_matches() -> None:
    result = apply(user(emails=[WORK, HOME]), op("replace", 'emails[type eq "home"]', None))
    assert result["emails"] == [WORK]


# -- remove -------------------------------------------------------------------------------


def test_remove_attribute() -> None:
    assert "title" not in apply(user(title="T"), op("remove", "title"))


def test_remove_sub_attribute() -> None:
    result = apply(user(name={"givenName": "B", "familyName": "J"}), op("remove", "name.givenName"))
    assert result["name"] == {"familyName": "J"}
    assert "name" not in apply(user(name={"givenName": "B"}), op("remove", "name.givenName"))


def test_remove_filtered_values() -> None:
    result = apply(user(emails=[WORK, HOME]), op("remove", 'emails[type eq "work"]'))
    assert result["emails"] == [HOME]
    assert "emails" not in apply(user(emails=[WORK]), op("remove", 'emails[type eq "work"]'))


def test_remove_sub_attribute_of_filtered_values() -> None:
    result = apply(user(emails=[WORK, HOME]), op("remove", 'emails[type eq "work"].primary'))
    assert result["emails"] == [{"value": "work@x.org", "type": "work"}, HOME]


def test_remove_sub_attribute_of_every_value() -> None:
    result = apply(user(emails=[WORK, HOME]), op("remove", "emails.type"))
    assert result["emails"] == [{"value": "work@x.org", "primary": True}, {"value": "home@x.org"}]


def test_remove_whole_multi_valued_attribute() -> None:
    assert "emails" not in apply(user(emails=[WORK, HOME]), op("remove", "emails"))


def test_remove_listed_values() -> None:
    result = apply(user(emails=[WORK, HOME]), op("remove", "emails", [{"value": "HOME@X.ORG"}]))
    assert result["emails"] == [WORK]


def test_remove_what_is_not_there_is_a_no_op() -> None:
    resource = user(emails=[HOME])
    assert apply(resource, op("remove", "title")) == resource
    assert apply(resource, op("remove", 'emails[type eq "work"]')) == resource
    assert apply(resource, op("remove", "name.givenName")) == resource


def test_remove_without_path_is_no_target() -> None:
    with pytest.raises(NoTarget) as caught:
        apply(user(title="T"), op("remove", value={"title": "T"}))
    assert caught.value.scim_type == "noTarget"


def test_removing_a_required_attribute_is_invalid() -> None:
    with pytest.raises(InvalidValue, match="'userName' is required"):
        apply(user(), op("remove", "userName"))
    with pytest.raises(InvalidValue, match="'displayName' is required"):
        apply(group(), op("replace", "displayName", ""), resource_type="Group")


# -- primary ------------------------------------------------------------------------------


def test_adding_a_primary_value_clears_the_others() -> None:
    result = apply(user(emails=[WORK]), op("add", "emails", [{"value": "n@x", "primary": True}]))
    assert result["emails"] == [
        {"value": "work@x.org", "type": "work"},
        {"value": "n@x", "primary": True},
    ]


def test_setting_primary_through_a_filter_clears_the_others() -> None:
    result = apply(user(emails=[WORK, HOME]), op("replace", 'emails[type eq "home"].primary', True))
    assert [e.get("primary") for e in result["emails"]] == [None, True]


def test_two_primaries_in_one_operation_are_invalid() -> None:
    values = [{"value": "a", "primary": True}, {"value": "b", "primary": True}]
    with pytest.raises(InvalidValue, match="primary"):
        apply(user(), op("add", "emails", values))
    with pytest.raises(InvalidValue, match="primary"):
        apply(user(emails=[WORK, HOME]), op("replace", "emails.primary", True))


def test_creating_a_primary_value_through_a_filter_clears_the_others() -> None:
    result = apply(
        user(emails=[WORK]), op("add", 'emails[type eq "home" and primary eq true].value', "h@x")
    )
    assert result["emails"] == [
        {"value": "work@x.org", "type": "work"},
        {"type": "home", "primary": True, "value": "h@x"},
    ]


# -- mutability ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operation", "resource_type"),
    [
        (op("replace", "id", "2"), "User"),
        (op("replace", "meta.created", "2011-01-01T00:00:00Z"), "User"),
        (op("add", "groups", [{"value": "1"}]), "User"),
        (op("remove", "groups"), "User"),
        (op("replace", f"{ENTERPRISE}:manager.displayName", "B"), "User"),
        (op("replace", 'members[value eq "1"].display', "B"), "Group"),
        (op("replace", 'members[value eq "1"].value', "2"), "Group"),
        (op("replace", "members.type", "Group"), "Group"),
        (op("replace", value={"id": "2"}), "User"),
        (op("replace", value={"meta": {"version": 'W/"9"'}}), "User"),
    ],
)
def test_mutability(operation: dict[str, Any], resource_type: str) -> None:
    resource = (
        group(members=[{"value": "1", "type": "User"}]) if resource_type == "Group" else user()
    )
    with pytest.raises(Mutability) as caught:
        apply(resource, operation, resource_type=resource_type)
    assert caught.value.status == 400 and caught.value.scim_type == "mutability"


def test_immutable_member_attributes_may_be_set_when_adding() -> None:
    result = apply(
        group(), op("add", "members", [{"value": "1", "type": "user"}]), resource_type="Group"
    )
    assert result["members"] == [{"value": "1", "type": "User"}]


# -- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "error", "message"),
    [
        ({"Operations": [{"op": "delete", "path": "title"}]}, InvalidSyntax, "'op' must be"),
        ({"Operations": [{"path": "title"}]}, InvalidSyntax, "'op' must be"),
        ({"Operations": []}, InvalidSyntax, "one or more"),
        ({"operations": "x"}, InvalidSyntax, "one or more"),
        ({}, InvalidSyntax, "one or more"),
        ({"Operations": ["x"]}, InvalidSyntax, "must be a JSON object"),
        ({"schemas": ["urn:x"], "Operations": [{"op": "add"}]}, InvalidSyntax, "'schemas'"),
        ({"Operations": [{"op": "add", "path": "nope", "value": 1}]}, InvalidPath, "'nope'"),
        (
            {"Operations": [{"op": "add", "path": "name.nope", "value": 1}]},
            InvalidPath,
            "name.nope",
        ),
        ({"Operations": [{"op": "add", "path": 5, "value": 1}]}, InvalidPath, "must be a string"),
        (
            {"Operations": [{"op": "add", "path": "emails[", "value": 1}]},
            InvalidPath,
            "at character",
        ),
        (
            {"Operations": [{"op": "add", "path": 'emails[type eq "w"].nope', "value": 1}]},
            InvalidPath,
            "no sub-attribute 'nope'",
        ),
        (
            {"Operations": [{"op": "add", "path": "active", "value": "maybe"}]},
            InvalidValue,
            "boolean",
        ),
        ({"Operations": [{"op": "add", "value": "x"}]}, InvalidValue, "JSON object"),
        ({"Operations": [{"op": "replace", "value": {"urn:x:y:z": 1}}]}, InvalidValue, "urn:x:y:z"),
        (
            {"Operations": [{"op": "replace", "path": 'emails[type co "w"].value', "value": "v"}]},
            NoTarget,
            "matches the filter",
        ),
        (
            {"Operations": [{"op": "replace", "path": ENTERPRISE, "value": "x"}]},
            InvalidValue,
            "JSON object",
        ),
    ],
)
def test_errors(document: dict[str, Any], error: type[Exception], message: str) -> None:
    with pytest.raises(error) as caught:
        apply_patch(user(), document, "User")
    assert message in str(caught.value)


def test_error_names_the_operation() -> None:
    with pytest.raises(InvalidValue) as caught:
        apply(user(), op("add", "title", "T"), op("add", "active", "maybe"))
    assert caught.value.detail.startswith("Operations[1] (add): ")


def test_too_many_operations() -> None:
    document = patch_op(*[op("add", "title", str(i)) for i in range(1001)])
    with pytest.raises(PayloadTooLarge) as caught:
        apply_patch(user(), document, "User")
    assert caught.value.status == 413
    assert apply_patch(user(), document, "User", max_operations=2000)["title"] == "1000"


def test_failed_patch_changes_nothing() -> None:
    resource = user(emails=[WORK, HOME], name={"givenName": "B"})
    snapshot = copy.deepcopy(resource)
    with pytest.raises(InvalidValue):
        apply(
            resource,
            op("remove", 'emails[type eq "work"]'),
            op("add", "name.givenName", "X"),
            op("remove", "userName"),
        )
    assert resource == snapshot


def test_input_is_never_modified() -> None:
    resource = user(
        emails=[WORK, HOME], name={"givenName": "B"}, **{ENTERPRISE: {"department": "D"}}
    )
    snapshot = copy.deepcopy(resource)
    apply(
        resource,
        op("replace", 'emails[type eq "home"].value', "x"),
        op("add", "name.familyName", "J"),
        op("replace", f"{ENTERPRISE}:department", "E"),
        op("remove", "emails.type"),
    )
    assert resource == snapshot


# -- tolerated client forms ---------------------------------------------------------------


@pytest.mark.parametrize("name", ["Add", "ADD", "Replace", "REPLACE", "add", " replace "])
def test_op_names_in_any_case(name: str) -> None:
    assert apply(user(), op(name, "title", "T"))["title"] == "T"


@pytest.mark.parametrize("name", ["Remove", "REMOVE"])
def test_remove_op_name_in_any_case(name: str) -> None:
    assert "title" not in apply(user(title="T"), op(name, "title"))


def test_booleans_as_strings() -> None:
    result = apply(
        user(active=True, emails=[WORK, HOME]),
        op("Replace", "active", "False"),
        op("replace", 'emails[type eq "home"].primary', "true"),
    )
    assert result["active"] is False
    assert result["emails"][1]["primary"] is True
    assert apply(user(), op("replace", value={"active": "True"}))["active"] is True


def test_entra_pathless_dotted_and_qualified_keys() -> None:
    result = apply(
        user(name={"familyName": "J"}),
        op(
            "Replace",
            value={
                "name.givenName": "Barbara",
                f"{ENTERPRISE}:department": "R&D",
                f"{ENTERPRISE}:manager": "26118915",
                "urn:ietf:params:scim:schemas:core:2.0:User:title": "Guide",
            },
        ),
    )
    assert result["name"] == {"familyName": "J", "givenName": "Barbara"}
    assert result["title"] == "Guide"
    assert result[ENTERPRISE] == {"department": "R&D", "manager": {"value": "26118915"}}
    assert result["schemas"] == [USER_URN, ENTERPRISE]


def test_qualified_manager_path_with_bare_id() -> None:
    result = apply(user(), op("replace", f"{ENTERPRISE}:manager", "26118915"))
    assert result[ENTERPRISE] == {"manager": {"value": "26118915"}}
    removed = apply(result, op("remove", f"{ENTERPRISE}:manager"))
    assert ENTERPRISE not in removed
    assert removed["schemas"] == [USER_URN]


def test_extension_urn_as_key_or_path() -> None:
    by_key = apply(user(), op("add", value={ENTERPRISE: {"department": "D", "unknown": 1}}))
    by_path = apply(user(), op("add", ENTERPRISE, {"department": "D"}))
    assert by_key[ENTERPRISE] == by_path[ENTERPRISE] == {"department": "D"}
    assert ENTERPRISE not in apply(by_key, op("remove", ENTERPRISE))


def test_core_urn_as_path_means_the_resource() -> None:
    result = apply(user(), op("replace", USER_URN, {"title": "T"}))
    assert result["title"] == "T"


def test_value_filter_matching_nothing_creates_the_value() -> None:
    result = apply(
        user(emails=[HOME]),
        op("add", 'emails[type eq "work"].value', "w@x"),
        op("replace", 'phoneNumbers[type eq "mobile"].value', "555"),
        op("replace", 'addresses[type eq "work"].locality', "Paris"),
        op("replace", 'ims[type eq "skype"]', {"value": "bj"}),
    )
    assert result["emails"] == [HOME, {"type": "work", "value": "w@x"}]
    assert result["phoneNumbers"] == [{"type": "mobile", "value": "555"}]
    assert result["addresses"] == [{"type": "work", "locality": "Paris"}]
    assert result["ims"] == [{"type": "skype", "value": "bj"}]


def test_group_remove_members_with_value_list_removes_only_those() -> None:
    members = [{"value": v, "type": "User"} for v in ("1", "2", "3")]
    result = apply(
        group(members=members),
        op("Remove", "members", [{"value": "1"}, {"value": "3"}, {"value": "404"}]),
        resource_type="Group",
    )
    assert result["members"] == [{"value": "2", "type": "User"}]


def test_group_remove_members_by_filter() -> None:
    members = [{"value": v} for v in ("1", "2")]
    result = apply(
        group(members=members), op("remove", 'members[value eq "2"]'), resource_type="Group"
    )
    assert result["members"] == [{"value": "1"}]


def test_echoed_id_schemas_and_meta_are_ignored_when_unchanged() -> None:
    resource = user(
        meta={"resourceType": "User", "created": "2011-01-01T00:00:00Z", "version": 'W/"1"'}
    )
    value = {
        "id": "1",
        "schemas": [USER_URN, ENTERPRISE],
        "meta": {"resourceType": "User", "location": "https://x/Users/1"},
        "userName": "bjensen",
        "active": False,
    }
    result = apply(resource, op("replace", value=value))
    assert result["active"] is False
    assert result["meta"] == resource["meta"]
    with pytest.raises(Mutability):
        apply(resource, op("replace", value={**value, "meta": {"created": "2020-01-01T00:00:00Z"}}))
    with pytest.raises(InvalidValue):
        apply(resource, op("replace", value={**value, "schemas": ["urn:x:y"]}))


def test_missing_schemas_on_the_patch_op() -> None:
    assert apply_patch(user(), {"Operations": [op("add", "title", "T")]}, "User")["title"] == "T"
    lowercase = {"operations": [{"OP": "add", "PATH": "title", "VALUE": "T"}]}
    assert apply_patch(user(), lowercase, "User")["title"] == "T"


def test_legacy_urns_in_paths_and_values() -> None:
    result = apply(
        user(),
        op("replace", "urn:scim:schemas:core:2.0:User:name.givenName", "B"),
        op("replace", value={"urn:scim:schemas:core:2.0:title": "T"}),
    )
    assert result["name"] == {"givenName": "B"} and result["title"] == "T"


def test_attribute_names_in_any_case() -> None:
    result = apply(user(), op("add", "NAME.GIVENNAME", "B"), op("add", value={"NickName": "N"}))
    assert result["name"] == {"givenName": "B"} and result["nickName"] == "N"


def test_unknown_core_attribute_in_a_pathless_value_is_ignored() -> None:
    value = {"favouriteColour": "blue", f"{USER_URN}:shoeSize": 42, f"{ENTERPRISE}:badge": 1}
    assert apply(user(), op("replace", value=value)) == user()


def test_tolerated_extension_is_ignored() -> None:
    custom = "urn:example:custom:2.0:User"
    document = patch_op(op("add", f"{custom}:x", 1), op("add", value={custom: {"x": 1}}))
    assert apply_patch(user(), document, "User", tolerated_extensions=[custom]) == user()
