"""The SCIM core's use cases over the GLPI store: what an identity provider's requests leave."""

from __future__ import annotations

from typing import Any

import pytest

from glpi_scim.glpi.store import GlpiStore
from glpi_scim.scim.errors import NotFound
from glpi_scim.scim.service import ScimService

from .support import ENTERPRISE, Rows, glpi_id

USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def patch(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH_URN], "Operations": list(operations)}


@pytest.fixture
def service(store: GlpiStore) -> ScimService:
    return ScimService(store, base_url="https://glpi.example.com/scim/v2")


def test_entra_style_user_lifecycle(service: ScimService, rows: Rows) -> None:
    # Entra ID looks the account up, creates it, patches it with value filters, disables it.
    found = service.list("User", {"filter": 'userName eq "Ada.King@contoso.com"'})
    assert found.body["totalResults"] == 0
    created = service.create(
        "User",
        {
            "schemas": [USER_URN, ENTERPRISE],
            "externalId": "0f1e",
            "userName": "Ada.King@contoso.com",
            "active": True,
            "displayName": "Ada King",
            "emails": [{"primary": True, "type": "work", "value": "ada.king@contoso.com"}],
            "name": {"givenName": "Ada", "familyName": "King"},
            "title": "CTO",
            ENTERPRISE: {"department": "R&D", "manager": "2"},
        },
    )
    assert created.status == 201
    user_id = created.body["id"]
    assert created.body["meta"]["location"].endswith(f"/Users/{user_id}")
    updated = service.patch(
        "User",
        user_id,
        patch(
            {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "ada@contoso.com"},
            {"op": "Replace", "path": "active", "value": "False"},
            {"op": "Add", "path": "name.givenName", "value": "Augusta Ada"},
        ),
    )
    assert updated.body["emails"] == [{"value": "ada@contoso.com", "type": "work", "primary": True}]
    row = rows.user(user_id)
    assert (row["is_active"], row["firstname"]) == (0, "Augusta Ada")
    assert rows.all("SELECT email FROM glpi_useremails WHERE users_id = :u", u=int(user_id)) == [
        {"email": "ada@contoso.com"}
    ]
    by_external_id = service.list("User", {"filter": 'externalId eq "0f1e"'})
    assert [r["id"] for r in by_external_id.body["Resources"]] == [user_id]
    assert service.delete("User", user_id).status == 204
    with pytest.raises(NotFound):
        service.get("User", user_id)


def test_okta_style_group_push(service: ScimService, rows: Rows) -> None:
    ids = [
        service.create("User", {"schemas": [USER_URN], "userName": name}).body["id"]
        for name in ("u1", "u2", "u3")
    ]
    created = service.create("Group", {"schemas": [GROUP_URN], "displayName": "Okta Team"})
    group_id = created.body["id"]
    added = service.patch(
        "Group",
        group_id,
        patch({"op": "add", "path": "members", "value": [{"value": i} for i in ids]}),
    )
    assert added.status in (200, 204)
    removed = service.patch(
        "Group", group_id, patch({"op": "remove", "path": f'members[value eq "{ids[0]}"]'})
    )
    assert removed.status in (200, 204)
    renamed = service.patch(
        "Group", group_id, patch({"op": "replace", "value": {"displayName": "Okta Team 2"}})
    )
    assert renamed.body["displayName"] == "Okta Team 2"
    got = service.get("Group", group_id, {"excludedAttributes": "members"})
    assert "members" not in got.body
    members = service.get("Group", group_id).body["members"]
    assert [m["value"] for m in members] == ids[1:]
    assert rows.scalar("SELECT name FROM glpi_groups WHERE id = :g", g=glpi_id(group_id)) == (
        "Okta Team 2"
    )
    user_groups = service.get("User", ids[1]).body["groups"]
    assert user_groups[0]["value"] == group_id and user_groups[0]["display"] == "Okta Team 2"
    assert service.delete("Group", group_id).status == 204
    assert rows.count("glpi_groups_users") == 0
