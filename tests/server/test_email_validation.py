"""E-mail addresses GLPI itself would refuse are refused over HTTP, and nothing is written;
addresses already stored stay readable and do not block later updates."""

from __future__ import annotations

from sqlalchemy import func, insert, select

from glpi_scim.db import tables
from glpi_scim.db.database import Database

from .support import PATCH_SCHEMA, USER_SCHEMA, Api, assert_scim_error

HOSTILE = "x'onfocus='alert(1)'autofocus='@example.com"


def counts(database: Database) -> tuple[int, int]:
    with database.begin() as connection:
        users = connection.execute(select(func.count()).select_from(tables.users)).scalar_one()
        emails = connection.execute(
            select(func.count()).select_from(tables.useremails)
        ).scalar_one()
    return users, emails


def test_an_address_glpi_refuses_is_refused_and_nothing_is_created(
    api: Api, database: Database
) -> None:
    before = counts(database)
    for address in (HOSTILE, "a..b@example.com", "ada@-example.com", "ada@exa_mple.com"):
        answer = api.post(
            "/Users",
            {"schemas": [USER_SCHEMA], "userName": "ada", "emails": [{"value": address}]},
        )
        body = assert_scim_error(answer, 400, repr(address), "GLPI accepts")
        assert body["scimType"] == "invalidValue"
    assert counts(database) == before


def test_a_patch_adding_a_refused_address_changes_nothing(api: Api, database: Database) -> None:
    created = api.post(
        "/Users",
        {"schemas": [USER_SCHEMA], "userName": "ada", "emails": [{"value": "ada@example.com"}]},
    )
    assert created.status_code == 201, created.text
    path = f"/Users/{created.json['id']}"
    patch = {
        "schemas": [PATCH_SCHEMA],
        "Operations": [
            {"op": "replace", "path": "displayName", "value": "Ada L."},
            {"op": "add", "path": "emails", "value": [{"value": HOSTILE, "type": "work"}]},
        ],
    }
    assert_scim_error(api.patch(path, patch), 400, repr(HOSTILE))
    after = api.get(path).json
    assert [e["value"] for e in after["emails"]] == ["ada@example.com"]
    assert "displayName" not in after


def test_addresses_glpi_accepts_are_stored(api: Api) -> None:
    addresses = ["o'brien@example.com", "root@localhost", "zoë@example.com", "ops@[192.0.2.1]"]
    created = api.post(
        "/Users",
        {
            "schemas": [USER_SCHEMA],
            "userName": "ada",
            "emails": [{"value": address} for address in addresses],
        },
    )
    assert created.status_code == 201, created.text
    assert sorted(e["value"] for e in created.json["emails"]) == sorted(addresses)


def test_an_address_stored_before_is_still_read_and_kept(api: Api, database: Database) -> None:
    created = api.post("/Users", {"schemas": [USER_SCHEMA], "userName": "ada"})
    user_id = int(created.json["id"])
    with database.begin() as connection:  # written by an older version, or by hand in GLPI
        connection.execute(
            insert(tables.useremails).values(
                users_id=user_id, email="bad..address@example.com", is_dynamic=1, is_default=1
            )
        )
    path = f"/Users/{user_id}"
    shown = api.get(path).json
    assert [e["value"] for e in shown["emails"]] == ["bad..address@example.com"]
    # The IdP sends the user back with it and a new address: the update goes through.
    replaced = api.put(
        path,
        {
            "schemas": [USER_SCHEMA],
            "userName": "ada",
            "emails": [{"value": "bad..address@example.com"}, {"value": "ada@example.com"}],
        },
    )
    assert replaced.status_code == 200, replaced.text
    assert {e["value"] for e in replaced.json["emails"]} == {
        "bad..address@example.com",
        "ada@example.com",
    }
