"""Test helpers: identity servers in the database, a hand-written Digest client, RS256 signing.

The Digest client and the RSA signer are written from the RFCs (7616, 8017) so that tests can
build requests no library sends: SHA-256-sess, userhash, forged or replayed nonces, tokens
signed with algorithms the server must refuse.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any

from glpi_scim.db.database import Database
from glpi_scim.identity.models import IdentityServer
from glpi_scim.security.authenticator import AuthRequest
from glpi_scim.security.credentials import DEFAULT_DIGEST_ALGORITHMS, new_signing_key
from glpi_scim.security.methods.registry import make_credentials
from glpi_scim.servers.repository import ServerRepository

APPLIED_USER_ID = 2  # "glpi", Super-Admin of a fresh GLPI install


def create_server(
    database: Database,
    name: str,
    *,
    method: str = "bearer",
    username: str | None = None,
    password: str | None = None,
    digest_algorithms: tuple[str, ...] = DEFAULT_DIGEST_ALGORITHMS,
    **settings: Any,
) -> IdentityServer:
    server = IdentityServer(
        id=0,
        name=name,
        users_id_applied=APPLIED_USER_ID,
        auth_method=method,  # type: ignore[arg-type]
        auth_username=username,
        auth_secret=make_credentials(method, username, password, digest_algorithms)
        if username is not None and password is not None
        else None,
        signing_key=new_signing_key(),
    )
    return ServerRepository(database).create(replace(server, **settings))


def auth_request(
    authorization: str | None = None,
    *,
    method: str = "GET",
    target: str = "/scim/v2/1/Users",
    client_ip: str = "192.0.2.10",
) -> AuthRequest:
    headers = {"authorization": authorization} if authorization is not None else {}
    return AuthRequest(method=method, target=target, headers=headers, client_ip=client_ip)


# -- HTTP Digest (RFC 7616), client side ------------------------------------------------------

_HASHES = {"MD5": hashlib.md5, "SHA-256": hashlib.sha256}


def parse_challenges(header: str) -> list[dict[str, str]]:
    """The Digest challenges of one WWW-Authenticate value, in order."""
    challenges = []
    for part in re.split(r"(?:^|,\s*)Digest\s+", header.strip()):
        if not part.strip():
            continue
        params = dict(
            (name.lower(), quoted if quoted else token)
            for name, quoted, token in re.findall(r'([\w-]+)=(?:"([^"]*)"|([^\s,]+))', part)
        )
        challenges.append(params)
    return challenges


def digest_authorization(
    challenge: dict[str, str],
    *,
    username: str,
    password: str,
    method: str,
    uri: str,
    algorithm: str | None = None,
    nc: int = 1,
    cnonce: str | None = None,
    realm: str | None = None,
    nonce: str | None = None,
    userhash: bool = False,
) -> str:
    name = algorithm or challenge["algorithm"]
    base = name.upper().removesuffix("-SESS")
    base = "SHA-256" if base == "SHA-256" else "MD5"
    hash_function = _HASHES[base]

    def h(text: str) -> str:
        return hash_function(text.encode()).hexdigest()

    realm = realm if realm is not None else challenge["realm"]
    nonce = nonce if nonce is not None else challenge["nonce"]
    cnonce = cnonce or secrets.token_hex(8)
    nc_text = f"{nc:08x}"
    ha1 = h(f"{username}:{realm}:{password}")
    if name.upper().endswith("-SESS"):
        ha1 = h(f"{ha1}:{nonce}:{cnonce}")
    ha2 = h(f"{method}:{uri}")
    response = h(f"{ha1}:{nonce}:{nc_text}:{cnonce}:auth:{ha2}")
    shown_user = h(f"{username}:{realm}") if userhash else username
    return (
        f'Digest username="{shown_user}", realm="{realm}", nonce="{nonce}", uri="{uri}", '
        f'algorithm={name}, response="{response}", qop=auth, nc={nc_text}, '
        f'cnonce="{cnonce}"' + (", userhash=true" if userhash else "")
    )


# -- JWTs the server must refuse ---------------------------------------------------------------


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _signing_input(header: dict[str, Any], claims: dict[str, Any]) -> bytes:
    encoded = [
        b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)
    ]
    return ".".join(encoded).encode()


def unsigned_token(claims: dict[str, Any]) -> str:
    """alg "none": no signature at all."""
    return _signing_input({"alg": "none", "typ": "JWT"}, claims).decode() + "."


def hs256_token(claims: dict[str, Any], key: bytes) -> str:
    """HS256 with any key bytes (pyjwt itself refuses PEM public keys as HMAC keys)."""
    signing_input = _signing_input({"alg": "HS256", "typ": "JWT"}, claims)
    signature = hmac.new(key, signing_input, hashlib.sha256).digest()
    return f"{signing_input.decode()}.{b64url(signature)}"


def _is_probable_prime(n: int) -> bool:
    if n < 2:
        return False
    for p in (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37):
        if n % p == 0:
            return n == p
    d, r = n - 1, 0
    while d % 2 == 0:
        d, r = d // 2, r + 1
    for _ in range(24):
        x = pow(secrets.randbelow(n - 3) + 2, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(r - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def _prime(bits: int) -> int:
    while True:
        candidate = secrets.randbits(bits) | (1 << (bits - 1)) | 1
        if _is_probable_prime(candidate):
            return candidate


class RsaKey:
    """A small RSA key pair (test only) that signs RS256 JWTs per RFC 8017 (PKCS #1 v1.5)."""

    E = 65537
    _SHA256_PREFIX = bytes.fromhex("3031300d060960864801650304020105000420")

    def __init__(self, bits: int = 1024) -> None:
        while True:
            p, q = _prime(bits // 2), _prime(bits // 2)
            phi = (p - 1) * (q - 1)
            if p != q and phi % self.E:
                break
        self.n = p * q
        self.d = pow(self.E, -1, phi)
        self.size = (self.n.bit_length() + 7) // 8

    def rs256_token(self, claims: dict[str, Any]) -> str:
        signing_input = _signing_input({"alg": "RS256", "typ": "JWT"}, claims)
        digest_info = self._SHA256_PREFIX + hashlib.sha256(signing_input).digest()
        padded = b"\x00\x01" + b"\xff" * (self.size - len(digest_info) - 3) + b"\x00" + digest_info
        signature = pow(int.from_bytes(padded, "big"), self.d, self.n).to_bytes(self.size, "big")
        return f"{signing_input.decode()}.{b64url(signature)}"

    def public_pem(self) -> bytes:
        """PKCS #1 RSAPublicKey in PEM: what an attacker would use as an HMAC secret."""

        def der_integer(value: int) -> bytes:
            body = value.to_bytes((value.bit_length() + 8) // 8, "big")
            return b"\x02" + _der_length(len(body)) + body

        sequence = der_integer(self.n) + der_integer(self.E)
        der = b"\x30" + _der_length(len(sequence)) + sequence
        lines = base64.encodebytes(der).decode().replace("\n", "")
        wrapped = "\n".join(lines[i : i + 64] for i in range(0, len(lines), 64))
        return f"-----BEGIN RSA PUBLIC KEY-----\n{wrapped}\n-----END RSA PUBLIC KEY-----\n".encode()


def _der_length(length: int) -> bytes:
    if length < 128:
        return bytes([length])
    body = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


class Clock:
    """A settable clock for expiry tests (aware UTC, whole seconds)."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = (start or datetime.now(timezone.utc)).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)
