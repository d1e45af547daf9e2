"""Seeded users are GLPI rows exactly like those the store writes for a SCIM create, so the
server reads them as its own: the same SCIM document, the same rows (ids and dates aside)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import falcon.testing
import pytest
from benchmarks.databases import fresh_sqlite
from benchmarks.preload import group_document, user_document
from benchmarks.seed import SeedPlan, seed
from sqlalchemy import select

from glpi_scim.config import Settings
from glpi_scim.db import tables
from glpi_scim.db.database import Database
from glpi_scim.server.app import create_app

SAMPLE = (
    2  # a user outside the big group (users // 2 = 2 for 4 users) and, with 1 group, in no group
)
VOLATILE = {"id", "date_creation", "date_mod", "users_id", "items_id"}


def client_for(database: Database, headers: dict[str, str]) -> falcon.testing.TestClient:
    app = create_app(Settings(database_url=database.url, log_level="WARNING"))
    return falcon.testing.TestClient(app, headers=headers)


def rows_of(database: Database, user_id: int) -> dict[str, list[dict[str, Any]]]:
    """The user's rows in every table a SCIM create writes, without ids and dates."""
    found: dict[str, list[dict[str, Any]]] = {}
    with database.begin() as connection:
        for table, column in (
            (tables.users, tables.users.c.id),
            (tables.useremails, tables.useremails.c.users_id),
            (tables.profiles_users, tables.profiles_users.c.users_id),
            (tables.scim_resources, tables.scim_resources.c.items_id),
        ):
            query = select(table).where(column == user_id)
            if table is tables.scim_resources:
                query = query.where(table.c.itemtype == "User")
            found[table.name] = [
                {k: v for k, v in row._mapping.items() if k not in VOLATILE}
                for row in connection.execute(query)
            ]
    return found


def without_volatile(document: dict[str, Any]) -> dict[str, Any]:
    document = {k: v for k, v in document.items() if k not in ("id", "meta")}
    return document


@pytest.fixture
def seeded(tmp_path: Path) -> Callable[..., tuple[Database, dict[str, Any]]]:
    def make(name: str, users: int, groups: int = 1) -> tuple[Database, dict[str, Any]]:
        database = fresh_sqlite(tmp_path / f"{name}.sqlite")
        manifest = seed(database, SeedPlan(users=users, groups=groups), quiet=True)
        return database, {
            "headers": manifest.headers,
            "ids": manifest.user_ids,
            "server": manifest.notes["server_id"],
        }

    return make


def test_a_seeded_user_reads_and_is_stored_like_one_created_over_scim(seeded) -> None:  # type: ignore[no-untyped-def]
    seeded_db, seeded_info = seeded("seeded", 4)
    created_db, created_info = seeded("created", 0, 0)

    created_client = client_for(created_db, created_info["headers"])
    reply = created_client.simulate_post(
        f"/scim/v2/{created_info['server']}/Users",
        body=json.dumps(user_document(SAMPLE)),
        headers={"Content-Type": "application/scim+json"},
    )
    assert reply.status_code == 201, reply.text
    created_id = reply.json["id"]

    seeded_client = client_for(seeded_db, seeded_info["headers"])
    seeded_reply = seeded_client.simulate_get(
        f"/scim/v2/{seeded_info['server']}/Users/{seeded_info['ids'][SAMPLE]}"
    )
    created_reply = created_client.simulate_get(
        f"/scim/v2/{created_info['server']}/Users/{created_id}"
    )
    assert seeded_reply.status_code == created_reply.status_code == 200
    assert without_volatile(seeded_reply.json) == without_volatile(created_reply.json)

    assert rows_of(seeded_db, int(seeded_info["ids"][SAMPLE])) == rows_of(
        created_db, int(created_id)
    )


def test_a_seeded_group_reads_like_one_created_over_scim(seeded) -> None:  # type: ignore[no-untyped-def]
    seeded_db, seeded_info = seeded("seeded", 4)
    created_db, created_info = seeded("created", 0, 0)
    created_client = client_for(created_db, created_info["headers"])
    reply = created_client.simulate_post(
        f"/scim/v2/{created_info['server']}/Groups",
        body=json.dumps(group_document(0, [])),
        headers={"Content-Type": "application/scim+json"},
    )
    assert reply.status_code == 201, reply.text

    seeded_client = client_for(seeded_db, seeded_info["headers"])
    listed = seeded_client.simulate_get(
        f"/scim/v2/{seeded_info['server']}/Groups", query_string='filter=displayName eq "All staff"'
    )
    assert listed.status_code == 200 and listed.json["totalResults"] == 1
    seeded_group = listed.json["Resources"][0]
    created_group = created_client.simulate_get(
        f"/scim/v2/{created_info['server']}/Groups/{reply.json['id']}",
        query_string="excludedAttributes=members",
    ).json
    # The seeded group has its members (users 0 and 1); the one created empty has none.
    assert [m["value"] for m in seeded_group.pop("members")] == seeded_info["ids"][:2]
    assert without_volatile(seeded_group) == without_volatile(created_group)
