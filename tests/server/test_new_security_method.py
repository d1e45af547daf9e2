"""A new security method is its module: registering one is all it takes for the CLI to offer it,
the app to authenticate with it, /ServiceProviderConfig and the OpenAPI document to describe it
and the request log to hide its secrets."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import falcon.testing
import pytest
from click.testing import CliRunner

from glpi_scim.db.database import Database
from glpi_scim.identity.errors import InvalidServerSetting
from glpi_scim.identity.models import IdentityServer
from glpi_scim.security.methods import registry
from glpi_scim.security.methods.base import (
    MethodEnvironment,
    OpenApiScheme,
    Redaction,
    SecurityMethod,
)
from glpi_scim.security.model import REALM, AuthenticationFailed, AuthRequest, Principal
from glpi_scim.server.app import ScimApp
from glpi_scim.server.openapi import build_openapi
from glpi_scim.servers.redaction import REDACTED, redact_body, redact_headers, redact_query
from glpi_scim.servers.requestlog import RequestLog
from glpi_scim.servers.service import ServerInput, ServerService

from .support import Api, assert_scim_error

KEY = "sig-key-6f1c2a9e"
PROOF = "proof-0d4b7e51"
SCHEME = {
    "type": "x-signature",
    "name": "Signature key",
    "description": "A shared key in the X-Sig-Key header (a method made up for this test).",
    "specUri": "https://example.org/signature-key",
}
OPENAPI = {"type": "apiKey", "in": "header", "name": "X-Sig-Key"}


class SignatureVerifier:
    def challenge(self, server: IdentityServer, failure: AuthenticationFailed | None) -> str:
        return f'Sig realm="{REALM}"'

    def authenticate(self, server: IdentityServer, request: AuthRequest) -> Principal:
        if request.headers.get("x-sig-key") != KEY:
            raise AuthenticationFailed("wrong or missing X-Sig-Key", "Send the X-Sig-Key header.")
        return Principal(server_id=server.id, method="sig", subject="signature client")


class SignatureMethod(SecurityMethod):
    name = "sig"
    label = "Signature"
    authentication_scheme = SCHEME
    openapi_scheme = OpenApiScheme("sig", OPENAPI)
    redaction = Redaction.of(headers=["X-Sig-Key"], words=["sig_proof"])

    def verifier(self, environment: MethodEnvironment) -> SignatureVerifier:
        return SignatureVerifier()


@pytest.fixture
def database(sqlite_database: Database) -> Database:
    """The method does not touch the database: SQLite is enough."""
    return sqlite_database


@pytest.fixture
def signature() -> Iterator[SecurityMethod]:
    method = registry.register(SignatureMethod())
    yield method
    registry.unregister(method.name)


def cli(database: Database, *args: str) -> tuple[int, str]:
    from glpi_scim.cli.main import cli as glpi_scim

    result = CliRunner().invoke(glpi_scim, ["--database", database.url, *args])
    return result.exit_code, result.output


def test_the_cli_offers_a_registered_method_and_only_then(database: Database) -> None:
    add = ("server", "add", "signed", "--applied-user", "glpi", "--security", "sig", "--json")
    status, output = cli(database, *add)
    assert status == 2 and "'sig' is not one of" in output

    registry.register(SignatureMethod())
    try:
        status, output = cli(database, "server", "add", "--help")
        assert status == 0 and "sig" in output.split("--security", 1)[1].split("\n", 1)[0]
        status, output = cli(database, *add)
        assert status == 0, output
        data = json.loads(output)
        assert data["server"]["security"] == "sig"
        assert data["credentials"] is None  # no password, no token: nothing to show
    finally:
        registry.unregister("sig")


def test_the_app_authenticates_and_describes_a_registered_method(
    signature: SecurityMethod, make_api: Callable[..., Api]
) -> None:
    api = make_api(security="sig")

    refused = assert_scim_error(api.get("/Users"), 401, "X-Sig-Key")
    assert refused["status"] == "401"
    assert api.get("/Users").headers["www-authenticate"] == 'Sig realm="glpi-scim"'

    users = api.get("/Users", headers={"X-Sig-Key": KEY})
    assert users.status_code == 200, users.text
    config = api.get("/ServiceProviderConfig", headers={"X-Sig-Key": KEY}).json
    assert config["authenticationSchemes"] == [{**SCHEME, "primary": True}]

    document = api.client.simulate_get("/openapi.json").json
    assert document["components"]["securitySchemes"]["sig"] == OPENAPI
    assert {"sig": []} in document["security"]
    assert document["security"][-1] == {}  # `none` still offers no credentials at all


def test_the_openapi_document_follows_the_registry(signature: SecurityMethod) -> None:
    assert "sig" in build_openapi()["components"]["securitySchemes"]
    registry.unregister("sig")
    try:
        assert "sig" not in build_openapi()["components"]["securitySchemes"]
    finally:
        registry.register(signature)


def test_the_request_log_hides_a_registered_methods_secrets(
    signature: SecurityMethod, database: Database, make_api: Callable[..., Api]
) -> None:
    api = make_api(security="sig", log_requests=True)
    listed = api.get(
        "/Users",
        headers={"X-Sig-Key": KEY},
        params={"count": "1", "sig_proof": PROOF},
    )
    assert listed.status_code == 200, listed.text
    api.flush_request_log()

    [entry] = RequestLog(database).recent(server_id=api.server.id)
    assert entry.request_headers["x-sig-key"] == REDACTED
    assert entry.query is not None and "count=1" in entry.query and REDACTED in entry.query
    stored = json.dumps(entry.as_json())
    assert KEY not in stored and PROOF not in stored


def test_redaction_asks_the_registry_each_time() -> None:
    headers = {"X-Sig-Key": KEY}
    body = json.dumps({"sig_proof": PROOF, "userName": "kept"})
    assert redact_headers(headers) == {"x-sig-key": KEY}
    assert redact_query(f"sig_proof={PROOF}") == f"sig_proof={PROOF}"

    method = registry.register(SignatureMethod())
    try:
        assert redact_headers(headers) == {"x-sig-key": REDACTED}
        assert redact_query(f"sig_proof={PROOF}") == f"sig_proof={REDACTED}"
        cleaned = redact_body(body, "application/scim+json")
        assert cleaned is not None and PROOF not in cleaned and "kept" in cleaned
        assert PROOF not in (redact_body(f"sig_proof: {PROOF}", "text/plain") or "")
    finally:
        registry.unregister(method.name)
    assert redact_query(f"sig_proof={PROOF}") == f"sig_proof={PROOF}"


def test_a_method_cannot_take_a_name_or_an_openapi_key_already_taken() -> None:
    class Impostor(SignatureMethod):
        name = "bearer"

    class Clash(SignatureMethod):
        name = "clash"
        openapi_scheme = OpenApiScheme("basic", OPENAPI)

    for method in (Impostor(), Clash()):
        with pytest.raises(ValueError, match="already"):
            registry.register(method)
    assert registry.method_names() == ("none", "basic", "digest", "bearer", "oauth2")


def test_an_app_started_before_the_method_was_registered_serves_it(
    database: Database, make_app: Callable[..., ScimApp], make_api: Callable[..., Api]
) -> None:
    app = make_app()
    method = registry.register(SignatureMethod())
    try:
        server = make_api(security="sig").server
        client = falcon.testing.TestClient(app)
        path = f"{app.context.settings.url_prefix}/v2/{server.id}/Users"
        assert client.simulate_get(path, headers={"X-Sig-Key": KEY}).status_code == 200
        assert client.simulate_get(path, headers={"X-Sig-Key": "wrong"}).status_code == 401
    finally:
        registry.unregister(method.name)


def test_a_server_whose_method_is_gone_is_refused_yet_still_editable(
    database: Database, make_api: Callable[..., Api]
) -> None:
    method = registry.register(SignatureMethod())
    try:
        api = make_api(security="sig")
    finally:
        registry.unregister(method.name)

    refused = api.get("/Users", headers={"X-Sig-Key": KEY})
    assert_scim_error(refused, 401, "unknown security method")
    assert "www-authenticate" not in refused.headers

    service = ServerService(database)
    renamed = service.edit(api.server.id, ServerInput(name="signed-renamed")).server
    assert (renamed.name, renamed.auth_method) == ("signed-renamed", "sig")
    with pytest.raises(InvalidServerSetting, match="unknown security method 'sig'"):
        service.edit(api.server.id, ServerInput(security="sig"))
