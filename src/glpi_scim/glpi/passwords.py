"""Password hashes GLPI accepts: bcrypt, `$2y$` prefix, cost 10, as PHP's password_hash writes.

GLPI (PHP) rejects the `$2b$` prefix Python's bcrypt writes, although the algorithm is the same;
bcrypt reads at most 72 bytes of a password, so longer ones are cut first, as PHP does.
"""

from __future__ import annotations

import bcrypt

from glpi_scim.errors import GlpiScimError

COST = 10
MAX_BYTES = 72
_PHP_PREFIX = b"$2y$"
_PY_PREFIX = b"$2b$"


class UnusablePassword(GlpiScimError, ValueError):
    """The password cannot be hashed (it holds a NUL character)."""


def _secret(password: str) -> bytes:
    data = password.encode("utf-8")
    if b"\x00" in data:
        raise UnusablePassword("a password cannot contain a NUL character")
    return data[:MAX_BYTES]


def hash_password(password: str) -> str:
    """The `$2y$10$...` hash GLPI stores in glpi_users.password."""
    hashed = bcrypt.hashpw(_secret(password), bcrypt.gensalt(rounds=COST, prefix=b"2b"))
    return (_PHP_PREFIX + hashed[len(_PY_PREFIX) :]).decode("ascii")


def verify_password(password: str, stored_hash: str | None) -> bool:
    """Whether `password` matches a bcrypt hash GLPI stored (`$2y$`, `$2a$` or `$2b$`)."""
    if not stored_hash or not stored_hash.startswith(("$2y$", "$2a$", "$2b$")):
        return False
    try:
        secret = _secret(password)
    except UnusablePassword:
        return False
    candidate = _PY_PREFIX + stored_hash.encode("ascii", "replace")[len(_PY_PREFIX) :]
    try:
        return bcrypt.checkpw(secret, candidate)
    except ValueError:
        return False
