"""The security methods glpi-scim knows, registered once; every list of methods derives from here.

The CLI's `--security` choices, the validation of a server's method, the credentials `server
add`/`edit` make, /ServiceProviderConfig's `authenticationSchemes`, the OpenAPI document's
security schemes, the Authenticator's dispatch and the request log's redaction all read this
registry, so a new method is its module plus one `register` call below.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from glpi_scim.identity.models import IdentityServer
from glpi_scim.security.credentials import DEFAULT_DIGEST_ALGORITHMS
from glpi_scim.security.methods.base import Redaction, SecurityMethod
from glpi_scim.security.methods.basic import BasicMethod
from glpi_scim.security.methods.bearer import BearerMethod
from glpi_scim.security.methods.digest import DigestMethod
from glpi_scim.security.methods.none import NoneMethod
from glpi_scim.security.methods.oauth2 import OAuth2Method

# What `server add` uses when no --security is given.
DEFAULT_METHOD = "bearer"

_methods: dict[str, SecurityMethod] = {}
# The union of the methods' redactions, kept until the methods change: the request log asks
# for it on every value it scans, and rebuilds its patterns only when it is a new object.
_redaction: Redaction | None = None


def register(method: SecurityMethod) -> SecurityMethod:
    """Add a method; ValueError when its name is taken or its OpenAPI key means another scheme."""
    if method.name in _methods:
        raise ValueError(f"a security method named {method.name!r} is already registered")
    scheme = method.openapi_scheme
    for known in _methods.values():
        other = known.openapi_scheme
        if scheme and other and scheme.key == other.key and scheme.entry != other.entry:
            raise ValueError(
                f"security method {method.name!r}: OpenAPI scheme {scheme.key!r} is already "
                f"declared differently by {known.name!r}"
            )
    global _redaction
    _methods[method.name] = method
    _redaction = None
    return method


def unregister(name: str) -> None:
    """Forget a method (tests that register one of their own)."""
    global _redaction
    _methods.pop(name, None)
    _redaction = None


def methods() -> tuple[SecurityMethod, ...]:
    """Every method, in registration order."""
    return tuple(_methods.values())


def method_names() -> tuple[str, ...]:
    return tuple(_methods)


def find_method(name: str) -> SecurityMethod | None:
    """The method stored as `name` in the servers table, or None (a hand-edited row)."""
    return _methods.get(name)


def password_methods() -> tuple[str, ...]:
    """The methods configured with --username and --password."""
    return tuple(name for name, method in _methods.items() if method.takes_password)


def authentication_schemes(server: IdentityServer) -> list[dict[str, Any]]:
    """ServiceProviderConfig `authenticationSchemes` for a server (empty for `none`)."""
    method = find_method(server.auth_method)
    if method is None or method.authentication_scheme is None:
        return []
    return [{**method.authentication_scheme, "primary": True}]


def openapi_security() -> tuple[dict[str, Any], list[dict[str, list[str]]]]:
    """The OpenAPI `securitySchemes` and top-level `security` requirements: the default
    method's scheme first, then the others in registration order, then `{}` (no credentials)
    when a method takes none."""
    ordered = sorted(methods(), key=lambda method: method.name != DEFAULT_METHOD)
    schemes: dict[str, Any] = {}
    anonymous = False
    for method in ordered:
        if method.openapi_scheme is None:
            anonymous = True
        else:
            schemes.setdefault(method.openapi_scheme.key, dict(method.openapi_scheme.entry))
    requirements: list[dict[str, list[str]]] = [{key: []} for key in schemes]
    if anonymous:
        requirements.append({})
    return schemes, requirements


def redaction() -> Redaction:
    """What the request log must hide, for every registered method together."""
    global _redaction
    if _redaction is None:
        combined = Redaction()
        for method in _methods.values():
            combined = combined | method.redaction
        _redaction = combined
    return _redaction


def make_credentials(
    method: str,
    username: str,
    password: str,
    digest_algorithms: Sequence[str] = DEFAULT_DIGEST_ALGORITHMS,
) -> str | None:
    """The servers table's `auth_secret` for a method: never the password itself.

    basic: a salted scrypt hash of the password; digest: JSON with the realm and the HA1 of
    each allowed algorithm; methods without a password store nothing (None). ValueError with
    a readable reason for an unusable username or password, or an unknown method.
    """
    found = find_method(method)
    if found is None:
        raise ValueError(f"unknown security method {method!r}")
    if not found.takes_password:
        return None
    return found.make_secret(username, password, digest_algorithms)


for _builtin in (NoneMethod(), BasicMethod(), DigestMethod(), BearerMethod(), OAuth2Method()):
    register(_builtin)
