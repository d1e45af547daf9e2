"""A server's options: typed once from the stored JSON, written back as they were."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from sqlalchemy import select, update

from glpi_scim.config import Settings
from glpi_scim.db import tables
from glpi_scim.db.database import Database
from glpi_scim.identity.errors import InvalidServerSetting
from glpi_scim.identity.models import InvalidOption, ServerOptions
from glpi_scim.servers.scim_factory import ALWAYS_TOLERATED_EXTENSIONS, ScimServiceFactory
from glpi_scim.servers.service import ServerInput, ServerService

CUSTOM = "urn:example:params:scim:schemas:extension:okta:2.0:User"


@pytest.fixture
def service(database: Database) -> ServerService:
    return ServerService(database)


def stored_options(database: Database, server_id: int) -> Any:
    servers = tables.identity_servers
    with database.read() as connection:
        raw = connection.execute(
            select(servers.c.options).where(servers.c.id == server_id)
        ).scalar()
    return None if raw is None else json.loads(raw)


def test_known_options_are_typed_and_unknown_ones_kept() -> None:
    stored = {
        "public_url": "https://glpi.example.com",
        "adopt": "never",
        "protected_logins": ["ceo", "cfo"],
        "tolerated_extensions": [CUSTOM],
        "members_patch_no_content": False,
        "ignore_groups": True,
        "okta": {"tenant": "acme", "ids": [1, 2]},
    }
    options = ServerOptions.from_json(stored)
    assert options.public_url == "https://glpi.example.com"
    assert options.adopt == "never"
    assert options.protected_logins == ("ceo", "cfo")
    assert options.tolerated_extensions == (CUSTOM,)
    assert options.members_patch_no_content is False
    assert dict(options.extra) == {"ignore_groups": True, "okta": {"tenant": "acme", "ids": [1, 2]}}
    assert options.as_json() == stored
    assert ServerOptions.from_json({}).as_json() == {}
    # As `--option tolerated_extensions=URN,URN` stores them: read as the list they mean.
    listed = ServerOptions.from_json({"tolerated_extensions": f" {CUSTOM}, urn:b ,"})
    assert listed.tolerated_extensions == (CUSTOM, "urn:b")
    assert listed.as_json() == {"tolerated_extensions": [CUSTOM, "urn:b"]}


@pytest.mark.parametrize(
    ("stored", "message"),
    [
        ({"adopt": "sometimes"}, "option 'adopt' must be never or unprotected, not 'sometimes'"),
        ({"protected_logins": "ceo"}, "option 'protected_logins' must be a list of texts"),
        ({"protected_logins": ["ceo", 7]}, "option 'protected_logins' must be a list of texts"),
        ({"protected_logins": [" "]}, "option 'protected_logins' must not hold an empty text"),
        ({"tolerated_extensions": 3}, "option 'tolerated_extensions' must be a list of texts"),
        ({"members_patch_no_content": "yes"}, "option 'members_patch_no_content' must be true"),
        ({"public_url": "glpi.example.com"}, "must be an absolute URL starting with https://"),
    ],
)
def test_a_bad_value_of_a_known_option_is_refused_naming_it(
    stored: dict[str, Any], message: str, database: Database, service: ServerService
) -> None:
    with pytest.raises(InvalidOption) as refused:
        ServerOptions.from_json(stored)
    assert message in str(refused.value)

    server = service.add(ServerInput(name="okta", applied_user="glpi")).server
    key, value = next(iter(stored.items()))
    with pytest.raises(InvalidServerSetting) as edit_refused:
        service.edit(server.id, ServerInput(set_options={key: value, "label": "x"}))
    assert message in str(edit_refused.value)
    assert stored_options(database, server.id) is None  # nothing was written
    with pytest.raises(InvalidServerSetting):
        service.add(ServerInput(name="entra", applied_user="glpi", set_options=stored))
    assert [found.name for found in service.list_all()] == ["okta"]


def test_a_hand_edited_row_still_loads_and_says_what_it_ignores(
    database: Database, service: ServerService, caplog: pytest.LogCaptureFixture
) -> None:
    server = service.add(ServerInput(name="okta", applied_user="glpi", protect=("ceo",))).server
    broken = {"adopt": "sometimes", "protected_logins": ["ceo"], "ignore_groups": True}
    with database.begin() as connection:
        connection.execute(
            update(tables.identity_servers)
            .where(tables.identity_servers.c.id == server.id)
            .values(options=json.dumps(broken))
        )
    with caplog.at_level(logging.WARNING, logger="glpi_scim.servers.repository"):
        loaded = service.get(server.id)
    assert loaded.adopt == "unprotected"  # the default, until it is fixed
    assert loaded.protected_logins == ("ceo",)
    assert loaded.options.as_json() == broken  # shown as stored, so that it can be fixed
    assert f"identity server {server.id}: option 'adopt' must be never or unprotected" in (
        caplog.text
    )

    # A change of the options that keeps the bad value is refused, naming it...
    with pytest.raises(InvalidServerSetting, match="option 'adopt'"):
        service.edit(server.id, ServerInput(protect=("cfo",)))
    # ...and fixing it in the same edit goes through; other settings never needed the fix.
    service.edit(server.id, ServerInput(log_requests=True))
    fixed = service.edit(server.id, ServerInput(unset_options=("adopt",), protect=("cfo",)))
    assert fixed.server.options.as_json() == {
        "protected_logins": ["ceo", "cfo"],
        "ignore_groups": True,
    }
    assert stored_options(database, server.id) == fixed.server.options.as_json()

    # A protection list a hand edit broke is never dropped unseen by another change.
    with database.begin() as connection:
        connection.execute(
            update(tables.identity_servers)
            .where(tables.identity_servers.c.id == server.id)
            .values(options=json.dumps({"protected_logins": "ceo"}))
        )
    assert service.get(server.id).protected_logins == ()
    for change in (ServerInput(protect=("cfo",)), ServerInput(adopt="never")):
        with pytest.raises(InvalidServerSetting, match="option 'protected_logins' must be a list"):
            service.edit(server.id, change)
    assert stored_options(database, server.id) == {"protected_logins": "ceo"}
    repaired = service.edit(server.id, ServerInput(set_options={"protected_logins": ["ceo"]}))
    assert repaired.server.protected_logins == ("ceo",)

    with database.begin() as connection:
        connection.execute(
            update(tables.identity_servers)
            .where(tables.identity_servers.c.id == server.id)
            .values(options="[1, 2]")
        )
    with caplog.at_level(logging.WARNING, logger="glpi_scim.servers.repository"):
        assert service.get(server.id).options == ServerOptions()
    assert "its options are not a JSON object" in caplog.text


def test_the_scim_service_follows_the_options(database: Database, service: ServerService) -> None:
    settings = Settings(database_url=database.url)
    factory = ScimServiceFactory(settings, database)
    plain = service.add(ServerInput(name="plain", applied_user="glpi")).server
    assert factory.service_settings(plain).tolerated_extensions == ALWAYS_TOLERATED_EXTENSIONS
    assert factory.service_settings(plain).members_patch_no_content is False

    okta = service.add(
        ServerInput(
            name="okta",
            applied_user="glpi",
            set_options={"tolerated_extensions": CUSTOM, "members_patch_no_content": True},
        )
    ).server
    assert stored_options(database, okta.id) == {
        "members_patch_no_content": True,
        "tolerated_extensions": [CUSTOM],
    }
    chosen = factory.service_settings(service.get(okta.id))
    assert chosen.tolerated_extensions == (*ALWAYS_TOLERATED_EXTENSIONS, CUSTOM)
    assert chosen.members_patch_no_content is True

    created = factory.service(okta, "https://glpi.example.com/scim/v2/2").create(
        "User",
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", CUSTOM],
            "userName": "alice",
            CUSTOM: {"costCenter": "7"},
        },
    )
    assert created.status == 201 and created.body is not None
    assert CUSTOM not in created.body
