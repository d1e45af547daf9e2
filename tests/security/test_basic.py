"""HTTP Basic through the Authenticator, on the real database."""

from __future__ import annotations

import base64
import logging

import pytest

from glpi_scim.db.database import Database
from glpi_scim.identity.models import IdentityServer
from glpi_scim.scim.errors import Unauthorized
from glpi_scim.security.authenticator import Authenticator

from .support import auth_request, create_server


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


@pytest.fixture
def server(database: Database) -> IdentityServer:
    return create_server(database, "entra", method="basic", username="entra", password="Wörd pass")


def test_right_credentials_pass(authenticator: Authenticator, server: IdentityServer) -> None:
    principal = authenticator.authenticate(server, auth_request(basic("entra", "Wörd pass")))
    assert (principal.server_id, principal.method, principal.subject) == (
        server.id,
        "basic",
        "entra",
    )


WRONG_HEADERS = {
    "wrong-password": basic("entra", "Tr0ub4dor-guess"),
    "empty-password": basic("entra", ""),
    "wrong-user": basic("other", "Wörd pass"),
    "garbage": "Basic !!!not-base64",
    "other-scheme": "Bearer abc",
}


def test_wrong_credentials_get_401_with_the_basic_challenge(
    authenticator: Authenticator,
    server: IdentityServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="glpi_scim.security")
    for case, header in WRONG_HEADERS.items():
        caplog.clear()
        with pytest.raises(Unauthorized) as raised:
            authenticator.authenticate(server, auth_request(header))
        assert raised.value.status == 401, case
        challenge = raised.value.headers["WWW-Authenticate"]
        assert challenge == 'Basic realm="glpi-scim", charset="UTF-8"', case
        assert raised.value.detail
        # The failure is logged, without the password that was tried.
        assert any("refused" in record.getMessage() for record in caplog.records), case
        assert "Tr0ub4dor" not in caplog.text and "Wörd" not in caplog.text


def test_missing_credentials_get_the_challenge(
    authenticator: Authenticator, server: IdentityServer
) -> None:
    with pytest.raises(Unauthorized) as raised:
        authenticator.authenticate(server, auth_request(None))
    assert "Basic" in raised.value.detail
    assert raised.value.headers["WWW-Authenticate"].startswith("Basic ")


def test_basic_credentials_of_one_server_do_not_open_another(
    authenticator: Authenticator, database: Database, server: IdentityServer
) -> None:
    other = create_server(database, "okta", method="basic", username="okta", password="x1")
    with pytest.raises(Unauthorized):
        authenticator.authenticate(other, auth_request(basic("entra", "Wörd pass")))
