"""Bearer JWTs: issue, verify, and every forgery the brief lists."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from typing import Any

import jwt
import pytest
from sqlalchemy import select

from glpi_scim.db import tables
from glpi_scim.db.database import Database
from glpi_scim.identity.models import IdentityServer
from glpi_scim.scim.errors import Unauthorized
from glpi_scim.security.authenticator import Authenticator
from glpi_scim.security.credentials import derive_key
from glpi_scim.security.methods.bearer import audience, issue_token
from glpi_scim.security.model import AuthenticationFailed
from glpi_scim.servers.tokens import TokenRepository

from .support import RsaKey, auth_request, create_server, hs256_token, unsigned_token

ISSUER = "https://glpi.example.com/scim/v2/1"


@pytest.fixture
def server(database: Database) -> IdentityServer:
    return create_server(database, "entra", method="bearer")


def issue(
    database: Database, server: IdentityServer, *, now: datetime | None = None, **options: Any
) -> str:
    issued = issue_token(
        server,
        issuer=ISSUER,
        lifetime=options.pop("lifetime", timedelta(days=3650)),
        subject="entra-provisioning",
        now=now,
    )
    TokenRepository(database).record(server.id, issued.jti, issued.expires_at, "test")
    return issued.token


def refused(auth: Authenticator, server: IdentityServer, header: str) -> Unauthorized:
    with pytest.raises(Unauthorized) as raised:
        auth.authenticate(server, auth_request(header))
    challenge = raised.value.headers["WWW-Authenticate"]
    assert challenge.startswith('Bearer realm="glpi-scim"')
    return raised.value


def test_issued_token_has_the_documented_claims(server: IdentityServer) -> None:
    before = int(time.time())
    issued = issue_token(server, issuer=ISSUER, lifetime=timedelta(days=3650), subject="okta")
    header = jwt.get_unverified_header(issued.token)
    claims = jwt.decode(issued.token, options={"verify_signature": False})
    assert header["alg"] == "HS256"
    assert claims["aud"] == f"glpi-scim:server:{server.id}" == audience(server)
    assert (claims["iss"], claims["sub"], claims["jti"]) == (ISSUER, "okta", issued.jti)
    assert claims["iat"] == claims["nbf"] >= before
    assert claims["exp"] - claims["iat"] == 3650 * 86400
    assert issued.expires_at == datetime.fromtimestamp(claims["exp"], tz=timezone.utc)


def test_token_lifetime_must_fit_the_database(server: IdentityServer) -> None:
    with pytest.raises(ValueError, match="2038"):
        issue_token(server, issuer=ISSUER, lifetime=timedelta(days=365 * 30), subject="x")
    with pytest.raises(ValueError, match="positive"):
        issue_token(server, issuer=ISSUER, lifetime=timedelta(0), subject="x")


def test_bearer_and_bare_headers_are_accepted(
    authenticator: Authenticator, database: Database, server: IdentityServer
) -> None:
    token = issue(database, server)
    for header in (f"Bearer {token}", f"bearer {token}", token):
        principal = authenticator.authenticate(server, auth_request(header))
        assert (principal.method, principal.subject) == ("bearer", "entra-provisioning")
        assert principal.token_id is not None
    with database.begin() as connection:
        last_use = connection.execute(select(tables.tokens.c.date_last_use)).scalar_one()
    assert last_use is not None


def test_missing_token_gets_a_bare_challenge(
    authenticator: Authenticator, server: IdentityServer
) -> None:
    error = refused(authenticator, server, "")
    assert "error=" not in error.headers["WWW-Authenticate"]


def claims_for(server: IdentityServer, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": audience(server),
        "sub": "attacker",
        "iat": now,
        "nbf": now,
        "exp": now + 3600,
        "jti": "0123456789abcdef0123456789abcdef",
    }
    claims.update(changes)
    return claims


def test_alg_none_is_refused(authenticator: Authenticator, server: IdentityServer) -> None:
    error = refused(authenticator, server, f"Bearer {unsigned_token(claims_for(server))}")
    assert "HS256" in error.detail
    assert 'error="invalid_token"' in error.headers["WWW-Authenticate"]


def test_hs256_with_the_wrong_key_is_refused(
    authenticator: Authenticator, server: IdentityServer
) -> None:
    # Even the raw signing key is not the JWT key (a purpose-derived key is).
    for key in (b"guessed-secret-that-is-long-enough-32b", server.signing_key.encode()):
        token = hs256_token(claims_for(server), key)
        assert "signature" in refused(authenticator, server, f"Bearer {token}").detail


def test_rs256_and_hs256_with_a_public_key_are_refused(
    authenticator: Authenticator, server: IdentityServer
) -> None:
    key = RsaKey()
    rs256 = key.rs256_token(claims_for(server))
    assert "HS256" in refused(authenticator, server, f"Bearer {rs256}").detail
    # Key confusion: an HS256 token whose HMAC key is the attacker's RSA public key.
    confused = hs256_token(claims_for(server), key.public_pem())
    assert "signature" in refused(authenticator, server, f"Bearer {confused}").detail


def test_expired_and_not_yet_valid_tokens_are_refused(
    authenticator: Authenticator, database: Database, server: IdentityServer
) -> None:
    past = datetime.now(timezone.utc) - timedelta(days=2)
    expired = issue(database, server, now=past, lifetime=timedelta(days=1))
    assert "expired" in refused(authenticator, server, f"Bearer {expired}").detail
    future = datetime.now(timezone.utc) + timedelta(hours=1)
    early = issue(database, server, now=future)
    assert "not valid yet" in refused(authenticator, server, f"Bearer {early}").detail


def test_revoked_and_unrecorded_tokens_are_refused(
    authenticator: Authenticator, database: Database, server: IdentityServer
) -> None:
    token = issue(database, server)
    record = TokenRepository(database).list_for(server.id)[0]
    authenticator.authenticate(server, auth_request(f"Bearer {token}"))
    TokenRepository(database).revoke(server.id, record.id)
    assert "revoked" in refused(authenticator, server, f"Bearer {token}").detail
    never_recorded = issue_token(server, issuer=ISSUER, subject="x").token
    assert (
        "revoked or is unknown" in refused(authenticator, server, f"Bearer {never_recorded}").detail
    )


def test_a_token_of_one_server_never_opens_another(
    authenticator: Authenticator, database: Database, server: IdentityServer
) -> None:
    other = create_server(database, "okta", method="bearer")
    token = issue(database, server)
    refused(authenticator, other, f"Bearer {token}")
    # Even signed with the other server's key, a token keeps its own audience...
    wrong_audience = jwt.encode(
        claims_for(server), derive_key(other.signing_key, "jwt"), algorithm="HS256"
    )
    assert "another server" in refused(authenticator, other, f"Bearer {wrong_audience}").detail
    # ...and a jti recorded for one server does not count for another.
    stolen_jti = TokenRepository(database).list_for(server.id)[0].jti
    forged = jwt.encode(
        claims_for(other, jti=stolen_jti), derive_key(other.signing_key, "jwt"), algorithm="HS256"
    )
    assert "revoked or is unknown" in refused(authenticator, other, f"Bearer {forged}").detail


def test_tokens_missing_a_claim_are_refused(
    authenticator: Authenticator, server: IdentityServer
) -> None:
    for claim in ("exp", "jti", "aud", "sub", "nbf", "iat", "iss"):
        claims = claims_for(server)
        del claims[claim]
        token = jwt.encode(claims, derive_key(server.signing_key, "jwt"), algorithm="HS256")
        assert refused(authenticator, server, f"Bearer {token}").detail, claim


def test_garbage_is_refused(authenticator: Authenticator, server: IdentityServer) -> None:
    for header in ["Basic dXNlcjpwdw==", "Bearer", "Bearer a b", "not.a.jwt"]:
        refused(authenticator, server, header)


def test_a_verified_token_is_still_refused_once_expired(
    database: Database, server: IdentityServer
) -> None:
    from glpi_scim.security.methods.bearer import LEEWAY, decode_token

    issued_at = datetime.now(timezone.utc).replace(microsecond=0)
    token = issue(database, server, now=issued_at, lifetime=timedelta(hours=1))
    assert decode_token(server, token, issued_at)["sub"] == "entra-provisioning"
    # The same token again: its verification is reused, its expiry is not.
    assert decode_token(server, token, issued_at + timedelta(minutes=59))
    with pytest.raises(AuthenticationFailed, match="expired"):
        decode_token(server, token, issued_at + timedelta(hours=1) + LEEWAY + timedelta(seconds=1))
    with pytest.raises(AuthenticationFailed, match="before its nbf"):
        decode_token(server, token, issued_at - LEEWAY - timedelta(seconds=1))


def test_a_verified_token_is_refused_after_a_new_signing_key(
    database: Database, server: IdentityServer
) -> None:
    from dataclasses import replace

    from glpi_scim.security.methods.bearer import decode_token

    token = issue(database, server)
    assert decode_token(server, token)["sub"] == "entra-provisioning"
    rotated = replace(server, signing_key="another-signing-key-of-enough-length-0123456789")
    with pytest.raises(AuthenticationFailed, match="signature"):
        decode_token(rotated, token)
