"""Content types, body size and JSON strictness as a client sees them: clear errors that
change nothing."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from glpi_scim.db.database import Database

from .support import USER_SCHEMA, Api, assert_scim_error


@pytest.fixture
def database(sqlite_database: Database) -> Database:
    """HTTP-level behaviour: the store's dialect does not matter, SQLite is enough."""
    return sqlite_database


def user_count(api: Api) -> int:
    return int(api.get("/Users", params={"count": "0"}).json["totalResults"])


@pytest.mark.parametrize("content_type", ["application/scim+json", "application/json"])
def test_scim_and_plain_json_bodies_are_accepted(api: Api, content_type: str) -> None:
    result = api.post(
        "/Users",
        {
            "schemas": [USER_SCHEMA],
            "userName": f"ct.{content_type.split('/')[1].replace('+', '.')}",
        },
        content_type=content_type,
    )
    assert result.status_code == 201, result.text
    assert result.headers["content-type"] == "application/scim+json; charset=utf-8"


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", None])
def test_other_body_types_are_415_and_change_nothing(api: Api, content_type: str | None) -> None:
    before = user_count(api)
    result = api.request(
        "POST",
        "/Users",
        body=json.dumps({"schemas": [USER_SCHEMA], "userName": "never"}),
        content_type=content_type,
    )
    assert_scim_error(result, 415, "application/scim+json")
    assert user_count(api) == before


def test_get_and_delete_need_no_content_type(api: Api) -> None:
    created = api.post("/Users", {"schemas": [USER_SCHEMA], "userName": "no.ct"}).json
    assert api.get(f"/Users/{created['id']}", content_type=None).status_code == 200
    assert api.delete(f"/Users/{created['id']}", content_type=None).status_code == 204


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b'{"schemas": ["x"], "userName": ', "not valid JSON"),
        (b'{"userName": "a", "userName": "b"}', "repeats the key"),
        (b'{"userName": "\xff"}', "not valid UTF-8"),
        (b"[]", "must be a JSON object"),
        (b"", "empty"),
        (b'{"a": ' + b"[" * 70 + b"]" * 70 + b"}", "deeper than 64"),
    ],
)
def test_malformed_json_is_400_invalid_syntax_and_changes_nothing(
    api: Api, body: bytes, words: str
) -> None:
    before = user_count(api)
    result = api.request("POST", "/Users", body=body)
    error = assert_scim_error(result, 400, words)
    assert error["scimType"] == "invalidSyntax"
    assert user_count(api) == before


def test_a_body_above_the_limit_is_413_and_changes_nothing(make_api: Callable[..., Api]) -> None:
    api = make_api(settings={"max_body_bytes": 2000})
    before = user_count(api)
    big = {"schemas": [USER_SCHEMA], "userName": "big", "nickName": "x" * 3000}
    assert_scim_error(api.post("/Users", big), 413, "2000 bytes")
    assert user_count(api) == before
    small = {"schemas": [USER_SCHEMA], "userName": "small", "nickName": "x" * 100}
    assert api.post("/Users", small).status_code == 201


def test_a_body_is_refused_before_authentication_when_too_large(
    make_api: Callable[..., Api],
) -> None:
    api = make_api(settings={"max_body_bytes": 100})
    assert_scim_error(api.request("POST", "/Users", body=b"{}" * 100, auth=False), 413)


def test_a_password_with_sync_off_is_ignored_and_never_returned(api: Api) -> None:
    created = api.post(
        "/Users", {"schemas": [USER_SCHEMA], "userName": "pw.user", "password": "S3cret-pass!"}
    )
    assert created.status_code == 201
    assert "S3cret" not in created.text and "password" not in created.json
