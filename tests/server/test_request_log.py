"""The request log of servers that keep one: rows written, redacted, and only when asked."""

from __future__ import annotations

import json
from collections.abc import Callable

from glpi_scim.glpi.database import Database
from glpi_scim.servers.requestlog import RequestLog

from .support import PATCH_SCHEMA, USER_SCHEMA, Api


def test_every_request_of_a_logging_server_is_recorded_redacted(
    database: Database, make_api: Callable[..., Api]
) -> None:
    api = make_api(log_requests=True)
    created = api.post(
        "/Users",
        {"schemas": [USER_SCHEMA], "userName": "logged.user", "password": "Very-Secret-1"},
        params={"attributes": "userName"},
    )
    assert created.status_code == 201
    user_id = created.json["id"]
    api.patch(
        f"/Users/{user_id}",
        {
            "schemas": [PATCH_SCHEMA],
            "Operations": [{"op": "replace", "path": "password", "value": "Other-Secret-2"}],
        },
    )
    refused = api.get("/Users", headers={"Authorization": "Bearer wrong-token-value"})
    assert refused.status_code == 401
    api.flush_request_log()

    entries = RequestLog(database).recent(server_id=api.server.id)
    assert [(e.method, e.status) for e in entries] == [("POST", 201), ("PATCH", 200), ("GET", 401)]
    post, patch, failed = entries
    assert post.request_id == created.headers["x-request-id"]
    assert post.path == f"/scim/v2/{api.server.id}/Users"
    assert post.query == "attributes=userName"
    assert post.client_ip == "127.0.0.1"
    assert post.duration_ms >= 0
    assert json.loads(post.request_body or "")["userName"] == "logged.user"
    assert json.loads(post.response_body or "")["id"] == user_id
    assert post.note is not None and "password" in post.note and "ignored" in post.note
    assert patch.note is not None and "ignored" in patch.note
    stored = json.dumps([e.as_json() for e in entries])
    for secret in ("Very-Secret-1", "Other-Secret-2", api.token, "wrong-token-value"):
        assert secret not in stored
    assert failed.request_headers["authorization"] != "Bearer wrong-token-value"


def test_a_server_without_log_requests_leaves_no_row(
    database: Database, make_api: Callable[..., Api]
) -> None:
    api = make_api()
    assert api.get("/Users").status_code == 200
    api.flush_request_log()
    assert RequestLog(database).recent(server_id=api.server.id) == []


def test_requests_that_reach_no_server_are_not_logged(
    database: Database, make_api: Callable[..., Api]
) -> None:
    api = make_api(log_requests=True)
    assert api.get("/Users", root="/scim/v2/999").status_code == 404
    api.flush_request_log()
    assert RequestLog(database).recent() == []
