"""HTTP Digest (RFC 7616) through the Authenticator, with a client written from the RFC."""

from __future__ import annotations

import pytest
from sqlalchemy import func, insert, select

from glpi_scim.config import Settings
from glpi_scim.db import tables
from glpi_scim.db.clock import to_db
from glpi_scim.db.database import Database
from glpi_scim.identity.models import IdentityServer
from glpi_scim.scim.errors import Unauthorized
from glpi_scim.security.authenticator import Authenticator

from .support import Clock, auth_request, create_server, digest_authorization, parse_challenges

TARGET = "/scim/v2/1/Users?filter=userName%20eq%20%22a%22"
PASSWORD = "d1gest pässword"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def digest_auth(database: Database, clock: Clock) -> Authenticator:
    return Authenticator(database, Settings(), clock=clock)


@pytest.fixture
def server(database: Database) -> IdentityServer:
    # Both algorithms allowed, explicitly: these tests exercise MD5 as well as SHA-256.
    return create_server(
        database,
        "okta",
        method="digest",
        username="okta",
        password=PASSWORD,
        digest_algorithms=("SHA-256", "MD5"),
    )


def challenge_of(auth: Authenticator, server: IdentityServer) -> list[dict[str, str]]:
    with pytest.raises(Unauthorized) as raised:
        auth.authenticate(server, auth_request(None, target=TARGET))
    return parse_challenges(raised.value.headers["WWW-Authenticate"])


def answer(challenge: dict[str, str], **options: object) -> str:
    values: dict[str, object] = {
        "username": "okta",
        "password": PASSWORD,
        "method": "GET",
        "uri": TARGET,
        **options,
    }
    return digest_authorization(challenge, **values)  # type: ignore[arg-type]


def failure_count(database: Database) -> int:
    with database.begin() as connection:
        query = select(func.coalesce(func.sum(tables.auth_failures.c.failures), 0))
        return int(connection.execute(query).scalar_one())


def test_challenge_offers_sha256_then_md5_with_one_nonce(
    digest_auth: Authenticator, server: IdentityServer
) -> None:
    sha256, md5 = challenge_of(digest_auth, server)
    assert (sha256["algorithm"], md5["algorithm"]) == ("SHA-256", "MD5")
    assert sha256["realm"] == md5["realm"] == "glpi-scim"
    assert sha256["qop"] == "auth" and sha256["nonce"] == md5["nonce"]
    assert "stale" not in sha256


def test_every_algorithm_authenticates_and_counts_up(
    digest_auth: Authenticator, server: IdentityServer
) -> None:
    for algorithm in ("SHA-256", "SHA-256-sess", "MD5", "MD5-sess"):
        challenge = challenge_of(digest_auth, server)[0]
        for nc in (1, 2, 5):
            header = answer(challenge, algorithm=algorithm, nc=nc)
            principal = digest_auth.authenticate(server, auth_request(header, target=TARGET))
            assert (principal.method, principal.subject) == ("digest", "okta"), algorithm


def test_userhash_is_accepted(digest_auth: Authenticator, server: IdentityServer) -> None:
    challenge = challenge_of(digest_auth, server)[0]
    header = answer(challenge, userhash=True)
    assert "okta" not in header.split("realm")[0]
    assert digest_auth.authenticate(server, auth_request(header, target=TARGET)).subject == "okta"


def test_replayed_nonce_count_is_refused(
    digest_auth: Authenticator, server: IdentityServer
) -> None:
    challenge = challenge_of(digest_auth, server)[0]
    header = answer(challenge, nc=1)
    digest_auth.authenticate(server, auth_request(header, target=TARGET))
    with pytest.raises(Unauthorized) as raised:
        digest_auth.authenticate(server, auth_request(header, target=TARGET))  # same request
    assert "replayed" in raised.value.detail
    digest_auth.authenticate(server, auth_request(answer(challenge, nc=3), target=TARGET))
    with pytest.raises(Unauthorized):  # lower than the last one seen
        digest_auth.authenticate(server, auth_request(answer(challenge, nc=2), target=TARGET))


def test_forged_and_foreign_nonces_are_refused(
    digest_auth: Authenticator, database: Database, server: IdentityServer
) -> None:
    challenge = challenge_of(digest_auth, server)[0]
    stamp, random_part, mac = challenge["nonce"].split(".")
    forged = f"{int(stamp, 16) + 3600:x}.{random_part}.{mac}"  # a later timestamp, same mac
    with pytest.raises(Unauthorized) as raised:
        digest_auth.authenticate(
            server, auth_request(answer(challenge, nonce=forged), target=TARGET)
        )
    assert "not issued by this server" in raised.value.detail

    other = create_server(database, "other", method="digest", username="okta", password=PASSWORD)
    foreign = challenge_of(digest_auth, other)[0]  # same credentials, another server's nonce
    with pytest.raises(Unauthorized):
        digest_auth.authenticate(server, auth_request(answer(foreign), target=TARGET))


def test_expired_nonce_gets_a_stale_challenge_and_does_not_count_as_failure(
    digest_auth: Authenticator, database: Database, server: IdentityServer, clock: Clock
) -> None:
    challenge = challenge_of(digest_auth, server)[0]
    clock.advance(minutes=5, seconds=1)
    with pytest.raises(Unauthorized) as raised:
        digest_auth.authenticate(server, auth_request(answer(challenge), target=TARGET))
    fresh = parse_challenges(raised.value.headers["WWW-Authenticate"])
    assert [c["stale"] for c in fresh] == ["true", "true"]
    assert fresh[0]["nonce"] != challenge["nonce"]
    assert failure_count(database) == 0
    # The client answers the new challenge without asking for the password again.
    assert digest_auth.authenticate(server, auth_request(answer(fresh[0]), target=TARGET))


def test_wrong_password_is_not_stale_and_counts(
    digest_auth: Authenticator, database: Database, server: IdentityServer, clock: Clock
) -> None:
    challenge = challenge_of(digest_auth, server)[0]
    clock.advance(minutes=10)
    with pytest.raises(Unauthorized) as raised:
        digest_auth.authenticate(
            server, auth_request(answer(challenge, password="guess"), target=TARGET)
        )
    assert "stale" not in raised.value.headers["WWW-Authenticate"]
    assert failure_count(database) == 1


MISMATCHES: list[tuple[dict[str, str], str]] = [
    ({"realm": "GLPI"}, "realm"),
    ({"uri": "/scim/v2/1/Groups"}, "uri"),
    ({"username": "root"}, "Wrong username or password"),
]


def test_mismatches_are_refused(digest_auth: Authenticator, server: IdentityServer) -> None:
    challenge = challenge_of(digest_auth, server)[0]
    for options, message in MISMATCHES:
        header = answer(challenge, **options)
        with pytest.raises(Unauthorized) as raised:
            digest_auth.authenticate(server, auth_request(header, target=TARGET))
        assert message in raised.value.detail


MALFORMED = [
    'Digest username="okta", realm="glpi-scim"',
    'Digest username="okta" realm=',
    'Digest username="okta", username="okta"',
    "Basic b2t0YTp4",
]


def test_malformed_headers_are_refused(digest_auth: Authenticator, server: IdentityServer) -> None:
    for header in MALFORMED:
        with pytest.raises(Unauthorized) as raised:
            digest_auth.authenticate(server, auth_request(header, target=TARGET))
        assert raised.value.headers["WWW-Authenticate"].startswith("Digest "), header


def test_expired_nonce_rows_are_purged_when_a_new_nonce_is_used(
    digest_auth: Authenticator, database: Database, server: IdentityServer, clock: Clock
) -> None:
    table = tables.digest_nonces
    with database.begin() as connection:
        connection.execute(
            insert(table).values(
                servers_id=server.id,
                nonce_hash="0" * 64,
                last_nc=1,
                date_expiration=to_db(clock.now.replace(year=clock.now.year - 1)),
            )
        )
    challenge = challenge_of(digest_auth, server)[0]
    digest_auth.authenticate(server, auth_request(answer(challenge), target=TARGET))
    with database.begin() as connection:
        hashes = connection.execute(select(table.c.nonce_hash)).scalars().all()
    assert len(hashes) == 1 and hashes[0] != "0" * 64
