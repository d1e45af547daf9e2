"""TokenRepository: issued bearer tokens are remembered by jti, revoked, listed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from glpi_scim.db.clock import utcnow
from glpi_scim.db.database import Database
from glpi_scim.identity.errors import TokenNotFound
from glpi_scim.servers.service import ServerInput, ServerService
from glpi_scim.servers.tokens import TokenRepository


@pytest.fixture
def tokens(database: Database) -> TokenRepository:
    return TokenRepository(database)


@pytest.fixture
def server_ids(database: Database) -> tuple[int, int]:
    service = ServerService(database)
    first = service.add(ServerInput(name="one", applied_user="glpi")).server
    second = service.add(ServerInput(name="two", applied_user="glpi")).server
    return first.id, second.id


def test_unknown_jti_counts_as_revoked(tokens: TokenRepository) -> None:
    assert tokens.is_revoked("never-issued")


def test_record_list_revoke(tokens: TokenRepository, server_ids: tuple[int, int]) -> None:
    one, two = server_ids
    expiry = utcnow() + timedelta(days=90)
    first = tokens.record(one, "jti-1", expiry, "okta prod")
    tokens.record(one, "jti-2", None, None)
    tokens.record(two, "jti-3", expiry, None)
    assert first.expires_at == expiry and first.status() == "active"
    assert [t.jti for t in tokens.list_for(one)] == ["jti-1", "jti-2"]
    assert tokens.list_for(one)[0] == first
    assert not tokens.is_revoked("jti-1")

    revoked = tokens.revoke(one, first.id)
    assert revoked.revoked and revoked.revoked_at is not None and revoked.status() == "revoked"
    assert tokens.is_revoked("jti-1")
    assert not tokens.is_revoked("jti-2")
    assert tokens.revoke(one, "jti-1").revoked_at == revoked.revoked_at  # idempotent, by jti
    assert tokens.find(one, "jti-2") is not None


def test_a_server_cannot_revoke_another_servers_token(
    tokens: TokenRepository, server_ids: tuple[int, int]
) -> None:
    one, two = server_ids
    other = tokens.record(two, "jti-other", None, None)
    with pytest.raises(TokenNotFound):
        tokens.revoke(one, other.id)
    with pytest.raises(TokenNotFound):
        tokens.revoke(one, "jti-other")
    assert not tokens.is_revoked("jti-other")


def test_revoke_all_and_expired_status(
    tokens: TokenRepository, server_ids: tuple[int, int]
) -> None:
    one, two = server_ids
    old = tokens.record(one, "old", utcnow() - timedelta(hours=1), None)
    assert old.status() == "expired"
    tokens.record(one, "live", None, None)
    tokens.record(two, "elsewhere", None, None)
    assert tokens.revoke_all(one) == 2
    assert tokens.revoke_all(one) == 0
    assert tokens.is_revoked("old") and tokens.is_revoked("live")
    assert not tokens.is_revoked("elsewhere")
