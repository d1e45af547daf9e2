"""`glpi-scim users list|show`, `server add|edit --adopt/--protect` and the rights warnings."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from glpi_scim.db.database import Database
from glpi_scim.glpi.store import GlpiStore
from glpi_scim.servers.repository import ServerRepository

from .conftest import Run

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"


def test_users_list_and_show_tell_owner_origin_and_protection(
    run: Run, run_json: Any, database: Database
) -> None:
    run("server", "add", "Okta", "--applied-user", "glpi")
    okta = ServerRepository(database).get("Okta")
    moment = datetime(2026, 5, 1, 8, 30, tzinfo=timezone.utc)
    store = GlpiStore(database, okta, now=lambda: moment)
    created = store.create("User", {"schemas": [USER_SCHEMA], "userName": "alice"})
    store.update("User", "5", lambda user: {**user, "title": "Clerk"})  # adopts 'normal'

    listed = {user["login"]: user for user in run_json("users", "list")}
    assert listed["alice"]["owner"] == {"id": okta.id, "name": "Okta"}
    assert listed["alice"]["origin"] == "created"
    assert listed["normal"]["origin"] == "adopted"
    assert listed["glpi"]["protected"] == "holds GLPI's config right (profile 'Super-Admin')"
    assert listed["glpi-system"]["protected"] == "GLPI's system user"
    assert listed["tech"]["owner"] is None and listed["tech"]["protected"] is None

    owned = [user["login"] for user in run_json("users", "list", "--server", "Okta")]
    assert owned == ["normal", "alice"]
    unowned = [user["login"] for user in run_json("users", "list", "--unowned")]
    assert unowned == ["glpi", "post-only", "tech", "glpi-system"]
    protected = [user["login"] for user in run_json("users", "list", "--protected")]
    assert protected == ["glpi", "glpi-system"]

    shown = run_json("users", "show", "NORMAL")
    assert shown["owner"] == {"id": okta.id, "name": "Okta"}
    assert shown["origin"] == "adopted" and shown["owned_since"] == "2026-05-01T08:30:00"
    assert shown["last_change"] == "2026-05-01T08:30:00"
    text = run("users", "show", "alice").stdout
    assert "Okta (id" in text and "created" in text
    assert f"{created['id']}" in text
    failed = run("users", "show", "nobody", expect=1)
    assert "no GLPI user has the login 'nobody'" in failed.stderr


def test_adopt_and_protect_are_per_server_settings(run: Run, run_json: Any) -> None:
    server = run_json("server", "add", "Okta", "--applied-user", "glpi", "--adopt", "never",
                      "--protect", "ceo")["server"]  # fmt: skip
    assert server["options"] == {"adopt": "never", "protected_logins": ["ceo"]}
    edited = run_json("server", "edit", "Okta", "--adopt", "unprotected", "--protect", "cfo",
                      "--unprotect", "CEO")["server"]  # fmt: skip
    assert edited["options"] == {"adopt": "unprotected", "protected_logins": ["cfo"]}
    refused = run("server", "edit", "Okta", "--unprotect", "nobody", expect=1)
    assert "--unprotect 'nobody': not protected (listed: cfo)" in refused.stderr
    assert run_json("users", "list", "--protected")[1]["login"] == "glpi-system"


def test_server_add_warns_when_the_applied_user_lacks_the_rights_it_needs(run: Run) -> None:
    result = run("server", "add", "Okta", "--applied-user", "post-only")
    for right in ("CREATE", "UPDATE", "DELETE"):
        assert f"the applied user 'post-only' has no {right} right on users" in result.stderr
    assert "such requests will get 403" in result.stderr
    quiet = run("server", "add", "Entra", "--applied-user", "glpi")
    assert "Warning" not in quiet.stderr
