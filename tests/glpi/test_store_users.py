"""SCIM Users written into GLPI's tables: the rows GLPI itself would have written, read back."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime

import pytest
from sqlalchemy import text

from glpi_scim.db.database import Database
from glpi_scim.glpi.store import GlpiStore
from glpi_scim.scim.errors import InvalidValue, NotFound, PreconditionFailed, Uniqueness
from glpi_scim.scim.store import Resource

from .support import ENTERPRISE, Clock, Rows, replace_with, user
from .test_store_values import needs_php, php

FULL = {
    "userName": "jdoe@example.com",
    "externalId": "ext-1",
    "name": {"givenName": "John", "familyName": "Doe", "formatted": "John Doe", "middleName": "Q"},
    "displayName": "Johnny D",
    "nickName": "JD",
    "title": "Engineer",
    "userType": "Employee",
    "preferredLanguage": "fr-FR",
    "timezone": "Europe/Paris",
    "active": True,
    "emails": [
        {"value": "jdoe@example.com", "type": "work", "primary": True},
        {"value": "john@home.example", "type": "home"},
    ],
    "phoneNumbers": [
        {"value": "+33 1 00", "type": "work"},
        {"value": "+33 6 00", "type": "mobile"},
        {"value": "+33 9 00", "type": "other"},
        {"value": "+33 1 99", "type": "fax"},
    ],
    "addresses": [{"type": "work", "locality": "Paris", "country": "FR", "primary": True}],
    "ims": [{"value": "jdoe", "type": "xmpp"}],
    "roles": [{"value": "dev"}],
    ENTERPRISE: {
        "employeeNumber": "E-42",
        "department": "R&D",
        "costCenter": "CC1",
        "organization": "ACME",
        "division": "North",
        "manager": {"value": "2"},
    },
}


def without_meta(resource: dict) -> dict:
    return {k: v for k, v in resource.items() if k != "meta"}


def test_create_writes_glpi_rows_and_reads_back_what_was_sent(
    store: GlpiStore, rows: Rows, clock: Clock
) -> None:
    created = store.create("User", user(**FULL))
    user_id = int(created["id"])

    row = rows.user(user_id)
    assert row["name"] == "jdoe@example.com"
    assert (row["firstname"], row["realname"], row["nickname"]) == ("John", "Doe", "JD")
    assert (row["phone"], row["mobile"], row["phone2"]) == ("+33 1 00", "+33 6 00", "+33 9 00")
    assert row["language"].strip() == "fr_FR" and row["timezone"] == "Europe/Paris"
    assert row["registration_number"] == "E-42" and row["users_id_supervisor"] == 2
    assert row["authtype"] == 4 and row["auths_id"] == 0 and row["password"] == ""
    assert row["is_active"] == 1 and row["is_deleted"] == 0 and row["entities_id"] == 0
    assert row["profiles_id"] == 1  # GLPI's default profile (Self-Service)
    assert row["date_creation"] == row["date_mod"] == datetime(2025, 3, 4, 10, 20, 30)
    title = rows.one("SELECT * FROM glpi_usertitles WHERE id = :i", i=row["usertitles_id"])
    category = rows.one(
        "SELECT * FROM glpi_usercategories WHERE id = :i", i=row["usercategories_id"]
    )
    assert (title["name"], category["name"]) == ("Engineer", "Employee")

    authorization = rows.one("SELECT * FROM glpi_profiles_users WHERE users_id = :u", u=user_id)
    assert authorization["profiles_id"] == 1 and authorization["entities_id"] == 0
    assert authorization["is_dynamic"] == 1 and authorization["is_default_profile"] == 1
    assert authorization["is_recursive"] == 0

    emails = rows.all(
        "SELECT email, is_default, is_dynamic FROM glpi_useremails WHERE users_id = :u ORDER BY id",
        u=user_id,
    )
    assert emails == [
        {"email": "jdoe@example.com", "is_default": 1, "is_dynamic": 1},
        {"email": "john@home.example", "is_default": 0, "is_dynamic": 1},
    ]

    # A GET returns what the identity provider sent (verbatim parts included).
    got = store.get("User", str(user_id))
    assert got == created
    assert got["displayName"] == "Johnny D"
    assert got["name"] == FULL["name"]
    assert got["addresses"] == FULL["addresses"] and got["ims"] == FULL["ims"]
    assert got["emails"] == FULL["emails"]
    assert got["phoneNumbers"] == FULL["phoneNumbers"]
    assert got[ENTERPRISE]["department"] == "R&D"
    assert got[ENTERPRISE]["manager"] == {"value": "2", "displayName": "glpi"}
    assert got["schemas"] == [
        "urn:ietf:params:scim:schemas:core:2.0:User",
        ENTERPRISE,
    ]
    assert got["meta"]["created"] == "2025-03-04T10:20:30.000Z"
    assert got["meta"]["version"].startswith('W/"')
    assert "password" not in got


def test_create_history_matches_glpi(store: GlpiStore, rows: Rows) -> None:
    created = store.create(
        "User",
        user(
            userName="ann",
            name={"givenName": "Ann", "familyName": "Lee"},
            emails=[{"value": "ann@example.com"}],
        ),
    )
    user_id = int(created["id"])
    email_id = rows.scalar("SELECT id FROM glpi_useremails WHERE users_id = :u", u=user_id)
    assert rows.logs("User", user_id) == [
        (20, "0", 0, "", ""),
        (17, "UserEmail", 0, "", f"ann@example.com ({email_id})"),
        (17, "Profile", 0, "", "Root entity (0), Self-Service (1) (D)"),
    ]
    assert rows.logs("Profile", 1) == [
        (17, "User", 0, "", f"Lee Ann ({user_id}), Root entity (0) (D)")
    ]
    assert rows.logs("Entity", 0) == [
        (17, "User", 0, "", f"Lee Ann ({user_id}), Self-Service (1) (D)")
    ]
    names = {r["user_name"] for r in rows.all("SELECT user_name FROM glpi_logs")}
    assert names == {"glpi (2)"}  # the applied user, as GLPI's User::getNameForLog formats it
    dates = {r["date_mod"] for r in rows.all("SELECT date_mod FROM glpi_logs")}
    assert dates == {datetime(2025, 3, 4, 10, 20, 30)}


def test_history_names_the_applied_user_by_real_name(
    make_store: Callable[..., GlpiStore], rows: Rows, database: Database
) -> None:
    admin = make_store().create(
        "User", user(userName="admin", name={"givenName": "Ada", "familyName": "King"})
    )
    with database.begin() as connection:  # an applied user may create users (Admin profile)
        connection.execute(
            text("UPDATE glpi_profiles_users SET profiles_id = 3 WHERE users_id = :u"),
            {"u": int(admin["id"])},
        )
    store = make_store(users_id_applied=int(admin["id"]))
    created = store.create("User", user(userName="bob"))
    names = rows.all(
        "SELECT DISTINCT user_name FROM glpi_logs WHERE itemtype = 'User' AND items_id = :u",
        u=int(created["id"]),
    )
    assert names == [{"user_name": f"King Ada ({admin['id']})"}]


def test_the_applied_users_name_is_read_once_per_cache_period(
    database: Database, rows: Rows
) -> None:
    """Stores sharing an ActorNames (one process) read the applied user's name once per
    period; a rename in GLPI shows in history rows once the period is over, and at once
    without a cache."""
    from glpi_scim.glpi.history import ActorNames
    from glpi_scim.identity.models import IdentityServer

    from .support import APPLIED

    server = IdentityServer(id=1, name="idp", users_id_applied=APPLIED)
    shared = ActorNames(3600)
    first = GlpiStore(database, server, actor_names=shared).create("User", user(userName="one"))
    with database.begin() as connection:  # an administrator renames the account in GLPI
        connection.execute(
            text("UPDATE glpi_users SET realname = 'Renamed' WHERE id = :u"), {"u": APPLIED}
        )
    second = GlpiStore(database, server, actor_names=shared).create("User", user(userName="two"))
    third = GlpiStore(database, server, actor_names=ActorNames(0)).create(
        "User", user(userName="three")
    )

    def logged(created: Resource) -> set[str]:
        found = rows.all(
            "SELECT user_name FROM glpi_logs WHERE itemtype = 'User' AND items_id = :u",
            u=int(created["id"]),
        )
        return {r["user_name"] for r in found}

    assert logged(first) == logged(second)  # within the period: the name read first
    assert logged(third) != logged(first)
    assert all("Renamed" in name for name in logged(third))


def test_another_instances_new_applied_user_is_protected_within_the_cache_period(
    database: Database,
) -> None:
    """The protected accounts (every server's applied user) are read at most once per period
    by stores sharing a ProtectedAccountsCache (one process). A server added by another
    instance protects its applied user here once the period is over, and at once without a
    cache; one added through this process does at once (the protection tests of
    tests/authorization)."""
    from glpi_scim.glpi.policy import ProtectedAccountsCache
    from glpi_scim.identity.models import IdentityServer
    from glpi_scim.scim.errors import Forbidden

    from .support import APPLIED

    server = IdentityServer(id=1, name="idp", users_id_applied=APPLIED)
    shared = ProtectedAccountsCache(3600)
    store = GlpiStore(database, server, protected_accounts=shared)
    bot = store.create("User", user(userName="future-bot"))["id"]
    store.update("User", bot, replace_with(displayName="Bot"))  # the period starts here
    raw = database.engine.raw_connection()  # another instance: nothing this process sees
    try:
        raw.cursor().execute(
            "INSERT INTO glpi_plugin_glpiscim_servers (name, signing_key, users_id_applied)"
            f" VALUES ('other', 'k', {int(bot)})"
        )
        raw.commit()
    finally:
        raw.close()
    within = store.update("User", bot, replace_with(displayName="Still within the period"))
    assert within["displayName"] == "Still within the period"
    uncached = GlpiStore(database, server, protected_accounts=ProtectedAccountsCache(0))
    with pytest.raises(Forbidden, match="it is the applied user of identity server 'other'"):
        uncached.update("User", bot, replace_with(displayName="Refused"))


def test_server_placement_profile_and_password_sync(
    make_store: Callable[..., GlpiStore], rows: Rows, database: object
) -> None:
    rows_before = rows.count("glpi_entities")
    assert rows_before == 1
    store = make_store(profiles_id=6, is_recursive=True, password_sync=True)
    created = store.create("User", user(userName="tech2", password="s3cret!"))
    row = rows.user(created["id"])
    assert row["authtype"] == 1 and row["profiles_id"] == 6
    assert row["password"].startswith("$2y$10$") and len(row["password"]) == 60
    assert row["password_last_update"] == datetime(2025, 3, 4, 10, 20, 30)
    authorization = rows.one(
        "SELECT * FROM glpi_profiles_users WHERE users_id = :u", u=int(created["id"])
    )
    assert (authorization["profiles_id"], authorization["is_recursive"]) == (6, 1)
    assert rows.logs("User", created["id"])[-1] == (
        17, "Profile", 0, "", "Root entity (0), Technician (6) (D, R)",
    )  # fmt: skip


def test_password_is_ignored_without_password_sync(store: GlpiStore, rows: Rows) -> None:
    created = store.create("User", user(userName="sso", password="ignored"))
    row = rows.user(created["id"])
    assert row["password"] == "" and row["password_last_update"] is None
    assert row["authtype"] == 4


def test_text_is_stored_encoded_and_decoded_on_read(store: GlpiStore, rows: Rows) -> None:
    created = store.create(
        "User",
        user(
            userName="r.d",
            name={"givenName": "<Tom>", "familyName": "R&D"},
            title="A&B <lead>",
        ),
    )
    row = rows.user(created["id"])
    assert row["realname"] == "R&#38;D" and row["firstname"] == "&#60;Tom&#62;"
    title = rows.scalar("SELECT name FROM glpi_usertitles WHERE id = :i", i=row["usertitles_id"])
    assert title == "A&#38;B &#60;lead&#62;"
    got = store.get("User", created["id"])
    assert got["name"] == {"givenName": "<Tom>", "familyName": "R&D"}
    assert got["title"] == "A&B <lead>"


@pytest.mark.parametrize("taken, new", [("john", "JOHN"), ("José", "jose"), ("anna", "anna ")])
def test_login_uniqueness_follows_glpi_collation(
    store: GlpiStore, rows: Rows, taken: str, new: str
) -> None:
    store.create("User", user(userName=taken))
    before = rows.snapshot()
    with pytest.raises(Uniqueness) as caught:
        store.create("User", user(userName=new))
    assert caught.value.status == 409 and caught.value.scim_type == "uniqueness"
    assert rows.snapshot() == before


def test_login_taken_by_a_glpi_account_of_another_authtype(store: GlpiStore) -> None:
    with pytest.raises(Uniqueness, match="GLPI user 2"):
        store.create("User", user(userName="GLPI"))  # the local admin account, authtype 1


@pytest.mark.parametrize("login", ["semi;colon", "slash/name", "a&b", "tab\tname", "<x>"])
def test_invalid_logins_are_refused(store: GlpiStore, rows: Rows, login: str) -> None:
    before = rows.snapshot()
    with pytest.raises(InvalidValue, match="not a valid GLPI login"):
        store.create("User", user(userName=login))
    assert rows.snapshot() == before


@pytest.mark.parametrize(
    "login", ["jdoe", "John Doe", "o'neil", "a.b-c_d@e", "first+tag@example.com", "Zoë"]
)
def test_valid_logins_are_accepted(store: GlpiStore, login: str) -> None:
    assert store.create("User", user(userName=login))["userName"] == login


def test_rename_to_a_taken_login_is_refused(store: GlpiStore) -> None:
    store.create("User", user(userName="first"))
    second = store.create("User", user(userName="second"))
    with pytest.raises(Uniqueness):
        store.update("User", second["id"], replace_with(userName="FIRST"))
    # Changing only the case of one's own login is allowed.
    renamed = store.update("User", second["id"], replace_with(userName="Second"))
    assert renamed["userName"] == "Second"


def test_unknown_manager_is_invalid_and_writes_nothing(store: GlpiStore, rows: Rows) -> None:
    before = rows.snapshot()
    with pytest.raises(InvalidValue, match="manager"):
        store.create("User", user(userName="m", **{ENTERPRISE: {"manager": {"value": "999"}}}))
    with pytest.raises(InvalidValue, match="manager"):
        store.create("User", user(userName="m", **{ENTERPRISE: {"manager": {"value": "abc"}}}))
    assert rows.snapshot() == before


def test_update_writes_differences_with_field_history(
    store: GlpiStore, rows: Rows, clock: Clock
) -> None:
    created = store.create("User", user(**FULL))
    user_id = int(created["id"])
    clock.tick()
    updated = store.update(
        "User",
        created["id"],
        replace_with(
            userName="john.doe",
            name={"givenName": "Jon", "familyName": "Doe"},
            title="Lead",
            active=False,
            phoneNumbers=[{"value": "+1 555", "type": "work"}],
            preferredLanguage="de-AT",
            **{ENTERPRISE: {"employeeNumber": "E-43"}},
        ),
    )
    row = rows.user(user_id)
    assert row["name"] == "john.doe" and row["firstname"] == "Jon"
    assert row["is_active"] == 0 and row["users_id_supervisor"] == 0
    assert (row["phone"], row["mobile"], row["phone2"]) == ("+1 555", None, None)
    assert row["language"].strip() == "de_DE"
    assert row["date_mod"] == datetime(2025, 3, 4, 10, 20, 31)
    assert row["date_creation"] == datetime(2025, 3, 4, 10, 20, 30)
    title_id = row["usertitles_id"]
    old_title = rows.scalar("SELECT id FROM glpi_usertitles WHERE name = 'Engineer'")
    changes = [entry for entry in rows.logs("User", user_id) if entry[0] == 0]
    assert sorted(changes) == sorted(
        [
            (0, "", 1, "jdoe@example.com", "john.doe"),
            (0, "", 9, "John", "Jon"),
            (0, "", 6, "+33 1 00", "+1 555"),
            (0, "", 11, "+33 6 00", ""),
            (0, "", 10, "+33 9 00", ""),
            (0, "", 17, "fr_FR", "de_DE"),
            (0, "", 22, "E-42", "E-43"),
            (0, "", 8, "1", "0"),
            (0, "", 81, f"Engineer ({old_title})", f"Lead ({title_id})"),
            (0, "", 99, "glpi (2)", "&nbsp; (0)"),
        ]
    )
    assert updated["meta"]["lastModified"] == "2025-03-04T10:20:31.000Z"
    assert updated["meta"]["version"] != created["meta"]["version"]
    assert updated["active"] is False and updated["preferredLanguage"] == "de-AT"
    assert "displayName" in updated  # untouched verbatim attributes stay


def test_update_without_change_writes_nothing(store: GlpiStore, rows: Rows, clock: Clock) -> None:
    created = store.create("User", user(**FULL))
    before = rows.snapshot()
    clock.tick()
    same = store.update("User", created["id"], replace_with())
    assert same == created
    assert rows.snapshot() == before


def test_emails_keep_manual_rows_and_one_default(store: GlpiStore, rows: Rows) -> None:
    created = store.create(
        "User", user(userName="e", emails=[{"value": "a@example.com", "primary": True}])
    )
    user_id = int(created["id"])
    with store.database.begin() as connection:
        from sqlalchemy import text

        connection.execute(
            text(
                "INSERT INTO glpi_useremails (users_id, is_default, is_dynamic, email) "
                "VALUES (:u, 0, 0, 'manual@example.com')"
            ),
            {"u": user_id},
        )
    store.update(
        "User",
        created["id"],
        replace_with(emails=[{"value": "b@example.com", "type": "work", "primary": True}]),
    )
    emails = rows.all(
        "SELECT email, is_default, is_dynamic FROM glpi_useremails WHERE users_id = :u ORDER BY id",
        u=user_id,
    )
    assert emails == [
        {"email": "manual@example.com", "is_default": 0, "is_dynamic": 0},
        {"email": "b@example.com", "is_default": 1, "is_dynamic": 1},
    ]
    got = store.get("User", created["id"])
    assert got["emails"] == [
        {"value": "manual@example.com"},
        {"value": "b@example.com", "type": "work", "primary": True},
    ]
    # Primary moving to the manual address: only the default flag changes.
    store.update(
        "User",
        created["id"],
        replace_with(emails=[{"value": "MANUAL@example.com", "primary": True}]),
    )
    emails = rows.all(
        "SELECT email, is_default, is_dynamic FROM glpi_useremails WHERE users_id = :u ORDER BY id",
        u=user_id,
    )
    assert emails == [{"email": "manual@example.com", "is_default": 1, "is_dynamic": 0}]
    logs = rows.logs("User", user_id)
    assert (18, "UserEmail", 0, "0", "1") in logs
    assert any(entry[0] == 19 and entry[3].startswith("a@example.com (") for entry in logs)


def test_invalid_email_is_refused(store: GlpiStore, rows: Rows) -> None:
    before = rows.snapshot()
    with pytest.raises(InvalidValue, match="e-mail"):
        store.create("User", user(userName="x", emails=[{"value": "not an address"}]))
    assert rows.snapshot() == before


def test_too_long_values_are_refused(store: GlpiStore, rows: Rows) -> None:
    before = rows.snapshot()
    with pytest.raises(InvalidValue, match="too long"):
        store.create("User", user(userName="x", name={"familyName": "&" * 52}))
    with pytest.raises(InvalidValue, match="too long"):
        store.create("User", user(userName="x", timezone="x" * 51))
    assert rows.snapshot() == before


def test_dropdowns_are_found_case_insensitively_then_created(store: GlpiStore, rows: Rows) -> None:
    store.create("User", user(userName="a", title="Manager"))
    store.create("User", user(userName="b", title="MANAGER"))
    store.create("User", user(userName="c", title="  Director  "))
    names = [r["name"] for r in rows.all("SELECT name FROM glpi_usertitles ORDER BY id")]
    assert names == ["Manager", "Director"]
    title_logs = rows.all("SELECT * FROM glpi_logs WHERE itemtype = 'UserTitle'")
    assert [(r["linked_action"], r["itemtype_link"]) for r in title_logs] == [(20, "0")] * 2


def test_languages(store: GlpiStore, rows: Rows) -> None:
    created = store.create("User", user(userName="l1", locale="en-US"))
    assert rows.user(created["id"])["language"].strip() == "en_US"
    assert store.get("User", created["id"])["locale"] == "en-US"
    odd = store.create("User", user(userName="l2", preferredLanguage="tlh"))
    assert rows.user(odd["id"])["language"] is None
    assert store.get("User", odd["id"])["preferredLanguage"] == "tlh"
    # A user created in GLPI shows GLPI's language as a tag.
    assert store.get("User", "3")["preferredLanguage"] == "en-GB"


def test_language_values_glpi_has_no_language_for_round_trip(store: GlpiStore, rows: Rows) -> None:
    """GLPI takes the first value it has a language for; every value comes back as sent."""
    created = store.create(
        "User", user(userName="l3", preferredLanguage="0b5e-not-a-tag", locale="fr-CA")
    )
    assert rows.user(created["id"])["language"].strip() == "fr_CA"
    assert (created["preferredLanguage"], created["locale"]) == ("0b5e-not-a-tag", "fr-CA")
    odd = "be18bb8c-6f7f-4f52-ae1c-e496f4440062"
    updated = store.update("User", created["id"], replace_with(locale=odd))
    assert (updated["preferredLanguage"], updated["locale"]) == ("0b5e-not-a-tag", odd)
    assert rows.user(created["id"])["language"] is None


def test_external_id_unique_per_server(
    make_store: Callable[..., GlpiStore], store: GlpiStore, rows: Rows
) -> None:
    store.create("User", user(userName="a", externalId="X1"))
    with pytest.raises(Uniqueness, match="externalId"):
        store.create("User", user(userName="b", externalId="X1"))
    other = make_store(id=2)
    second = other.create("User", user(userName="b", externalId="X1"))
    assert second["externalId"] == "X1"
    # Each server sees its own externalId and verbatim attributes only.
    assert "externalId" not in store.get("User", second["id"])


def test_if_match(store: GlpiStore, clock: Clock) -> None:
    created = store.create("User", user(userName="v"))
    version = created["meta"]["version"]
    clock.tick()
    with pytest.raises(PreconditionFailed):
        store.update("User", created["id"], replace_with(nickName="x"), if_match='W/"stale"')
    updated = store.update("User", created["id"], replace_with(nickName="x"), if_match=version)
    assert updated["nickName"] == "x"
    with pytest.raises(PreconditionFailed):
        store.delete("User", created["id"], if_match=version)
    store.delete("User", created["id"], if_match=updated["meta"]["version"])


def test_failed_mutation_leaves_no_trace(store: GlpiStore, rows: Rows) -> None:
    created = store.create("User", user(userName="t"))
    before = rows.snapshot()

    def half_way(current: dict) -> dict:
        raise InvalidValue("refused by the patch engine")

    with pytest.raises(InvalidValue):
        store.update("User", created["id"], half_way)
    with pytest.raises(InvalidValue, match="manager"):
        store.update(
            "User",
            created["id"],
            replace_with(
                nickName="n", title="New title", **{ENTERPRISE: {"manager": {"value": "77"}}}
            ),
        )
    assert rows.snapshot() == before


def test_unknown_ids_are_not_found(store: GlpiStore) -> None:
    for bad in ("999", "abc", "0", "-1", "01", "2.0"):
        with pytest.raises(NotFound):
            store.get("User", bad)
        with pytest.raises(NotFound):
            store.update("User", bad, replace_with())
        with pytest.raises(NotFound):
            store.delete("User", bad)


def test_existing_glpi_users_are_scim_users(store: GlpiStore) -> None:
    glpi = store.get("User", "2")
    assert glpi["userName"] == "glpi" and glpi["active"] is True
    system = store.get("User", "6")
    assert system["name"] == {"familyName": "Support"}


# ---------------------------------------------------------------------------------------------
# Delete policies
# ---------------------------------------------------------------------------------------------


def test_trash_then_post_restores(store: GlpiStore, rows: Rows, clock: Clock) -> None:
    created = store.create("User", user(userName="trashme", externalId="T1", nickName="old"))
    user_id = int(created["id"])
    clock.tick()
    store.delete("User", created["id"])
    row = rows.user(user_id)
    assert row["is_deleted"] == 1 and row["date_mod"] == datetime(2025, 3, 4, 10, 20, 31)
    assert rows.logs("User", user_id)[-1] == (13, "0", 0, "", "")
    with pytest.raises(NotFound):
        store.get("User", created["id"])
    with pytest.raises(NotFound):
        store.delete("User", created["id"])
    assert store.list("User", _all()).total == 5  # GLPI's five install users
    clock.tick()
    again = store.create("User", user(userName="TrashMe", externalId="T1"))
    assert again["id"] == created["id"] and again["userName"] == "TrashMe"
    assert "nickName" not in again  # a POST is a full replacement
    assert rows.user(user_id)["is_deleted"] == 0
    assert (14, "0", 0, "", "") in rows.logs("User", user_id)
    assert rows.count("glpi_users") == 6


def test_deactivate_policy(make_store: Callable[..., GlpiStore], rows: Rows) -> None:
    store = make_store(delete_policy="deactivate")
    created = store.create("User", user(userName="quits", externalId="Q"))
    store.delete("User", created["id"])
    row = rows.user(created["id"])
    assert row["is_active"] == 0 and row["is_deleted"] == 0  # GLPI keeps the account
    assert rows.logs("User", created["id"])[-1] == (0, "", 8, "1", "0")
    with pytest.raises(NotFound):
        store.get("User", created["id"])
    assert store.list("User", _filter('userName eq "quits"')).total == 0
    # The externalId is free again; a new POST of the login brings the user back.
    back = store.create("User", user(userName="quits", externalId="Q"))
    # Created without `active`: unassigned in SCIM, active in GLPI (GLPI's default).
    assert back["id"] == created["id"] and "active" not in back
    assert rows.user(created["id"])["is_active"] == 1
    # Another identity server still sees the deactivated account.
    other = make_store(id=2, delete_policy="deactivate")
    store.delete("User", created["id"])
    assert other.get("User", created["id"])["active"] is False


def test_purge_policy(make_store: Callable[..., GlpiStore], rows: Rows) -> None:
    store = make_store(delete_policy="purge")
    boss = store.create("User", user(userName="boss"))
    created = store.create(
        "User",
        user(
            userName="gone",
            emails=[{"value": "g@example.com"}],
            **{ENTERPRISE: {"manager": {"value": boss["id"]}}},
        ),
    )
    report = store.create(
        "User", user(userName="report", **{ENTERPRISE: {"manager": {"value": created["id"]}}})
    )
    from .support import group

    team = store.create("Group", group(displayName="Team", members=[{"value": created["id"]}]))
    store.delete("User", created["id"])
    user_id = int(created["id"])
    assert rows.all("SELECT id FROM glpi_users WHERE id = :u", u=user_id) == []
    for table in ("glpi_useremails", "glpi_profiles_users", "glpi_groups_users"):
        assert rows.all(f"SELECT id FROM {table} WHERE users_id = :u", u=user_id) == []
    assert rows.logs("User", user_id) == []
    assert (
        rows.all(
            "SELECT id FROM glpi_plugin_glpiscim_resources WHERE itemtype='User' AND items_id=:u",
            u=user_id,
        )
        == []
    )
    assert rows.user(report["id"])["users_id_supervisor"] == 0
    assert rows.logs("Group", team["id"])[-1] == (16, "User", 0, f"gone ({user_id})", "")
    assert "members" not in store.get("Group", team["id"])


def _all():  # type: ignore[no-untyped-def]
    from glpi_scim.scim.store import ListQuery

    return ListQuery(count=1000)


def _filter(text: str):  # type: ignore[no-untyped-def]
    from glpi_scim.scim.filter import parse_filter
    from glpi_scim.scim.store import ListQuery

    return ListQuery(filter=parse_filter(text, "User"), count=1000)


def test_history_values_are_cut_to_180_characters(store: GlpiStore, rows: Rows) -> None:
    created = store.create("User", user(userName="long", name={"familyName": "a" * 200}))
    store.update("User", created["id"], replace_with(name={"familyName": "b" * 250}))
    change = rows.logs("User", created["id"])[-1]
    assert change[:3] == (0, "", 34)
    assert change[3] == "a" * 180 and change[4] == "b" * 180


def test_password_is_never_stored_verbatim_or_returned(
    make_store: Callable[..., GlpiStore], rows: Rows
) -> None:
    store = make_store(password_sync=True)
    created = store.create("User", user(userName="pw", password="Top-Secret-1", displayName="P"))
    assert "password" not in created
    stored = rows.all("SELECT attributes FROM glpi_plugin_glpiscim_resources")
    assert all("Top-Secret-1" not in (row["attributes"] or "") for row in stored)
    assert "Top-Secret-1" not in str(rows.all("SELECT * FROM glpi_logs"))


@needs_php
def test_php_verifies_the_stored_password(
    make_store: Callable[..., GlpiStore], rows: Rows, clock: Clock
) -> None:
    store = make_store(password_sync=True)
    created = store.create("User", user(userName="phpuser", password="first pass"))
    clock.tick()
    store.update("User", created["id"], replace_with(password="Second pass é"))
    row = rows.user(created["id"])
    assert row["password_last_update"] == datetime(2025, 3, 4, 10, 20, 31)
    verdict = php(
        "$i = password_get_info($argv[2]); echo json_encode([password_verify($argv[1], $argv[2]),"
        ' password_verify("first pass", $argv[2]), $i["algoName"], $i["options"]["cost"]]);',
        "",
        "Second pass é",
        row["password"],
    )
    assert json.loads(verdict) == [True, False, "bcrypt", 10]


def test_email_primary_comes_back_as_sent(store: GlpiStore, rows: Rows) -> None:
    """GLPI needs one default e-mail (the primary one, else the first); SCIM's `primary` still
    round-trips as the client sent it."""
    created = store.create(
        "User",
        user(
            userName="mailer",
            emails=[
                {"value": "a@example.com", "type": "home", "primary": False},
                {"value": "b@example.com", "type": "work"},
            ],
        ),
    )
    assert created["emails"] == [
        {"value": "a@example.com", "type": "home", "primary": False},
        {"value": "b@example.com", "type": "work"},
    ]
    defaults = rows.all(
        "SELECT email, is_default FROM glpi_useremails WHERE users_id = :u ORDER BY email",
        u=int(created["id"]),
    )
    assert [(r["email"], r["is_default"]) for r in defaults] == [
        ("a@example.com", 1),
        ("b@example.com", 0),
    ]
    # Filters see what a GET shows, not GLPI's is_default.
    assert store.list("User", _filter("emails[primary eq true]")).total == 0
    assert store.list("User", _filter("emails[primary eq false]")).total == 1
    assert store.list("User", _filter('emails[type eq "home" and primary pr]')).total == 1


def test_removing_active_leaves_it_unassigned(store: GlpiStore, rows: Rows) -> None:
    """GLPI's is_active cannot be NULL: a removed `active` is absent from SCIM while GLPI
    keeps the account as it is; unassigned never re-enables a deactivated account."""
    created = store.create("User", user(userName="flag", active=True))
    removed = store.update("User", created["id"], replace_with(active=None))
    assert "active" not in removed and "active" not in store.get("User", created["id"])
    assert rows.user(created["id"])["is_active"] == 1
    assert store.list("User", _filter('userName eq "flag" and active pr')).total == 0
    assert store.list("User", _filter('userName eq "flag" and active eq true')).total == 0
    # Other changes keep it unassigned; setting it again shows it again.
    renamed = store.update("User", created["id"], replace_with(nickName="F"))
    assert "active" not in renamed
    again = store.update("User", created["id"], replace_with(active=True))
    assert again["active"] is True
    assert store.list("User", _filter('userName eq "flag" and active eq true')).total == 1
    # A deactivation made in GLPI's UI shows through.
    store.update("User", created["id"], replace_with(active=None))
    with rows.database.engine.begin() as connection:
        connection.execute(
            text("UPDATE glpi_users SET is_active = 0 WHERE id = :u"), {"u": int(created["id"])}
        )
    assert store.get("User", created["id"])["active"] is False
    assert store.list("User", _filter('userName eq "flag" and active eq false')).total == 1
    # Removing `active` from an inactive user leaves it inactive in GLPI, unassigned in SCIM;
    # re-enabled in GLPI, it shows again.
    inactive = store.create("User", user(userName="off", active=False))
    removed = store.update("User", inactive["id"], replace_with(active=None))
    assert "active" not in removed and rows.user(inactive["id"])["is_active"] == 0
    assert store.list("User", _filter('userName eq "off" and active pr')).total == 0
    assert store.list("User", _filter('userName eq "off" and active eq false')).total == 0
    with rows.database.engine.begin() as connection:
        connection.execute(
            text("UPDATE glpi_users SET is_active = 1 WHERE id = :u"), {"u": int(inactive["id"])}
        )
    assert store.get("User", inactive["id"])["active"] is True
    assert store.list("User", _filter('userName eq "off" and active eq true')).total == 1


def test_external_id_is_case_exact(store: GlpiStore) -> None:
    """RFC 7643 §3.1: externalId is caseExact, on MariaDB too (a utf8mb4_bin column)."""
    upper = store.create("User", user(userName="upper", externalId="ABC"))
    lower = store.create("User", user(userName="lower", externalId="abc"))
    assert upper["id"] != lower["id"]
    found = store.list("User", _filter('externalId eq "abc"')).resources
    assert [r["id"] for r in found] == [lower["id"]]
    with pytest.raises(Uniqueness):
        store.create("User", user(userName="again", externalId="abc"))
