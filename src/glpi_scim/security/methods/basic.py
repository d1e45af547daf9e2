"""HTTP Basic (RFC 7617): a username and a password checked against a salted hash."""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Sequence

from glpi_scim.identity.models import IdentityServer
from glpi_scim.security.credentials import check_password_credentials, hash_secret, verify_secret
from glpi_scim.security.methods.base import (
    MethodEnvironment,
    OpenApiScheme,
    Redaction,
    SecurityMethod,
)
from glpi_scim.security.model import REALM, AuthenticationFailed, AuthRequest, Principal


def challenge(server: IdentityServer, failure: AuthenticationFailed | None = None) -> str:
    return f'Basic realm="{REALM}", charset="UTF-8"'


def parse_basic(header: str | None) -> tuple[str, str] | None:
    """(user-id, password) from `Basic <base64>`; None when the header is not that."""
    if header is None:
        return None
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        return None
    try:
        raw = base64.b64decode(encoded.strip(), validate=True)
    except binascii.Error:
        return None
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError:
        # The challenge asks for UTF-8, but some clients (python-requests among them) still
        # send ISO-8859-1, the historical default.
        decoded = raw.decode("latin-1")
    user_id, colon, password = decoded.partition(":")
    if not colon:
        return None
    return user_id, password


class BasicVerifier:
    """Basic authentication for one server at a time (no state: the hash is on the server)."""

    def challenge(self, server: IdentityServer, failure: AuthenticationFailed | None) -> str:
        return challenge(server, failure)

    def authenticate(self, server: IdentityServer, request: AuthRequest) -> Principal:
        header = request.authorization
        if header is None:
            raise AuthenticationFailed(
                "no Authorization header",
                "Authentication required: send HTTP Basic credentials.",
                counts=False,
            )
        credentials = parse_basic(header)
        if credentials is None:
            raise AuthenticationFailed(
                f"Authorization header is not Basic credentials (scheme {_scheme(header)!r})",
                "This server expects HTTP Basic authentication "
                "(Authorization: Basic base64(username:password)).",
            )
        username, password = credentials
        expected = server.auth_username or ""
        # Both checks always run, so that the time taken does not tell which one failed.
        name_ok = hmac.compare_digest(username.encode(), expected.encode()) and bool(expected)
        password_ok = verify_secret(password, server.auth_secret)
        if not password:
            raise AuthenticationFailed(
                f"empty password for user {username[:64]!r}", "Wrong username or password."
            )
        if not (name_ok and password_ok):
            raise AuthenticationFailed(
                f"wrong username or password (user {username[:64]!r})",
                "Wrong username or password.",
            )
        return Principal(server_id=server.id, method="basic", subject=expected)


def _scheme(header: str) -> str:
    return header.split(" ", 1)[0][:20]


class BasicMethod(SecurityMethod):
    name = "basic"
    label = "Basic"
    authentication_scheme = {
        "type": "httpbasic",
        "name": "HTTP Basic",
        "description": "Authentication with a username and password (RFC 7617).",
        "specUri": "https://www.rfc-editor.org/rfc/rfc7617",
    }
    openapi_scheme = OpenApiScheme("basic", {"type": "http", "scheme": "basic"})
    redaction = Redaction.of(headers=["authorization"], schemes=["basic"])
    takes_password = True

    def verifier(self, environment: MethodEnvironment) -> BasicVerifier:
        return BasicVerifier()

    def make_secret(self, username: str, password: str, algorithms: Sequence[str] = ()) -> str:
        """A salted scrypt hash of the password."""
        check_password_credentials(username, password)
        return hash_secret(password)
