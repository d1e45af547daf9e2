"""Secrets at rest: what the servers table stores for each method, and how it is checked.

Passwords (Basic) and OAuth client secrets are stored as salted scrypt hashes. scrypt rather
than bcrypt because it is in the standard library, is memory-hard (costly on GPUs), has no
72-byte password limit (bcrypt 5 refuses longer passwords, older versions cut them silently),
and keeps its parameters in the stored value so that they can be raised later. The cost
(n=2**14, r=8, p=1: 16 MiB, about 30 ms) is paid on every Basic request, so it stays moderate.

Digest cannot use a slow salted hash: the server needs H(username:realm:password) (HA1) to
check a response, so HA1 is what is stored, one per algorithm, never the password.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import secrets
from collections.abc import Iterable, Sequence

from glpi_scim.security.model import REALM

SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
_SCRYPT_MAXMEM = 64 * 1024 * 1024
_SALT_BYTES = 16
_KEY_BYTES = 32

# Digest algorithms (RFC 7616 section 3.3) by their base name; -sess forms reuse the same HA1.
# In order of preference: a challenge offers SHA-256 first.
DIGEST_HASHES = {"SHA-256": hashlib.sha256, "MD5": hashlib.md5}
# New servers answer SHA-256 only: offering MD5 beside it lets a man in the middle strip the
# SHA-256 challenge and get the weaker one answered.
DEFAULT_DIGEST_ALGORITHMS = ("SHA-256",)


def new_signing_key() -> str:
    """A fresh per-server key (JWT signatures, Digest nonces, form tokens): 384 random bits."""
    return secrets.token_urlsafe(48)


def derive_key(signing_key: str, purpose: str) -> bytes:
    """A sub-key for one purpose, so that no value signed for one use is valid for another."""
    return hmac.new(signing_key.encode(), f"glpi-scim {purpose}".encode(), hashlib.sha256).digest()


def token_digest(token: str) -> str:
    """SHA-256 hex of a high-entropy token or code: what the database keeps instead of it."""
    return hashlib.sha256(token.encode()).hexdigest()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _scrypt(secret: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        secret.encode(), salt=salt, n=n, r=r, p=p, maxmem=_SCRYPT_MAXMEM, dklen=_KEY_BYTES
    )


def hash_secret(secret: str) -> str:
    """`scrypt$n$r$p$salt$hash` (base64) of a password or client secret."""
    if not secret:
        raise ValueError("the password must not be empty")
    salt = secrets.token_bytes(_SALT_BYTES)
    digest = _scrypt(secret, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


@functools.cache
def _dummy_hash() -> str:
    # Computed on first use, not at import: an scrypt costs every CLI start-up 30+ ms.
    return hash_secret(secrets.token_urlsafe(16))


def verify_secret(secret: str, stored: str | None) -> bool:
    """True when `secret` matches the stored hash; same cost whether or not anything is stored.

    An empty secret never matches. A malformed or missing stored value is checked against a
    dummy hash so that the response time does not tell an attacker which case they hit.
    """
    parsed = _parse_scrypt(stored) if stored else None
    if parsed is None:
        _verify(secret or "-", _parse_scrypt(_dummy_hash()))
        return False
    return _verify(secret, parsed) and bool(secret)


def _verify(secret: str, parsed: tuple[int, int, int, bytes, bytes] | None) -> bool:
    assert parsed is not None
    n, r, p, salt, expected = parsed
    return hmac.compare_digest(_scrypt(secret, salt, n, r, p), expected)


def _parse_scrypt(stored: str) -> tuple[int, int, int, bytes, bytes] | None:
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        return None
    try:
        n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
        salt = base64.b64decode(parts[4], validate=True)
        expected = base64.b64decode(parts[5], validate=True)
    except ValueError:
        return None
    # Bounds keep a hand-edited row from turning one request into seconds of CPU or GiBs.
    if not (2 <= n <= 2**17 and n & (n - 1) == 0 and 1 <= r <= 16 and 1 <= p <= 4):
        return None
    if n * r * 128 * 2 > _SCRYPT_MAXMEM or len(expected) != _KEY_BYTES:
        return None
    return n, r, p, salt, expected


def digest_ha1(algorithm: str, username: str, realm: str, password: str) -> str:
    """HA1 = H(username ":" realm ":" password) for a base Digest algorithm (MD5, SHA-256)."""
    hash_function = DIGEST_HASHES[algorithm]
    return hash_function(f"{username}:{realm}:{password}".encode()).hexdigest()


def check_username(username: str) -> str:
    """The username, or ValueError with a readable reason (used in headers and in HA1)."""
    if not username:
        raise ValueError("the username must not be empty")
    if ":" in username:
        raise ValueError("the username must not contain ':' (HTTP Basic separates it with ':')")
    if any(ord(char) < 32 or ord(char) == 127 for char in username):
        raise ValueError("the username must not contain control characters")
    return username


def check_password_credentials(username: str, password: str) -> None:
    """ValueError with a readable reason unless a username and password can be stored (Basic
    and Digest: the username goes into headers and HA1, the password into a hash)."""
    check_username(username)
    if not password:
        raise ValueError("the password must not be empty")
    if any(ord(char) < 32 or ord(char) == 127 for char in password):
        raise ValueError("the password must not contain control characters")


def digest_secret(username: str, password: str, algorithms: Sequence[str]) -> str:
    """Digest's `auth_secret`: JSON with the realm and the HA1 of each allowed algorithm (only
    those are offered and accepted: no MD5 HA1, no MD5 answer)."""
    chosen = check_digest_algorithms(algorithms)
    values = {name: digest_ha1(name, username, REALM, password) for name in chosen}
    return json.dumps({"realm": REALM, "ha1": values}, sort_keys=True)


def check_digest_algorithms(names: Iterable[str]) -> tuple[str, ...]:
    """Digest algorithm names as stored (`SHA-256`, `MD5`), in order of preference; ValueError
    naming what is unknown. `sha256` and `md5` are read too."""
    spelled = {name.replace("-", "").upper(): name for name in DIGEST_HASHES}
    chosen: set[str] = set()
    for name in names:
        known = spelled.get(name.strip().replace("-", "").upper())
        if known is None:
            raise ValueError(
                f"unknown Digest algorithm {name!r}; choose among {', '.join(DIGEST_HASHES)}"
            )
        chosen.add(known)
    if not chosen:
        raise ValueError("at least one Digest algorithm is needed (SHA-256)")
    return tuple(name for name in DIGEST_HASHES if name in chosen)


def without_digest_algorithms(auth_secret: str, kept: Iterable[str]) -> str:
    """The stored Digest secret restricted to `kept` (no password needed to drop one)."""
    values = digest_ha1_values(auth_secret)
    restricted = {name: ha1 for name, ha1 in values.items() if name in set(kept)}
    return json.dumps({"realm": REALM, "ha1": restricted}, sort_keys=True)


def digest_ha1_values(auth_secret: str | None) -> dict[str, str]:
    """The stored HA1 per algorithm (empty when the server has no usable Digest secret)."""
    if not auth_secret:
        return {}
    try:
        data = json.loads(auth_secret)
    except ValueError:
        return {}
    if not isinstance(data, dict) or data.get("realm") != REALM:
        return {}
    values = data.get("ha1")
    if not isinstance(values, dict):
        return {}
    return {str(k): str(v) for k, v in values.items() if k in DIGEST_HASHES}
