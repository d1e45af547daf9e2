"""GLPI's value formats: encoded text, bcrypt hashes PHP accepts, valid logins, language codes.

PHP itself is the judge where GLPI relies on it (password_verify, its login regex and
FILTER_VALIDATE_EMAIL); those tests are skipped when no `php` binary is available.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from hypothesis import given
from hypothesis import strategies as st

from glpi_scim.db.collation import collation_key
from glpi_scim.glpi import languages, passwords, text
from glpi_scim.glpi.validation import is_valid_login

PHP = shutil.which("php")
needs_php = pytest.mark.skipif(PHP is None, reason="php is not installed (apt-get install php-cli)")


def php(code: str, stdin: str = "", *args: str) -> str:
    assert PHP is not None
    result = subprocess.run(
        [PHP, "-r", code, "--", *args],
        input=stdin,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return result.stdout


# -- text encoding


@given(st.text())
def test_encoding_round_trips(value: str) -> None:
    assert text.decode(text.encode(value)) == value


def test_encoding_is_glpis() -> None:
    assert text.encode("R&D <b>") == "R&#38;D &#60;b&#62;"
    assert text.decode("R&#38;D &#60;b&#62;") == "R&D <b>"
    assert text.decode("&#38;#60;") == "&#60;"
    # Like GLPI: a value holding a raw special character was never encoded.
    assert text.decode("A & B &#60;") == "A & B &#60;"
    assert text.decode("&lt;legacy&gt;") == "<legacy>"
    assert text.decode("plain") == "plain"


# -- passwords


def test_hash_format() -> None:
    hashed = passwords.hash_password("secret")
    assert hashed.startswith("$2y$10$") and len(hashed) == 60
    assert passwords.verify_password("secret", hashed)
    assert not passwords.verify_password("Secret", hashed)
    assert not passwords.verify_password("secret", "")


def test_password_is_cut_to_72_bytes() -> None:
    long = "é" * 40  # 80 bytes in UTF-8
    hashed = passwords.hash_password(long)
    assert passwords.verify_password(long, hashed)
    assert passwords.verify_password("é" * 36, hashed)  # the first 72 bytes
    with pytest.raises(passwords.UnusablePassword):
        passwords.hash_password("nul\x00byte")


@needs_php
@pytest.mark.parametrize("secret", ["glpi", "pässwörd with spaces", "x" * 100, "'\"$\\`"])
def test_php_accepts_the_hash(secret: str) -> None:
    hashed = passwords.hash_password(secret)
    out = php(
        "$i = password_get_info($argv[2]);"
        ' echo json_encode([password_verify($argv[1], $argv[2]), $i["algoName"],'
        ' $i["options"]["cost"], password_verify($argv[1] . "x", $argv[2])]);',
        "",
        secret,
        hashed,
    )
    verified, algorithm, cost, wrong = json.loads(out)
    assert (verified, algorithm, cost) == (True, "bcrypt", 10)
    assert wrong is (len(secret.encode()) >= 72)  # beyond 72 bytes nothing counts


@needs_php
def test_python_verifies_hashes_php_wrote() -> None:
    hashed = php('echo password_hash($argv[1], PASSWORD_BCRYPT, ["cost" => 10]);', "", "tech")
    assert hashed.startswith("$2y$10$")
    assert passwords.verify_password("tech", hashed)
    assert not passwords.verify_password("tec", hashed)


# -- logins

CANDIDATES = [
    "jdoe", "John Doe", "o'neil", "a.b-c_d", "first+tag@example.com", "user@sub.example.org",
    "Zoë", "日本語", "ünïcödé", "user@localhost", "a@b", "semi;colon", "slash/name", "tab\tname",
    "x<y", "a&b", "back\\slash", "quote\"d", "", " ", "name@", "@example.com", "a..b@example.com",
    "dotted.@example.com", "excl!am@example.com", "per%cent", "hash#tag", "ça-va",
    "x" * 64 + "@example.com", "user@exa_mple.com", "user@-example.com", "12345", "٣٤٥",
    "a+b@x", "a+b@x.y", "a+b@[127.0.0.1]", '"quo ted"@example.com', "a+b@exa mple.com",
    "a+b@xn--bcher-kva.example", "a+b@example.com.", "a+b@1.2.3.4", "é+b@example.com",
    "a+b@exämple.com", "a+b@" + "a" * 64 + ".com", "a+b@x.123", ".a+b@example.com",
    "a+b.@example.com", "{a}+b@example.com", "a+b@x_y.com", "a/b@example.com",
    "a+" + "b" * 63 + "@example.com", "a+b@[300.0.0.1]",
]  # fmt: skip


@needs_php
def test_login_rule_matches_glpis() -> None:
    out = php(
        "foreach (json_decode(stream_get_contents(STDIN)) as $l) {"
        ' echo json_encode((bool) (preg_match("/^[[:alnum:]\'@.\\\\-_ ]+$/iu", $l)'
        ' || filter_var($l, FILTER_VALIDATE_EMAIL) != false)), "\\n"; }',
        json.dumps(CANDIDATES),
    )
    verdicts = [json.loads(line) for line in out.splitlines()]
    assert len(verdicts) == len(CANDIDATES)
    mismatches = [
        (login, glpi)
        for login, glpi in zip(CANDIDATES, verdicts, strict=True)
        if is_valid_login(login) != glpi
    ]
    assert mismatches == []


# -- languages


@pytest.mark.parametrize(
    "tag, code",
    [
        ("en-US", "en_US"),
        ("en_us", "en_US"),
        ("fr", "fr_FR"),
        ("en", "en_GB"),
        ("de-AT", "de_DE"),
        ("pt-BR", "pt_BR"),
        ("es-419", "es_419"),
        ("fr-CA,fr;q=0.9,en;q=0.8", "fr_CA"),
        ("tlh", None),
        ("", None),
        ("en-US-u-ca-gregory", "en_US"),
        # Not a tag: a value that merely starts with letters of a language code.
        ("be18bb8c-6f7f-4f52-ae1c-e496f4440062", None),
        ("de1", None),
    ],
)
def test_language_tags(tag: str, code: str | None) -> None:
    assert languages.to_glpi(tag) == code


def test_language_codes_back_to_tags() -> None:
    assert languages.to_scim("en_GB") == "en-GB"
    for code in languages.GLPI_LANGUAGES:
        assert languages.to_glpi(languages.to_scim(code)) == code


# -- collation


@pytest.mark.parametrize(
    "a, b", [("john", "JOHN"), ("José", "jose"), ("anna ", "anna"), ("Straße", "STRASSE")]
)
def test_collation_key_equates_what_glpi_equates(a: str, b: str) -> None:
    assert collation_key(a) == collation_key(b)


def test_collation_key_keeps_leading_spaces_and_punctuation() -> None:
    assert collation_key(" anna") != collation_key("anna")
    assert collation_key("a.b") != collation_key("ab")
