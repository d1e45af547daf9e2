"""Schemas (RFC 7643 §4, §7), resource types (§6), lookup and ServiceProviderConfig (§5)."""

from __future__ import annotations

from typing import Any

import pytest
from scim2_models import EnterpriseUser, Group, User

from glpi_scim.scim.ast import AttrPath
from glpi_scim.scim.schemas import (
    ENTERPRISE_USER,
    GROUP_CORE,
    USER_CORE,
    USER_TYPE,
    get_schema,
    resolve,
    resource_type,
    resource_type_documents,
    schema_documents,
    service_provider_config,
)

from .helpers import ENTERPRISE, GROUP_URN, USER_URN

CORE_USER_ATTRIBUTES = [
    "userName",
    "name",
    "displayName",
    "nickName",
    "profileUrl",
    "title",
    "userType",
    "preferredLanguage",
    "locale",
    "timezone",
    "active",
    "password",
    "emails",
    "phoneNumbers",
    "ims",
    "photos",
    "addresses",
    "groups",
    "entitlements",
    "roles",
    "x509Certificates",
]


def test_user_schema_has_every_rfc_attribute() -> None:
    assert [a.name for a in USER_CORE.attributes] == CORE_USER_ATTRIBUTES
    name = USER_CORE.attribute("name")
    assert name is not None
    assert [s.name for s in name.sub_attributes] == [
        "formatted",
        "familyName",
        "givenName",
        "middleName",
        "honorificPrefix",
        "honorificSuffix",
    ]
    assert [a.name for a in ENTERPRISE_USER.attributes] == [
        "employeeNumber",
        "costCenter",
        "organization",
        "division",
        "department",
        "manager",
    ]
    assert [a.name for a in GROUP_CORE.attributes] == ["displayName", "members"]


def test_characteristics() -> None:
    password = USER_CORE.attribute("password")
    assert password is not None
    assert (password.mutability, password.returned) == ("writeOnly", "never")
    groups = USER_CORE.attribute("groups")
    assert groups is not None and groups.read_only and groups.multi_valued
    emails = USER_CORE.attribute("emails")
    assert emails is not None
    email_type = emails.sub("TYPE")
    assert email_type is not None and email_type.canonical_values == ("work", "home", "other")
    user_name = USER_CORE.attribute("username")
    assert user_name is not None
    assert (user_name.required, user_name.case_exact, user_name.uniqueness) == (
        True,
        False,
        "server",
    )


def _flatten(attributes: list[dict[str, Any]], prefix: str = "") -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for attribute in attributes:
        key = f"{prefix}{attribute['name']}".lower()
        out[key] = attribute
        out.update(_flatten(attribute.get("subAttributes") or [], f"{key}."))
    return out


# Deliberate differences from scim2-models' reading of RFC 7643 §8.7.
DIFFERENCES = {
    ("User", "groups.$ref", "referenceTypes"),  # §8.7.1 lists User and Group
    ("User", "password", "caseExact"),  # §8.7.1: false
    ("Group", "displayname", "uniqueness"),  # GLPI group names are kept unique here
    ("Group", "members.display", "mutability"),  # derived from the member by the store
    ("Group", "members.display", "returned"),  # GLPI's name: only on request
    ("EnterpriseUser", "manager.displayname", "returned"),  # GLPI's name: only on request
    ("Group", "members.value", "required"),  # a member without an id cannot be stored
    ("EnterpriseUser", "manager.value", "required"),  # §4.3: RECOMMENDED, not required
    ("EnterpriseUser", "manager.$ref", "required"),
}


@pytest.mark.parametrize(
    ("model", "schema"), [(User, USER_CORE), (Group, GROUP_CORE), (EnterpriseUser, ENTERPRISE_USER)]
)
def test_characteristics_agree_with_scim2_models(model: Any, schema: Any) -> None:
    theirs = _flatten(model.to_schema().model_dump(mode="json")["attributes"])
    ours = _flatten(schema.to_document()["attributes"])
    assert set(theirs) == set(ours)
    for key, mine in ours.items():
        for field in (
            "type",
            "multiValued",
            "required",
            "caseExact",
            "mutability",
            "returned",
            "uniqueness",
            "canonicalValues",
            "referenceTypes",
        ):
            if (model.__name__, key, field) in DIFFERENCES or field not in mine:
                continue
            other = theirs[key].get(field)
            if other in (None, []) and mine[field] in (None, []):
                continue
            assert mine[field] == other, (key, field)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (AttrPath("USERNAME"), "userName"),
        (AttrPath("name", "GIVENNAME"), "name.givenName"),
        (AttrPath("userName", None, USER_URN.upper()), "userName"),
        (AttrPath("name", "givenName", "urn:scim:schemas:core:2.0"), "name.givenName"),
        (AttrPath("name", "givenName", "urn:scim:schemas:core:2.0:User"), "name.givenName"),
        (AttrPath("id"), "id"),
        (AttrPath("meta", "lastModified"), "meta.lastModified"),
        (AttrPath("externalId", None, USER_URN), "externalId"),
        (AttrPath("manager", "value", ENTERPRISE), f"{ENTERPRISE}:manager.value"),
        (AttrPath("Department", None, ENTERPRISE.lower()), f"{ENTERPRISE}:department"),
        (AttrPath("members", "$ref"), None),
        (AttrPath("department"), None),  # extension attributes need their URN
        (AttrPath("name", "nope"), None),
        (AttrPath("userName", "sub"), None),
        (AttrPath("userName", None, "urn:example:other"), None),
    ],
)
def test_lookup(path: AttrPath, expected: str | None) -> None:
    found = resolve("User", path)
    assert (str(found) if found else None) == expected


def test_lookup_on_groups() -> None:
    found = resolve("group", AttrPath("MEMBERS", "$REF"))
    assert found is not None and found.target.name == "$ref"
    assert resolve("Group", AttrPath("members", None, GROUP_URN)) is not None


def test_resolve_key_forms() -> None:
    assert USER_TYPE.resolve_key(ENTERPRISE) is ENTERPRISE_USER
    assert USER_TYPE.resolve_key("urn:scim:schemas:core:2.0:User") is USER_CORE
    assert str(USER_TYPE.resolve_key("name.familyName")) == "name.familyName"
    assert str(USER_TYPE.resolve_key(f"{ENTERPRISE}:manager")) == f"{ENTERPRISE}:manager"
    assert USER_TYPE.resolve_key("name.") is None
    assert USER_TYPE.resolve_key("a.b.c") is None


def test_resource_type_lookup() -> None:
    assert resource_type("USER") is USER_TYPE
    with pytest.raises(ValueError):
        resource_type("Device")


def test_schema_documents() -> None:
    docs = schema_documents("https://h/scim/v2/")
    assert [d["id"] for d in docs] == [USER_URN, ENTERPRISE, GROUP_URN]
    user_doc = docs[0]
    assert user_doc["schemas"] == ["urn:ietf:params:scim:schemas:core:2.0:Schema"]
    assert user_doc["meta"] == {
        "resourceType": "Schema",
        "location": f"https://h/scim/v2/Schemas/{USER_URN}",
    }
    emails = next(a for a in user_doc["attributes"] if a["name"] == "emails")
    assert emails["multiValued"] is True
    assert [s["name"] for s in emails["subAttributes"]] == ["value", "display", "type", "primary"]
    assert "id" not in [a["name"] for a in user_doc["attributes"]]  # common attributes (§3.1)
    assert get_schema(ENTERPRISE.upper()) is ENTERPRISE_USER
    assert get_schema("urn:nope") is None


def test_resource_type_documents() -> None:
    user_doc, group_doc = resource_type_documents("https://h/scim/v2")
    assert user_doc == {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
        "id": "User",
        "name": "User",
        "endpoint": "/Users",
        "description": "User Account",
        "schema": USER_URN,
        "schemaExtensions": [{"schema": ENTERPRISE, "required": False}],
        "meta": {
            "resourceType": "ResourceType",
            "location": "https://h/scim/v2/ResourceTypes/User",
        },
    }
    assert group_doc["schemaExtensions"] == []


def test_service_provider_config() -> None:
    # The entries come from above (the security methods); the core only places them.
    schemes = [
        {"type": "oauthbearertoken", "name": "OAuth Bearer Token", "primary": True},
        {"type": "httpbasic", "name": "HTTP Basic", "primary": False},
    ]
    doc = service_provider_config(
        authentication_schemes=schemes,
        bulk_max_operations=50,
        bulk_max_payload_size=1000,
        filter_max_results=100,
        change_password=True,
        location="https://h/ServiceProviderConfig",
    )
    assert doc["schemas"] == ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"]
    assert doc["patch"] == {"supported": True}
    assert doc["bulk"] == {"supported": True, "maxOperations": 50, "maxPayloadSize": 1000}
    assert doc["filter"] == {"supported": True, "maxResults": 100}
    assert doc["sort"] == doc["etag"] == doc["changePassword"] == {"supported": True}
    assert [s["type"] for s in doc["authenticationSchemes"]] == ["oauthbearertoken", "httpbasic"]
    assert doc["authenticationSchemes"][0]["primary"] is True
    assert doc["meta"]["location"] == "https://h/ServiceProviderConfig"
    off = service_provider_config(authentication_schemes=[], bulk=False, etag=False)
    assert off["bulk"] == {"supported": False, "maxOperations": 0, "maxPayloadSize": 0}
    assert off["etag"] == {"supported": False}
