"""A PUT changes what it carries and clears only what SCIM lets it clear (docs/mapping.md).

Each attribute of Users and Groups is left out of a PUT of an otherwise complete resource, over
HTTP on both databases; the test checks what a GET shows and what GLPI's rows hold after it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select, update

from glpi_scim.db import tables
from glpi_scim.db.database import Database

from .support import GROUP_SCHEMA, PATCH_SCHEMA, USER_SCHEMA, Api

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def full_user(login: str, manager_id: str) -> dict[str, Any]:
    return {
        "schemas": [USER_SCHEMA, ENTERPRISE],
        "userName": login,
        "externalId": f"ext-{login}",
        "name": {"givenName": "Grace", "familyName": "Hopper", "formatted": "Grace Hopper"},
        "displayName": "Grace H.",
        "nickName": "Amazing",
        "title": "Rear Admiral",
        "userType": "Officer",
        "preferredLanguage": "fr-FR",
        "timezone": "Europe/Paris",
        "active": True,
        "emails": [{"value": f"{login}@example.com", "type": "work", "primary": True}],
        "phoneNumbers": [
            {"value": "+33 1 00", "type": "work"},
            {"value": "+33 6 00", "type": "mobile"},
            {"value": "+33 1 99", "type": "other"},
        ],
        "addresses": [{"locality": "Arlington", "type": "work"}],
        ENTERPRISE: {
            "employeeNumber": "1906",
            "department": "Navy",
            "manager": {"value": manager_id},
        },
    }


def user_row(database: Database, user_id: str) -> dict[str, Any]:
    with database.begin() as connection:
        row = connection.execute(
            select(tables.users).where(tables.users.c.id == int(user_id))
        ).one()
    return dict(row._mapping)


def email_rows(database: Database, user_id: str) -> list[tuple[str, int]]:
    emails = tables.useremails
    with database.begin() as connection:
        found = connection.execute(
            select(emails.c.email, emails.c.is_dynamic)
            .where(emails.c.users_id == int(user_id))
            .order_by(emails.c.id)
        )
        return [(row.email, row.is_dynamic) for row in found]


@pytest.fixture
def synced(make_api: Callable[..., Api]) -> Api:
    """A server with password sync, so that `password` has a GLPI home too."""
    return make_api(password_sync=True)


def create(api: Api, body: dict[str, Any]) -> dict[str, Any]:
    result = api.post("/Users", body)
    assert result.status_code == 201, result.text
    return dict(result.json)


def put_without(api: Api, user: dict[str, Any], body: dict[str, Any], *path: str) -> dict:
    sent = {key: value for key, value in body.items()}
    if len(path) == 1:
        sent.pop(path[0])
    else:
        sent[path[0]] = {k: v for k, v in sent[path[0]].items() if k != path[1]}
    result = api.put(f"/Users/{user['id']}", sent)
    assert result.status_code == 200, result.text
    got = api.get(f"/Users/{user['id']}").json
    assert got == result.json | {"meta": got["meta"]}
    return dict(got)


# What leaving each attribute out of a PUT does: (path, what the GET shows, GLPI's row).
CLEARED = [
    (("externalId",), lambda u: "externalId" not in u, None),
    (("name",), lambda u: "name" not in u, {"firstname": None, "realname": None}),
    (("nickName",), lambda u: "nickName" not in u, {"nickname": None}),
    (("title",), lambda u: "title" not in u, {"usertitles_id": 0}),
    (("userType",), lambda u: "userType" not in u, {"usercategories_id": 0}),
    (("preferredLanguage",), lambda u: "preferredLanguage" not in u, {"language": None}),
    (("timezone",), lambda u: "timezone" not in u, {"timezone": None}),
    (("displayName",), lambda u: "displayName" not in u, None),
    (("addresses",), lambda u: "addresses" not in u, None),
    (
        ("phoneNumbers",),
        lambda u: "phoneNumbers" not in u,
        {"phone": None, "mobile": None, "phone2": None},
    ),
    (
        (ENTERPRISE, "employeeNumber"),
        lambda u: "employeeNumber" not in u[ENTERPRISE],
        {"registration_number": None},
    ),
    ((ENTERPRISE, "manager"), lambda u: "manager" not in u[ENTERPRISE], {"users_id_supervisor": 0}),
]


@pytest.mark.parametrize(
    ("path", "shown", "columns"), CLEARED, ids=[".".join(c[0][-1:]) for c in CLEARED]
)
def test_a_put_clears_an_omitted_read_write_attribute(
    database: Database, api: Api, path: tuple[str, ...], shown: Any, columns: Any
) -> None:
    boss = create(api, {"schemas": [USER_SCHEMA], "userName": "boss"})
    body = full_user("grace", boss["id"])
    user = create(api, body)
    before = user_row(database, user["id"])
    got = put_without(api, user, body, *path)
    assert shown(got)
    after = user_row(database, user["id"])
    for column, value in (columns or {}).items():
        assert after[column] == value, column
    # Nothing else of GLPI's row moved: the attributes still sent, the GLPI-only columns,
    # the flag.
    changed = {k for k in before if before[k] != after[k]} - {"date_mod", *(columns or {})}
    assert changed == set()
    assert got["active"] is True and got["emails"][0]["value"] == "grace@example.com"


def test_a_put_without_active_keeps_the_account_as_it_is(database: Database, api: Api) -> None:
    body = {"schemas": [USER_SCHEMA], "userName": "ada", "active": True}
    user = create(api, body)
    assert api.put(f"/Users/{user['id']}", {**body, "active": False}).json["active"] is False
    # The IdP sends the user again without `active`: still inactive, in SCIM and in GLPI.
    got = put_without(api, user, body | {"nickName": "A"}, "active")
    assert got["active"] is False and got["nickName"] == "A"
    assert user_row(database, user["id"])["is_active"] == 0
    # An account GLPI deactivated is not re-enabled by a PUT without `active`.
    other = create(api, body | {"userName": "lin"})
    with database.begin() as connection:
        connection.execute(
            update(tables.users).where(tables.users.c.id == int(other["id"])).values(is_active=0)
        )
    got = put_without(api, other, body | {"userName": "lin", "title": "Eng"}, "active")
    assert got["active"] is False and user_row(database, other["id"])["is_active"] == 0
    # An active account stays active and keeps showing it.
    third = create(api, body | {"userName": "kay"})
    got = put_without(api, third, body | {"userName": "kay"}, "active")
    assert got["active"] is True and user_row(database, third["id"])["is_active"] == 1


def test_removing_active_with_patch_does_not_re_enable(database: Database, api: Api) -> None:
    user = create(api, {"schemas": [USER_SCHEMA], "userName": "rem", "active": False})
    patch = {"schemas": [PATCH_SCHEMA], "Operations": [{"op": "remove", "path": "active"}]}
    result = api.patch(f"/Users/{user['id']}", patch)
    assert result.status_code == 200, result.text
    # Unassigned, as RFC 7644 §3.5.2.2 says, yet GLPI keeps the account inactive.
    assert "active" not in result.json and "active" not in api.get(f"/Users/{user['id']}").json
    assert user_row(database, user["id"])["is_active"] == 0
    # A PUT without `active` then keeps it that way.
    body = {"schemas": [USER_SCHEMA], "userName": "rem", "nickName": "R"}
    assert "active" not in api.put(f"/Users/{user['id']}", body).json
    assert user_row(database, user["id"])["is_active"] == 0


def test_a_put_without_password_keeps_it(database: Database, synced: Api) -> None:
    body = {"schemas": [USER_SCHEMA], "userName": "pw", "password": "Correct-Horse-1"}
    user = create(synced, body)
    hashed = user_row(database, user["id"])["password"]
    assert hashed.startswith("$2y$")
    put_without(synced, user, body | {"nickName": "P"}, "password")
    assert user_row(database, user["id"])["password"] == hashed


def test_a_put_without_emails_keeps_the_addresses_added_in_glpi(
    database: Database, api: Api
) -> None:
    body = {
        "schemas": [USER_SCHEMA],
        "userName": "mails",
        "emails": [{"value": "scim@example.com", "primary": True}],
    }
    user = create(api, body)
    with database.begin() as connection:
        connection.execute(
            tables.useremails.insert().values(
                users_id=int(user["id"]), email="desk@example.com", is_dynamic=0, is_default=0
            )
        )
    got = put_without(api, user, body, "emails")
    assert got["emails"] == [{"value": "desk@example.com", "primary": True}]
    assert email_rows(database, user["id"]) == [("desk@example.com", 0)]


def test_a_put_without_groups_keeps_the_memberships(api: Api) -> None:
    """`groups` is readOnly: a PUT cannot change a user's memberships."""
    body = {"schemas": [USER_SCHEMA], "userName": "member"}
    user = create(api, body)
    group = api.post(
        "/Groups",
        {"schemas": [GROUP_SCHEMA], "displayName": "Ops", "members": [{"value": user["id"]}]},
    ).json
    got = put_without(api, user, body | {"nickName": "M"}, "nickName")
    assert [g["value"] for g in got["groups"]] == [group["id"]]


def test_a_group_put_clears_only_what_it_leaves_out(database: Database, api: Api) -> None:
    user = create(api, {"schemas": [USER_SCHEMA], "userName": "gm"})
    body = {
        "schemas": [GROUP_SCHEMA],
        "displayName": "Ops",
        "externalId": "g-ext",
        "members": [{"value": user["id"]}],
    }
    group = api.post("/Groups", body).json
    groups = tables.groups
    with database.begin() as connection:
        connection.execute(
            update(groups).where(groups.c.id == int(group["id"][1:])).values(comment="by hand")
        )
    # externalId left out: cleared; members left out: the group has none.
    result = api.put(f"/Groups/{group['id']}", {"schemas": [GROUP_SCHEMA], "displayName": "Ops"})
    assert result.status_code == 200, result.text
    got = api.get(f"/Groups/{group['id']}").json
    assert "externalId" not in got and "members" not in got
    with database.begin() as connection:
        row = connection.execute(select(groups).where(groups.c.id == int(group["id"][1:]))).one()
    # GLPI-only columns stay as GLPI holds them.
    assert (row.comment, row.name, row.entities_id) == ("by hand", "Ops", 0)
