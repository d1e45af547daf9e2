"""The mass-change guard over HTTP: past its limit a server refuses removals, and only them."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from click.testing import CliRunner, Result

from glpi_scim.cli.main import cli
from glpi_scim.db.database import Database
from glpi_scim.glpi.guard import GuardService

from .support import GROUP_SCHEMA, PATCH_SCHEMA, USER_SCHEMA, Api, assert_scim_error

BULK_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"


def run(database: Database, *args: str, expect: int = 0) -> Result:
    result = CliRunner().invoke(cli, ["--database", database.url, *args], catch_exceptions=False)
    assert result.exit_code == expect, result.output
    return result


def users(api: Api, count: int, prefix: str = "u") -> list[str]:
    ids = []
    for i in range(count):
        result = api.post(
            "/Users", {"schemas": [USER_SCHEMA], "userName": f"{prefix}{i}", "active": True}
        )
        assert result.status_code == 201, result.text
        ids.append(result.json["id"])
    return ids


def deactivate(user_id: str) -> dict[str, Any]:
    return {
        "schemas": [PATCH_SCHEMA],
        "Operations": [{"op": "replace", "path": "active", "value": False}],
    }


def test_the_guard_trips_refuses_removals_only_and_resumes(
    database: Database, make_api: Callable[..., Api]
) -> None:
    api = make_api(name="okta", max_removals="3/10m")
    ids = users(api, 6)
    group = api.post("/Groups", {"schemas": [GROUP_SCHEMA], "displayName": "Ops"}).json
    assert api.delete(f"/Users/{ids[0]}").status_code == 204
    assert api.patch(f"/Users/{ids[1]}", deactivate(ids[1])).status_code == 200
    assert api.delete(f"/Groups/{group['id']}").status_code == 204
    # The fourth removal trips the guard: 503, Retry-After, and nothing changed.
    refused = api.delete(f"/Users/{ids[2]}")
    body = assert_scim_error(
        refused, 503, "mass-change guard", "'okta'", "3 users and groups", "10min",
        "glpi-scim server resume okta",
    )  # fmt: skip
    assert refused.headers["Retry-After"] == "600"
    assert "scimType" not in body
    assert api.get(f"/Users/{ids[2]}").status_code == 200
    # Further removals are refused whatever their form; everything else is served.
    assert_scim_error(api.patch(f"/Users/{ids[3]}", deactivate(ids[3])), 503, "tripped")
    full = {"schemas": [USER_SCHEMA], "userName": "u4", "active": False}
    assert_scim_error(api.put(f"/Users/{ids[4]}", full), 503, "tripped")
    assert api.get(f"/Users/{ids[3]}").json["active"] is True
    assert api.get(f"/Users/{ids[4]}").json["active"] is True
    assert api.post("/Users", {"schemas": [USER_SCHEMA], "userName": "new"}).status_code == 201
    renamed = {"schemas": [USER_SCHEMA], "userName": "u3", "nickName": "still here"}
    assert api.put(f"/Users/{ids[3]}", renamed).status_code == 200
    assert api.get("/Users").status_code == 200
    # What the guard recorded, as `server status` and `server show` read it.
    state = GuardService(database).state(api.server)
    assert (state.tripped, state.count, state.threshold, state.refused) == (True, 3, 3, 3)
    assert state.window.total_seconds() == 600 and state.since is not None
    assert state.last_refused_what == f"deactivation of User {ids[4]}"
    shown = run(database, "server", "show", "okta").stdout
    assert "TRIPPED" in shown and "glpi-scim server resume okta" in shown
    data = json.loads(run(database, "server", "show", "okta", "--json").stdout)
    assert data["guard"]["tripped"] is True and data["guard"]["refused"] == 3
    status = json.loads(run(database, "server", "status", "okta", "--json").stdout)
    assert status["guard"]["state"]["tripped"] is True
    assert status["guard"]["state"]["refused"] == 3
    # Six users and "new" are this server's (a trashed user stays owned), the purged group not.
    assert status["owned"] == {"users": 7, "groups": 0}
    assert "TRIPPED" in run(database, "server", "status", "okta").stdout
    # The administrator lifts it; removals go through again, with a fresh window.
    lifted = run(database, "server", "resume", "okta").stdout
    assert "lifted" in lifted and "3 removals" in lifted and "refused 3" in lifted
    assert api.delete(f"/Users/{ids[2]}").status_code == 204
    assert api.patch(f"/Users/{ids[3]}", deactivate(ids[3])).status_code == 200
    again = run(database, "server", "resume", "okta").stdout
    assert "was not tripped" in again
    data = json.loads(run(database, "server", "show", "okta", "--json").stdout)
    assert data["guard"]["tripped"] is False and data["guard"]["removals"] == 2


def test_only_real_removals_count(make_api: Callable[..., Api]) -> None:
    api = make_api(max_removals="1/1h")
    inactive = users(api, 1, "off")[0]
    api.patch(f"/Users/{inactive}", deactivate(inactive))  # the one removal allowed
    # Already inactive: deactivating again removes nothing, nor do a 404 and a re-activation.
    assert api.patch(f"/Users/{inactive}", deactivate(inactive)).status_code == 200
    assert api.delete("/Users/999999").status_code == 404
    on = {
        "schemas": [PATCH_SCHEMA],
        "Operations": [{"op": "replace", "path": "active", "value": True}],
    }
    assert api.patch(f"/Users/{inactive}", on).status_code == 200
    assert_scim_error(api.patch(f"/Users/{inactive}", deactivate(inactive)), 503, "1 users")


def test_bulk_removals_count_too(make_api: Callable[..., Api]) -> None:
    api = make_api(max_removals="2/10m")
    ids = users(api, 4)
    operations = [{"method": "DELETE", "path": f"/Users/{i}"} for i in ids]
    result = api.post("/Bulk", {"schemas": [BULK_SCHEMA], "Operations": operations})
    assert result.status_code == 200, result.text
    statuses = [op["status"] for op in result.json["Operations"]]
    assert statuses == ["204", "204", "503", "503"]
    assert [api.get(f"/Users/{i}").status_code for i in ids] == [404, 404, 200, 200]


def test_zero_turns_the_guard_off(database: Database, make_api: Callable[..., Api]) -> None:
    api = make_api(name="free", max_removals="0")
    for user_id in users(api, 4):
        assert api.delete(f"/Users/{user_id}").status_code == 204
    assert GuardService(database).state(api.server).tripped is False
    assert "off" in run(database, "server", "show", "free").stdout


def test_new_servers_get_the_default_limit(
    database: Database, make_api: Callable[..., Api]
) -> None:
    api = make_api(name="entra")
    state = GuardService(database).state(api.server)
    assert (state.threshold, state.window.total_seconds(), state.tripped) == (50, 600, False)
    shown = run(database, "server", "show", "entra").stdout
    assert "at most 50 per 10min deactivations and deletions" in shown
    edited = run(database, "server", "edit", "entra", "--max-removals", "10/1h", "--json")
    assert "at most 10 per 1h" in json.loads(edited.stdout)["notes"][0]
    bad = run(database, "server", "edit", "entra", "--max-removals", "ten", expect=1)
    assert "expected N/PERIOD" in bad.output
    assert GuardService(database).state(api.server).threshold == 10
