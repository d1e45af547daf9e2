"""Property tests of the PATCH engine: add then remove restores; agreement with scim2-models."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from scim2_models import EnterpriseUser, PatchOp, User

from glpi_scim.scim.patch import apply_patch

from .helpers import ENTERPRISE, PATCH_OP, USER_URN, patch_op
from .test_filter_properties import users

WORDS = ["a", "B", "Tour Guide", "é", "x y"]

# (path, value strategy, whether the path can also be given as a path-less key)
ADDABLE: list[tuple[str, st.SearchStrategy[Any]]] = [
    ("title", st.sampled_from(WORDS)),
    ("nickName", st.sampled_from(WORDS)),
    ("profileUrl", st.just("https://example.com/b")),
    ("active", st.booleans()),
    ("name.middleName", st.sampled_from(WORDS)),
    ("name.honorificPrefix", st.sampled_from(WORDS)),
    (f"{ENTERPRISE}:costCenter", st.sampled_from(WORDS)),
    (f"{ENTERPRISE}:manager", st.sampled_from(["m9", "M10"]).map(lambda v: {"value": v})),
    ("locale", st.sampled_from(["fr-FR", "en-US"])),
]


def _absent(resource: dict[str, Any], path: str) -> bool:
    if path.startswith(ENTERPRISE):
        return path.rpartition(":")[2] not in resource.get(ENTERPRISE, {})
    attr, _, sub = path.partition(".")
    if sub:
        return sub not in resource.get(attr, {})
    return attr not in resource


@settings(max_examples=200, deadline=None)
@given(users(), st.data())
def test_add_then_remove_restores_the_resource(
    resource: dict[str, Any], data: st.DataObject
) -> None:
    path, values = data.draw(st.sampled_from([a for a in ADDABLE if _absent(resource, a[0])]))
    value = data.draw(values)
    pathless = data.draw(st.booleans())
    add = (
        {"op": "add", "value": {path: value}}
        if pathless
        else {"op": "add", "path": path, "value": value}
    )
    added = apply_patch(resource, patch_op(add), "User")
    assert added != resource
    restored = apply_patch(added, patch_op({"op": "remove", "path": path}), "User")
    assert restored == resource


@settings(max_examples=200, deadline=None)
@given(users(), st.sampled_from(["n1@x.org", "N2@y.com"]), st.sampled_from(["work", "home", None]))
def test_adding_then_removing_a_new_email_restores_the_resource(
    resource: dict[str, Any], address: str, kind: str | None
) -> None:
    existing = {e["value"].lower() for e in resource.get("emails", [])}
    if address.lower() in existing:
        return
    email = {"value": address, **({"type": kind} if kind else {})}
    added = apply_patch(
        resource, patch_op({"op": "add", "path": "emails", "value": [email]}), "User"
    )
    assert added["emails"][-1] == email
    by_filter = patch_op({"op": "remove", "path": f'emails[value eq "{address}"]'})
    by_value = patch_op({"op": "remove", "path": "emails", "value": [{"value": address}]})
    assert apply_patch(added, by_filter, "User") == resource
    assert apply_patch(added, by_value, "User") == resource


# -- agreement with scim2-models' PatchOp on the forms both read the same way --------------

OracleUser = User[EnterpriseUser]


@st.composite
def simple_operations(draw: st.DrawFn) -> list[dict[str, Any]]:
    operations: list[dict[str, Any]] = []
    for index in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["single", "name", "email", "filter", "active", "ext"]))
        word = draw(st.sampled_from(WORDS))
        if kind == "single":
            path = draw(st.sampled_from(["title", "nickName", "displayName", "userType"]))
            name = draw(st.sampled_from(["add", "replace", "remove"]))
            operations.append(
                {"op": name, "path": path, **({} if name == "remove" else {"value": word})}
            )
        elif kind == "name":
            sub = draw(st.sampled_from(["givenName", "familyName"]))
            choice = draw(st.sampled_from(["path", "complex", "remove"]))
            if choice == "path":
                operations.append({"op": "replace", "path": f"name.{sub}", "value": word})
            elif choice == "complex":
                operations.append({"op": "add", "path": "name", "value": {sub: word}})
            else:
                operations.append({"op": "remove", "path": f"name.{sub}"})
        elif kind == "email":
            email: dict[str, Any] = {
                "value": f"new{index}@example.org",
                "type": draw(st.sampled_from(["home", "other"])),
            }
            if draw(st.booleans()):
                email["primary"] = True
            operations.append({"op": "add", "path": "emails", "value": [email]})
        elif kind == "filter":
            choice = draw(st.sampled_from(["display", "remove"]))
            if choice == "display":
                operations.append(
                    {"op": "replace", "path": 'emails[type eq "work"].display', "value": word}
                )
            else:
                operations.append({"op": "remove", "path": 'emails[type eq "home"]'})
        elif kind == "active":
            operations.append({"op": "replace", "path": "active", "value": draw(st.booleans())})
        else:
            operations.append({"op": "add", "path": f"{ENTERPRISE}:department", "value": word})
    return operations


def _normalise(resource: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in resource.items() if k not in ("schemas", "meta")}
    if "emails" in out:
        out["emails"] = [
            {k: v for k, v in e.items() if not (k == "primary" and v is False)}
            for e in out["emails"]
        ]
    extension = out.get(ENTERPRISE)
    if isinstance(extension, dict):
        extension = {k: v for k, v in extension.items() if k != "schemas"}
        if extension:
            out[ENTERPRISE] = extension
        else:
            del out[ENTERPRISE]
    return out


@settings(max_examples=150, deadline=None)
@given(simple_operations())
def test_patch_agrees_with_scim2_models(operations: list[dict[str, Any]]) -> None:
    resource = {
        "schemas": [USER_URN],
        "userName": "bjensen",
        "title": "Guide",
        "name": {"familyName": "Jensen"},
        "emails": [
            {"value": "bj@example.com", "type": "work", "primary": True},
            {"value": "babs@example.com", "type": "home"},
        ],
    }
    mine = apply_patch(resource, patch_op(*operations), "User")
    model = OracleUser.model_validate(resource)
    PatchOp[OracleUser].model_validate({"schemas": [PATCH_OP], "Operations": operations}).patch(
        model
    )
    theirs = model.model_dump(mode="json", exclude_none=True)
    assert _normalise(mine) == _normalise(theirs), operations
