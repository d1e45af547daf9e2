"""ScimService use cases over the in-memory store, as an identity provider drives them."""

from __future__ import annotations

from typing import Any

import pytest

from glpi_scim.scim.errors import (
    Forbidden,
    InvalidFilter,
    InvalidValue,
    Mutability,
    NotFound,
    NotModified,
    PreconditionFailed,
    Uniqueness,
)
from glpi_scim.scim.memory import InMemoryStore
from glpi_scim.scim.service import ScimService, ServiceSettings
from glpi_scim.scim.store import GROUP, USER, ListQuery, MemberChange, MemberReply, Page, Resource

from .helpers import BASE, ENTERPRISE, GROUP_URN, LIST_RESPONSE, USER_URN, patch_op

# An authenticationSchemes entry as the security layer hands it to the core.
BEARER_SCHEME = {"type": "oauthbearertoken", "name": "OAuth Bearer Token", "primary": True}

BARBARA = {
    "schemas": [USER_URN, ENTERPRISE],
    "externalId": "bjensen-ext",
    "userName": "bjensen@example.com",
    "name": {"givenName": "Barbara", "familyName": "Jensen"},
    "active": True,
    "emails": [{"value": "bjensen@example.com", "type": "work", "primary": True}],
    "password": "t1meMa$heen",
    ENTERPRISE: {"department": "Tour Operations"},
}


def create_user(service: ScimService, **overrides: Any) -> dict[str, Any]:
    response = service.create(USER, {**BARBARA, **overrides})
    assert response.body is not None
    return response.body


def test_create_user(service: ScimService) -> None:
    response = service.create(USER, BARBARA)
    assert response.status == 201
    body = response.body
    assert body is not None
    assert body["id"] == "1"
    assert body["meta"]["location"] == f"{BASE}/Users/1"
    assert body["meta"]["resourceType"] == "User"
    assert response.headers == {"ETag": body["meta"]["version"], "Location": f"{BASE}/Users/1"}
    assert "password" not in body
    assert body["schemas"] == [USER_URN, ENTERPRISE]
    assert body[ENTERPRISE] == {"department": "Tour Operations"}


def test_create_conflict(service: ScimService) -> None:
    create_user(service)
    with pytest.raises(Uniqueness):
        service.create(USER, {**BARBARA, "userName": "BJENSEN@example.com"})


def test_get_with_etag(service: ScimService) -> None:
    version = create_user(service)["meta"]["version"]
    response = service.get(USER, "1")
    assert response.status == 200 and response.headers["ETag"] == version
    with pytest.raises(NotModified) as caught:
        service.get(USER, "1", if_none_match=version)
    assert caught.value.status == 304 and caught.value.headers["ETag"] == version
    assert service.get(USER, "1", if_none_match='W/"other"').status == 200
    with pytest.raises(NotFound):
        service.get(USER, "404")
    with pytest.raises(NotFound):
        service.get("Devices", "1")


def test_get_with_attributes(service: ScimService) -> None:
    create_user(service)
    response = service.get(USER, "1", {"attributes": "userName,name.familyName"})
    assert response.body == {
        "schemas": [USER_URN],
        "id": "1",
        "userName": "bjensen@example.com",
        "name": {"familyName": "Jensen"},
    }
    assert "ETag" in response.headers
    excluded = service.get(USER, "1", {"excludedAttributes": "emails,meta"}).body
    assert excluded is not None and "emails" not in excluded and "meta" not in excluded


def test_entra_style_lookup_by_filter(service: ScimService) -> None:
    create_user(service)
    response = service.list(
        USER, {"filter": 'userName eq "BJENSEN@example.com"', "startIndex": "1", "count": "100"}
    )
    assert response.status == 200
    body = response.body
    assert body is not None
    assert body["schemas"] == [LIST_RESPONSE]
    assert (body["totalResults"], body["itemsPerPage"], body["startIndex"]) == (1, 1, 1)
    assert body["Resources"][0]["id"] == "1"
    assert body["Resources"][0]["meta"]["location"] == f"{BASE}/Users/1"
    empty = service.list(USER, {"filter": 'externalId eq "nobody"'}).body
    assert empty == {
        "schemas": [LIST_RESPONSE],
        "totalResults": 0,
        "startIndex": 1,
        "itemsPerPage": 0,
        "Resources": [],
    }


def test_list_paging_count_capped(service: ScimService) -> None:
    for i in range(60):
        service.create(USER, {"userName": f"user{i:02}"})
    body = service.list(USER, {"count": "1000", "sortBy": "userName"}).body
    assert body is not None
    assert body["totalResults"] == 60 and body["itemsPerPage"] == 50  # maxResults
    last = service.list(USER, {"startIndex": "51", "sortBy": "userName"}).body
    assert last is not None and last["Resources"][0]["userName"] == "user50"


def test_list_rejects_unknown_filter_attribute(service: ScimService) -> None:
    with pytest.raises(InvalidFilter) as caught:
        service.list(USER, {"filter": 'USERNAMEX eq "x"'})
    assert caught.value.to_document()["scimType"] == "invalidFilter"


def test_replace_user(service: ScimService) -> None:
    created = create_user(service)
    response = service.replace(
        USER, "1", {"userName": "bjensen@example.com", "displayName": "Babs", "id": "ignored"}
    )
    body = response.body
    assert body is not None
    assert body["displayName"] == "Babs"
    assert "name" not in body and ENTERPRISE not in body  # PUT replaces everything
    assert body["meta"]["created"] == created["meta"]["created"]
    assert body["meta"]["version"] != created["meta"]["version"]
    with pytest.raises(PreconditionFailed):
        service.replace(USER, "1", {"userName": "x"}, if_match=created["meta"]["version"])
    with pytest.raises(InvalidValue):
        service.replace(USER, "1", {"displayName": "no userName"})
    with pytest.raises(NotFound):
        service.replace(USER, "404", {"userName": "x"})


def test_replace_keeps_an_omitted_password(service: ScimService, store: InMemoryStore) -> None:
    create_user(service)
    service.replace(USER, "1", {"userName": "bjensen@example.com"})
    assert store.get(USER, "1")["password"] == BARBARA["password"]
    service.replace(USER, "1", {"userName": "bjensen@example.com", "password": "new"})
    assert store.get(USER, "1")["password"] == "new"


def test_entra_user_patch(service: ScimService) -> None:
    create_user(service)
    document = patch_op(
        {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "new@example.com"},
        {"op": "Replace", "path": "name.familyName", "value": "Jensen-Smith"},
        {"op": "Add", "path": 'phoneNumbers[type eq "mobile"].value', "value": "+33 6"},
        {"op": "Replace", "path": "active", "value": "False"},
        {"op": "Add", "path": f"{ENTERPRISE}:manager", "value": "2"},
    )
    response = service.patch(USER, "1", document)
    assert response.status == 200
    body = response.body
    assert body is not None
    assert body["emails"] == [{"value": "new@example.com", "type": "work", "primary": True}]
    assert body["name"]["familyName"] == "Jensen-Smith"
    assert body["phoneNumbers"] == [{"type": "mobile", "value": "+33 6"}]
    assert body["active"] is False
    assert body[ENTERPRISE]["manager"] == {"value": "2", "$ref": f"{BASE}/Users/2"}
    assert response.headers["ETag"] == body["meta"]["version"]


def test_okta_deactivation(service: ScimService) -> None:
    create_user(service)
    document = patch_op({"op": "replace", "value": {"id": "1", "active": False}})
    body = service.patch(USER, "1", document, {"attributes": "active"}).body
    assert body == {"schemas": [USER_URN], "id": "1", "active": False}


def test_patch_read_only_is_mutability(service: ScimService) -> None:
    create_user(service)
    with pytest.raises(Mutability):
        service.patch(USER, "1", patch_op({"op": "replace", "path": "groups", "value": []}))


def test_delete(service: ScimService) -> None:
    create_user(service)
    assert service.delete(USER, "1").status == 204
    with pytest.raises(NotFound):
        service.delete(USER, "1")


class RecordingStore(InMemoryStore):
    """Records which store methods a use case calls."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    def get(
        self, resource_type: str, resource_id: str, *, skip: frozenset[str] = frozenset()
    ) -> Resource:
        self.calls.append(f"get skip={sorted(skip)}")
        return super().get(resource_type, resource_id, skip=skip)

    def update(self, *args: Any, **kwargs: Any) -> Resource:
        self.calls.append("update")
        return super().update(*args, **kwargs)

    def change_members(
        self,
        group_id: str,
        change: MemberChange,
        *,
        if_match: str | None = None,
        reply: MemberReply | None = None,
    ) -> Resource | None:
        self.calls.append("change_members")
        return super().change_members(group_id, change, if_match=if_match, reply=reply)

    def list(self, resource_type: str, query: ListQuery) -> Page:
        self.calls.append(f"list {resource_type}")
        return super().list(resource_type, query)


@pytest.fixture
def recording() -> tuple[ScimService, RecordingStore]:
    store = RecordingStore()
    return ScimService(store, base_url=BASE), store


def test_group_member_patch_goes_to_change_members_and_answers_204(
    recording: tuple[ScimService, RecordingStore],
) -> None:
    service, store = recording
    for name in ("a", "b"):
        service.create(USER, {"userName": name})
    service.create(GROUP, {"displayName": "Ops", "members": [{"value": "1"}]})
    store.calls.clear()
    document = patch_op(
        {"op": "Add", "path": "members", "value": [{"value": "2"}]},
        {"op": "Remove", "path": "members", "value": [{"value": "1"}]},
    )
    response = service.patch(GROUP, "3", document)
    assert (response.status, response.body) == (204, None)
    assert store.calls == ["change_members"]
    assert [m["value"] for m in service.get(GROUP, "3").body["members"]] == ["2"]  # type: ignore[index]


def test_group_member_patch_with_attributes_answers_200(
    recording: tuple[ScimService, RecordingStore],
) -> None:
    service, store = recording
    service.create(USER, {"userName": "a"})
    service.create(GROUP, {"displayName": "Ops"})
    store.calls.clear()
    document = patch_op({"op": "add", "path": "members", "value": [{"value": "1"}]})
    response = service.patch(GROUP, "2", document, {"excludedAttributes": "members"})
    assert response.status == 200
    assert store.calls == ["change_members", "get skip=['members']"]
    assert response.body is not None and "members" not in response.body
    assert response.headers["ETag"] == response.body["meta"]["version"]


def test_group_patch_touching_more_than_members_loads_it(
    recording: tuple[ScimService, RecordingStore],
) -> None:
    service, store = recording
    service.create(USER, {"userName": "a"})
    service.create(GROUP, {"displayName": "Ops"})
    store.calls.clear()
    document = patch_op(
        {"op": "add", "path": "members", "value": [{"value": "1"}]},
        {"op": "replace", "path": "displayName", "value": "Ops2"},
    )
    response = service.patch(GROUP, "2", document)
    assert response.status == 200 and store.calls == ["update"]
    body = response.body
    assert body is not None and body["displayName"] == "Ops2"
    # members.display is `returned: request`: not in a default response.
    assert body["members"] == [{"value": "1", "type": "User", "$ref": f"{BASE}/Users/1"}]


def test_group_member_patch_can_answer_200_by_setting() -> None:
    service = ScimService(InMemoryStore(), ServiceSettings(members_patch_no_content=False))
    service.create(USER, {"userName": "a"})
    service.create(GROUP, {"displayName": "Ops"})
    document = patch_op({"op": "add", "path": "members", "value": [{"value": "1"}]})
    response = service.patch(GROUP, "2", document)
    assert response.status == 200 and response.body is not None
    assert response.body["members"][0]["value"] == "1"
    assert "$ref" not in response.body["members"][0]  # no base URL: no URLs


@pytest.mark.parametrize(("members", "status"), [(2, 200), (3, 204)])
def test_group_member_patch_answers_204_above_the_reply_limit(members: int, status: int) -> None:
    """A one-member edit of a large group does not send the whole group back."""
    settings = ServiceSettings(members_patch_no_content=False, members_reply_limit=2)
    service = ScimService(InMemoryStore(), settings)
    for name in "abc":
        service.create(USER, {"userName": name})
    group = service.create(GROUP, {"displayName": "Ops", "members": [{"value": "1"}]}).body
    assert group is not None
    more = [{"value": str(i)} for i in range(2, members + 1)]
    response = service.patch(
        GROUP, group["id"], patch_op({"op": "add", "path": "members", "value": more})
    )
    assert response.status == status
    assert len(service.get(GROUP, group["id"]).body["members"]) == members  # type: ignore[index]


def test_group_members_urls_and_user_groups(service: ScimService) -> None:
    create_user(service)
    service.create(GROUP, {"displayName": "Inner"})
    group = service.create(
        GROUP,
        {
            "schemas": [GROUP_URN],
            "displayName": "Outer",
            "members": [{"value": "1"}, {"value": "2", "type": "Group"}],
        },
    ).body
    assert group is not None
    assert [m["$ref"] for m in group["members"]] == [f"{BASE}/Users/1", f"{BASE}/Groups/2"]
    user = service.get(USER, "1").body
    assert user is not None
    assert user["groups"] == [
        {"value": "3", "display": "Outer", "type": "direct", "$ref": f"{BASE}/Groups/3"}
    ]


def test_base_url_per_call(service: ScimService) -> None:
    create_user(service)
    body = service.get(USER, "1", base_url="https://other/scim/v2/").body
    assert body is not None and body["meta"]["location"] == "https://other/scim/v2/Users/1"


def test_search_under_a_type(service: ScimService) -> None:
    create_user(service)
    body = service.search(
        USER, {"filter": 'name.givenName sw "bar"', "attributes": ["userName"]}
    ).body
    assert body is not None and body["Resources"] == [
        {"schemas": [USER_URN], "id": "1", "userName": "bjensen@example.com"}
    ]


def test_search_at_the_root(recording: tuple[ScimService, RecordingStore]) -> None:
    service, store = recording
    for name in ("ann", "bob"):
        service.create(USER, {"userName": name})
    for name in ("admins", "billing"):
        service.create(GROUP, {"displayName": name})
    body = service.search(None, {"filter": 'userName sw "b" or displayName sw "b"'}).body
    assert body is not None
    assert [r.get("userName") or r.get("displayName") for r in body["Resources"]] == [
        "bob",
        "billing",
    ]
    assert body["totalResults"] == 2
    store.calls.clear()
    only_users = service.search(None, {"filter": "userName pr"}).body
    assert only_users is not None and only_users["totalResults"] == 2
    assert store.calls == ["list User"]  # the filter is false for groups: not even asked
    paged = service.search(None, {"startIndex": 2, "count": 2, "sortBy": "displayName"}).body
    assert paged is not None and paged["totalResults"] == 4
    assert [r["id"] for r in paged["Resources"]] == ["2", "3"]


def test_discovery(service: ScimService) -> None:
    config = ScimService(
        InMemoryStore(),
        ServiceSettings(authentication_schemes=(BEARER_SCHEME,), max_results=75),
        base_url=BASE,
    ).service_provider_config()
    assert config.body is not None
    assert config.body["filter"] == {"supported": True, "maxResults": 75}
    assert config.body["authenticationSchemes"][0]["type"] == "oauthbearertoken"
    assert config.body["meta"]["location"] == f"{BASE}/ServiceProviderConfig"
    schemas = service.schemas().body
    assert schemas is not None and schemas["totalResults"] == 3
    assert service.schema(ENTERPRISE).body["id"] == ENTERPRISE  # type: ignore[index]
    with pytest.raises(NotFound):
        service.schema("urn:nope")
    types = service.resource_types().body
    assert types is not None and [t["id"] for t in types["Resources"]] == ["User", "Group"]
    assert service.resource_type("group").body["endpoint"] == "/Groups"  # type: ignore[index]
    with pytest.raises(Forbidden):
        service.schemas({"filter": 'id eq "x"'})
    with pytest.raises(NotFound):
        service.resource_type("Device")


def test_tolerated_extensions_setting() -> None:
    custom = "urn:example:custom:2.0:User"
    service = ScimService(InMemoryStore(), ServiceSettings(tolerated_extensions=(custom,)))
    body = service.create(
        USER, {"schemas": [USER_URN, custom], "userName": "a", custom: {"x": 1}}
    ).body
    assert body is not None and custom not in body
    with pytest.raises(InvalidValue):
        ScimService(InMemoryStore()).create(USER, {"userName": "a", custom: {"x": 1}})


def test_errors_render_as_scim_documents(service: ScimService) -> None:
    with pytest.raises(InvalidValue) as caught:
        service.create(USER, {"name": {"givenName": "x"}})
    assert caught.value.to_document() == {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
        "status": "400",
        "scimType": "invalidValue",
        "detail": "'userName' is required",
    }
