"""Digest algorithms per server: SHA-256 alone unless MD5 is asked for, set with
`server add|edit --digest-algorithms`, and enforced over real HTTP (no downgrade to MD5)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import requests
from click.testing import CliRunner
from requests.auth import HTTPDigestAuth

from glpi_scim.cli.main import cli
from glpi_scim.db.database import Database

from .conftest import LiveServer
from .support import digest_authorization, parse_challenges

PASSWORD = "correct horse battery"


def glpi_scim(database: Database, *args: str, expect: int = 0) -> Any:
    result = CliRunner().invoke(cli, ["--database", database.url, *args], catch_exceptions=False)
    assert result.exit_code == expect, result.output
    return json.loads(result.stdout) if expect == 0 and "--json" in args else result


def add_digest_server(database: Database, *more: str) -> dict[str, Any]:
    created = glpi_scim(
        database,
        "server", "add", "scripts", "--applied-user", "glpi", "--security", "digest",
        "--username", "script", "--password", PASSWORD, *more, "--json",
    )  # fmt: skip
    server: dict[str, Any] = created["server"]
    return server


def md5_answer(url: str, path: str) -> requests.Response:
    """What a man in the middle hopes for: an MD5 response, whatever the server offered."""
    challenge = parse_challenges(requests.get(url, timeout=10).headers["WWW-Authenticate"])[0]
    header = digest_authorization(
        challenge, username="script", password=PASSWORD, method="GET", uri=path, algorithm="MD5"
    )
    return requests.get(url, headers={"Authorization": header}, timeout=10)


def test_a_new_digest_server_offers_and_accepts_sha256_only(
    serve: Callable[..., LiveServer], database: Database
) -> None:
    live = serve()
    server = add_digest_server(database)
    assert server["digest_algorithms"] == ["SHA-256"]
    url = live.scim_url(server["id"])
    challenges = parse_challenges(requests.get(url, timeout=10).headers["WWW-Authenticate"])
    assert [c["algorithm"] for c in challenges] == ["SHA-256"]

    refused = md5_answer(url, f"/scim/v2/{server['id']}/Users")
    assert refused.status_code == 401
    assert "does not accept MD5" in refused.json()["detail"]
    answered = requests.get(url, auth=HTTPDigestAuth("script", PASSWORD), timeout=10)
    assert answered.status_code == 200, answered.text


def test_md5_is_kept_only_where_asked_for(
    serve: Callable[..., LiveServer], database: Database
) -> None:
    live = serve()
    server = add_digest_server(database, "--digest-algorithms", "SHA-256,MD5")
    assert server["digest_algorithms"] == ["SHA-256", "MD5"]
    url = live.scim_url(server["id"])
    assert md5_answer(url, f"/scim/v2/{server['id']}/Users").status_code == 200

    # Dropping MD5 needs no password; allowing it again does.
    edited = glpi_scim(
        database, "server", "edit", "scripts", "--digest-algorithms", "sha-256", "--json"
    )
    assert edited["server"]["digest_algorithms"] == ["SHA-256"]
    assert edited["credentials"] is None
    assert md5_answer(url, f"/scim/v2/{server['id']}/Users").status_code == 401
    still = requests.get(url, auth=HTTPDigestAuth("script", PASSWORD), timeout=10)
    assert still.status_code == 200, still.text

    refused = glpi_scim(
        database, "server", "edit", "scripts", "--digest-algorithms", "SHA-256,MD5", expect=1
    )
    assert "needs the password" in refused.output
    again = glpi_scim(
        database,
        "server", "edit", "scripts", "--digest-algorithms", "MD5,SHA-256",
        "--password", PASSWORD, "--yes", "--json",
    )  # fmt: skip
    assert again["server"]["digest_algorithms"] == ["SHA-256", "MD5"]
    assert md5_answer(url, f"/scim/v2/{server['id']}/Users").status_code == 200
    # A new password keeps the algorithms the server has (as servers made before this
    # option keep MD5 beside SHA-256 until told otherwise).
    renewed = glpi_scim(
        database, "server", "edit", "scripts", "--password", PASSWORD, "--yes", "--json"
    )
    assert renewed["server"]["digest_algorithms"] == ["SHA-256", "MD5"]


def test_digest_algorithms_are_checked(database: Database) -> None:
    unknown = glpi_scim(
        database,
        "server", "add", "x", "--applied-user", "glpi", "--security", "digest",
        "--digest-algorithms", "SHA-512", expect=1,
    )  # fmt: skip
    assert "unknown Digest algorithm 'SHA-512'" in unknown.output
    not_digest = glpi_scim(
        database,
        "server", "add", "y", "--applied-user", "glpi", "--digest-algorithms", "MD5", expect=1,
    )  # fmt: skip
    assert "only applies to digest security" in not_digest.output
