"""The preview of a PUT or PATCH: the texts its request gives singular attributes."""

from __future__ import annotations

from glpi_scim.scim.patch import parse_patch
from glpi_scim.scim.preview import of_operations, of_resource
from glpi_scim.scim.schemas import ENTERPRISE_USER_SCHEMA, resource_type

USER = resource_type("User")
ENTERPRISE = ENTERPRISE_USER_SCHEMA.lower()


def patch(*operations: dict[str, object]) -> dict[str, object]:
    return {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": list(operations),
    }


def test_a_patch_previews_each_value_its_adds_and_replaces_give() -> None:
    body = patch(
        {"op": "Replace", "path": "title", "value": "Engineer"},  # Entra's capitalised op
        {"op": "add", "value": {"title": "Manager", "userType": "Staff", "active": "True"}},
        {"op": "replace", "path": f"{ENTERPRISE_USER_SCHEMA}:department", "value": "Sales"},
        {"op": "replace", "path": "urn:ietf:params:scim:schemas:core:2.0:User:nickName",
         "value": "Nick"},
        {"op": "remove", "path": "displayName"},
    )  # fmt: skip
    preview = of_operations(parse_patch(body, USER), USER)
    assert preview.of((None, "title")) == ("Engineer", "Manager")
    assert preview.of((None, "usertype")) == ("Staff",)
    assert preview.of((ENTERPRISE, "department")) == ("Sales",)
    assert preview.of((None, "nickname")) == ("Nick",)
    assert preview.of((None, "displayname")) == ()


def test_a_patch_with_a_value_filter_or_a_sub_attribute_previews_nothing_of_it() -> None:
    body = patch(
        {"op": "replace", "path": 'emails[type eq "work"].value', "value": "a@example.org"},
        {"op": "replace", "path": "name.familyName", "value": "Doe"},
        {"op": "add", "value": {ENTERPRISE_USER_SCHEMA: {"division": "North"}}},
    )
    preview = of_operations(parse_patch(body, USER), USER)
    assert preview.texts == {(ENTERPRISE, "division"): ("North",)}


def test_a_put_previews_its_resources_texts() -> None:
    resource = {
        "userName": "ann",
        "title": "Lead",
        "active": True,
        "name": {"familyName": "Doe"},
        ENTERPRISE_USER_SCHEMA: {"department": "IT", "manager": {"value": "7"}},
    }
    preview = of_resource(resource, USER)
    assert preview.of((None, "title")) == ("Lead",)
    assert preview.of((None, "username")) == ("ann",)
    assert preview.of((ENTERPRISE, "department")) == ("IT",)
    assert preview.of((None, "active")) == ()
    assert preview.of((ENTERPRISE, "manager")) == ()
