"""What the servers table stores for each method: never a password."""

from __future__ import annotations

import hashlib
import json

import pytest

from glpi_scim.security.credentials import (
    digest_ha1_values,
    hash_secret,
    new_signing_key,
    verify_secret,
)
from glpi_scim.security.methods.registry import make_credentials


def test_basic_credentials_are_a_salted_hash_that_verifies_only_the_password() -> None:
    first = make_credentials("basic", "okta", "s3cret pass")
    second = make_credentials("basic", "okta", "s3cret pass")
    assert first is not None and second is not None
    assert "s3cret" not in first
    assert first != second  # salted
    assert first.startswith("scrypt$")
    assert verify_secret("s3cret pass", first)
    assert not verify_secret("s3cret pasS", first)
    assert not verify_secret("", first)


def test_digest_credentials_hold_ha1_per_algorithm_never_the_password() -> None:
    stored = make_credentials("digest", "okta", "p@ss", ("MD5", "sha256"))
    assert stored is not None and "p@ss" not in stored
    data = json.loads(stored)
    assert data["realm"] == "glpi-scim"
    assert digest_ha1_values(stored) == {
        "MD5": hashlib.md5(b"okta:glpi-scim:p@ss").hexdigest(),
        "SHA-256": hashlib.sha256(b"okta:glpi-scim:p@ss").hexdigest(),
    }
    # By default SHA-256 alone: no MD5 HA1 is even stored.
    assert list(digest_ha1_values(make_credentials("digest", "okta", "p@ss"))) == ["SHA-256"]


@pytest.mark.parametrize("method", ["none", "bearer", "oauth2"])
def test_methods_without_password_store_nothing(method: str) -> None:
    assert make_credentials(method, "x", "y") is None


@pytest.mark.parametrize(
    ("username", "password", "message"),
    [
        ("okta", "", "password must not be empty"),
        ("", "pw", "username must not be empty"),
        ("ok:ta", "pw", "must not contain ':'"),
        ("okta", "line\nbreak", "control characters"),
    ],
)
def test_unusable_credentials_are_refused_with_a_reason(
    username: str, password: str, message: str
) -> None:
    for method in ("basic", "digest"):
        with pytest.raises(ValueError, match=message):
            make_credentials(method, username, password)


def test_malformed_or_missing_hashes_never_verify() -> None:
    assert not verify_secret("anything", None)
    assert not verify_secret("anything", "plain-text-password")
    assert not verify_secret("anything", "scrypt$1048576$8$1$AAAA$AAAA")  # absurd cost refused
    assert verify_secret("x", hash_secret("x"))


def test_signing_keys_are_long_and_unique() -> None:
    keys = {new_signing_key() for _ in range(20)}
    assert len(keys) == 20
    assert all(len(key) >= 64 for key in keys)
