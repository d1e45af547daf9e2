"""The doctor's probe purge on both databases: rows gone, history kept where ids stay unique."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select

from glpi_scim.db import tables
from glpi_scim.db.database import Database
from glpi_scim.glpi.cleanup import purge_probe

from .support import GROUP_SCHEMA, USER_SCHEMA, Api

NAME = "glpi-scim-doctor-0a1b2c3d"


def count(database: Database, table: object, *where: object) -> int:
    with database.begin() as connection:
        query = select(func.count()).select_from(table).where(*where)  # type: ignore[arg-type]
        return int(connection.execute(query).scalar() or 0)


def test_the_probe_is_purged_whatever_the_delete_policy_did(
    database: Database, make_api: Callable[..., Api]
) -> None:
    api = make_api(delete_policy="deactivate")
    user = api.post(
        "/Users",
        {
            "schemas": [USER_SCHEMA],
            "userName": NAME,
            "emails": [{"value": "probe@example.invalid"}],
            "active": True,
        },
    ).json
    group = api.post(
        "/Groups",
        {"schemas": [GROUP_SCHEMA], "displayName": NAME, "members": [{"value": user["id"]}]},
    ).json
    other = api.post("/Users", {"schemas": [USER_SCHEMA], "userName": "bystander"}).json
    assert api.delete(f"/Users/{user['id']}").status_code == 204  # deactivated, hidden
    removals = tables.removals
    assert count(database, removals, removals.c.servers_id == api.server.id) == 1

    # A wrong id is never purged: only an item holding the probe's name is.
    spared = purge_probe(database, api.server, NAME, user_id=other["id"], group_id=None)
    assert spared.users == [] and api.get(f"/Users/{other['id']}").status_code == 200

    done = purge_probe(database, api.server, NAME, user_id=user["id"], group_id=group["id"])
    uid, gid = int(user["id"]), int(group["id"][1:])
    assert (done.users, done.groups) == ([uid], [gid])
    users, logs = tables.users, tables.logs
    assert count(database, users, users.c.id == uid) == 0
    assert count(database, tables.groups, tables.groups.c.id == gid) == 0
    for table in (tables.useremails, tables.profiles_users, tables.groups_users):
        assert count(database, table, table.c.users_id == uid) == 0, table.name
    assert count(database, tables.scim_resources, tables.scim_resources.c.items_id == uid) == 0
    assert count(database, removals, removals.c.servers_id == api.server.id) == 0
    # The history stays: the group's rows, and the user's own where ids are never reused.
    group_rows = count(database, logs, logs.c.itemtype == "Group", logs.c.items_id == gid)
    user_rows = count(database, logs, logs.c.itemtype == "User", logs.c.items_id == uid)
    assert group_rows >= 2
    assert user_rows == 0 if database.is_sqlite else user_rows >= 4
    # Running it again finds nothing left.
    again = purge_probe(database, api.server, NAME, user_id=user["id"], group_id=group["id"])
    assert (again.users, again.groups) == ([], [])
