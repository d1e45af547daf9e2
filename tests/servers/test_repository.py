"""ServerRepository: identity servers stored in the tool's table, found by id or name."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import func, insert, select

from glpi_scim.db import tables
from glpi_scim.db.database import Database
from glpi_scim.identity.errors import DuplicateServerName, ServerNotFound
from glpi_scim.identity.models import IdentityServer, ServerOptions
from glpi_scim.servers.repository import OWNED_TABLES, ServerRepository


def new_server(name: str, **settings: object) -> IdentityServer:
    return IdentityServer(id=0, name=name, users_id_applied=2, signing_key="k" * 64, **settings)


def test_create_then_get_by_id_and_by_name_in_any_case(database: Database) -> None:
    repository = ServerRepository(database)
    created = repository.create(
        new_server(
            "Entra ID",
            auth_method="basic",
            auth_username="scim",
            auth_secret="scrypt$...",
            allowed_networks=("10.0.0.0/8", "2001:db8::/32"),
            entities_id=0,
            profiles_id=1,
            is_recursive=True,
            password_sync=True,
            delete_policy="deactivate",
            options=ServerOptions.from_json({"entra": True, "limit": 3}),
            log_requests=True,
        )
    )
    assert created.id > 0
    assert created.date_creation is not None

    for ref in (created.id, str(created.id), "Entra ID", "entra id", "  ENTRA ID "):
        found = repository.get(ref)
        assert found == created, ref
    assert found.allowed_networks == ("10.0.0.0/8", "2001:db8::/32")
    assert found.options.as_json() == {"entra": True, "limit": 3}
    assert found.delete_policy == "deactivate"
    assert found.password_sync and found.is_recursive and found.log_requests


def test_unknown_server_is_a_clear_error(database: Database) -> None:
    repository = ServerRepository(database)
    with pytest.raises(ServerNotFound, match=r"'okta'.*server list"):
        repository.get("okta")
    with pytest.raises(ServerNotFound, match="'42'"):
        repository.get(42)
    assert repository.find("okta") is None


def test_names_are_unique_whatever_their_case(database: Database) -> None:
    repository = ServerRepository(database)
    first = repository.create(new_server("Okta"))
    assert repository.name_taken("OKTA")
    assert not repository.name_taken("okta", except_id=first.id)
    with pytest.raises(DuplicateServerName):
        repository.create(new_server("Okta"))  # the unique key answers


def test_one_default_at_most(database: Database) -> None:
    repository = ServerRepository(database)
    assert repository.get_default() is None
    first = repository.create(new_server("one", is_default=True))
    assert repository.get_default() == first
    second = repository.create(new_server("two", is_default=True))
    assert repository.get_default() == second
    assert not repository.get(first.id).is_default
    repository.update(replace(repository.get(first.id), is_default=True))
    assert repository.get_default().id == first.id
    assert [s.is_default for s in repository.list_all()] == [True, False]


def test_list_all_in_id_order(database: Database) -> None:
    repository = ServerRepository(database)
    names = ["b", "a", "c"]
    for name in names:
        repository.create(new_server(name))
    assert [server.name for server in repository.list_all()] == names


def test_update_of_a_removed_server_says_so(database: Database) -> None:
    repository = ServerRepository(database)
    server = repository.create(new_server("gone"))
    repository.delete(server.id)
    with pytest.raises(ServerNotFound):
        repository.update(server)
    with pytest.raises(ServerNotFound):
        repository.delete(server.id)


def test_delete_removes_every_row_of_the_server_and_nothing_of_glpi(database: Database) -> None:
    repository = ServerRepository(database)
    doomed = repository.create(new_server("doomed"))
    kept = repository.create(new_server("kept"))
    with database.begin() as connection:
        users_before = connection.execute(select(func.count()).select_from(tables.users)).scalar()
        for server in (doomed, kept):
            _fill_owned_tables(connection, server.id)

    removed = repository.delete(doomed.id)

    assert set(removed) == {table.name for table in OWNED_TABLES}
    assert all(count == 1 for count in removed.values()), removed
    with database.begin() as connection:
        for table in OWNED_TABLES:
            rows = connection.execute(select(table.c.servers_id)).scalars().all()
            assert rows == [kept.id], table.name
        users_after = connection.execute(select(func.count()).select_from(tables.users)).scalar()
    assert users_after == users_before
    assert repository.find(doomed.id) is None
    assert repository.get(kept.id) == kept


def _fill_owned_tables(connection: object, server_id: int) -> None:
    rows = {
        tables.tokens: {"jti": f"jti-{server_id}"},
        tables.oauth_clients: {"client_id": f"client-{server_id}"},
        tables.oauth_codes: {"code_hash": f"code-{server_id}", "client_id": "c"},
        tables.oauth_tokens: {"access_hash": f"access-{server_id}", "client_id": "c"},
        tables.request_logs: {"method": "GET", "path": "/scim/v2/Users"},
        tables.digest_nonces: {"nonce_hash": f"nonce-{server_id}"},
        tables.auth_failures: {"client_ip": "192.0.2.1"},
        tables.scim_resources: {"itemtype": "User", "items_id": 2, "external_id": "x"},
        tables.guards: {"max_removals": 5},
        tables.removals: {"itemtype": "User", "items_id": 2},
        tables.owners: {"itemtype": "User", "items_id": 100 + server_id, "origin": "created"},
        tables.server_stats: {"requests": 1},
    }
    assert set(rows) == set(OWNED_TABLES)
    for table, values in rows.items():
        connection.execute(insert(table).values(servers_id=server_id, **values))


def test_a_hand_broken_network_list_fails_closed(database: Database) -> None:
    from glpi_scim.security.networks import is_allowed

    repository = ServerRepository(database)
    server = repository.create(new_server("broken", allowed_networks=("10.0.0.0/8",)))
    with database.begin() as connection:
        connection.execute(
            tables.identity_servers.update().values(allowed_networks="10.0.0.0/8;oops")
        )
    loaded = repository.get(server.id)
    assert loaded.allowed_networks  # never "anywhere"
    assert not is_allowed("10.1.2.3", loaded.allowed_networks)
