"""The request log of servers that keep one: rows written, redacted, and only when asked."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import insert, select

from glpi_scim.db import tables
from glpi_scim.db.clock import to_db, utcnow
from glpi_scim.db.database import Database
from glpi_scim.servers.requestlog import RequestLog, RequestLogEntry

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
    # Refused before authentication: a summary only.
    assert failed.request_headers == {} and failed.request_body is None
    assert failed.note is not None and failed.note.startswith("refused before authentication: ")


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


def test_a_quarter_megabyte_request_is_logged_quickly_and_redacted(
    database: Database, make_api: Callable[..., Api]
) -> None:
    # Backtracking patterns took about x4 per doubling (8 KB: 5.5 s), holding the process.
    api = make_api(log_requests=True)
    hostile = "a." * 125_000
    query = f"x={hostile}&password=Query-Secret-1"
    body = f"password=Body-Secret-2 {hostile}"
    headers = {**api.headers(), "X-Hostile": hostile, "Content-Type": "application/scim+json"}
    started = time.perf_counter()
    answers = [
        api.client.simulate_get(f"{api.root}/Users", query_string=query, headers=api.headers()),
        api.client.simulate_post(f"{api.root}/Users", body=body, headers=headers),
    ]
    api.flush_request_log()
    elapsed = time.perf_counter() - started
    # Well under a second on an idle machine; generous for a loaded one.
    assert elapsed < 20, elapsed
    assert [answer.status_code for answer in answers] == [200, 400]
    get, post = RequestLog(database).recent(server_id=api.server.id)
    assert get.query is not None and get.query.endswith("a.a.")
    assert len(get.query) <= 8 * 1024
    stored = json.dumps([get.as_json(), post.as_json()])
    assert "Query-Secret-1" not in stored and "Body-Secret-2" not in stored
    assert (post.request_body or "").startswith("password=[REDACTED] a.a.")
    assert post.truncated
    assert len(post.request_headers["x-hostile"]) <= 1024


def test_a_patch_with_repeated_keys_is_refused_and_logged_without_its_password(
    database: Database, make_api: Callable[..., Api]
) -> None:
    api = make_api(log_requests=True)
    created = api.post("/Users", {"schemas": [USER_SCHEMA], "userName": "twice.keyed"})
    body = (
        '{"schemas":["' + PATCH_SCHEMA + '"],"Operations":[{"op":"replace",'
        '"path":"password","path":"nickName","value":"Repeated-Secret-1"}]}'
    )
    answer = api.patch(f"/Users/{created.json['id']}", body=body)
    assert answer.status_code == 400 and answer.json["scimType"] == "invalidSyntax"
    api.flush_request_log()
    patch = RequestLog(database).recent(server_id=api.server.id)[-1]
    assert patch.method == "PATCH" and patch.status == 400
    assert "Repeated-Secret-1" not in json.dumps(patch.as_json())
    assert '"path":"password","path":"nickName","value":"[REDACTED]"' in (patch.request_body or "")


def test_refusals_before_authentication_are_stored_as_rate_limited_summaries(
    database: Database, make_api: Callable[..., Api]
) -> None:
    api = make_api(log_requests=True, settings={"log_refusals_per_minute": 3})
    minutes = [0.0]
    api.app.context.refusals.clock = lambda: minutes[0] * 60
    flood = "/Users/" + "x" * 5000
    for _ in range(20):
        answer = api.get(flood, auth=False, body='{"password": "Flood-Secret"}')
        assert answer.status_code == 401
    assert api.get("/Users").status_code == 200  # authenticated: logged in full, not limited
    minutes[0] = 1.5
    assert api.get("/Users", headers={"Authorization": "Bearer nope"}).status_code == 401
    api.flush_request_log()

    entries = RequestLog(database).recent(server_id=api.server.id, limit=100)
    assert [entry.status for entry in entries] == [401, 401, 401, 200, 401]
    for refused in (*entries[:3], entries[4]):
        assert refused.request_headers == {} and refused.request_body is None
        assert refused.response_body is None and refused.client_ip == "127.0.0.1"
        assert len(refused.path) <= 200
        assert refused.note is not None and "refused before authentication" in refused.note
        assert "Flood-Secret" not in json.dumps(refused.as_json())
    assert entries[3].response_body is not None
    assert entries[4].note is not None
    assert "17 similar refusals from this address not stored" in entries[4].note


def test_the_running_server_deletes_old_entries_and_stale_failure_counters(
    database: Database, make_api: Callable[..., Api]
) -> None:
    api = make_api(log_requests=True, settings={"log_retention": "30d"})
    log = RequestLog(database)
    now = utcnow()
    for age in (400, 31, 29, 1):
        log.record(
            RequestLogEntry(
                server_id=api.server.id,
                request_id=f"age-{age}",
                time=now - timedelta(days=age),
                client_ip="192.0.2.1",
                method="GET",
                path="/scim/v2/1/Users",
                query=None,
                status=200,
                duration_ms=1,
            )
        )
    failures = tables.auth_failures
    with database.begin() as connection:
        for ip, window_start, blocked_until in (
            ("192.0.2.1", now - timedelta(days=2), None),  # stale
            ("192.0.2.2", now - timedelta(days=2), now + timedelta(minutes=3)),  # still blocked
            ("192.0.2.3", now - timedelta(minutes=1), None),  # counting
        ):
            connection.execute(
                insert(failures).values(
                    servers_id=api.server.id,
                    client_ip=ip,
                    failures=3,
                    window_start=to_db(window_start),
                    blocked_until=to_db(blocked_until),
                )
            )

    retention = api.app.context.retention
    assert retention is not None
    retention.schedule_now()  # instead of waiting a minute after start
    assert api.get("/Users").status_code == 200
    retention.wait()
    api.flush_request_log()

    kept = [entry.request_id for entry in log.recent(server_id=api.server.id)]
    assert kept == ["age-29", "age-1", kept[-1]] and kept[-1] not in ("age-400", "age-31")
    with database.begin() as connection:
        left = connection.execute(select(failures.c.client_ip).order_by(failures.c.client_ip))
        assert list(left.scalars()) == ["192.0.2.2", "192.0.2.3"]


def test_a_retention_of_zero_keeps_every_entry(
    database: Database, make_api: Callable[..., Api]
) -> None:
    api = make_api(log_requests=True, settings={"log_retention": "0"})
    RequestLog(database).record(
        RequestLogEntry(
            server_id=api.server.id,
            request_id="ancient",
            time=utcnow() - timedelta(days=3650),
            client_ip="192.0.2.1",
            method="GET",
            path="/scim/v2/1/Users",
            query=None,
            status=200,
            duration_ms=1,
        )
    )
    retention = api.app.context.retention
    assert retention is not None
    retention.schedule_now()  # instead of waiting a minute after start
    assert api.get("/Users").status_code == 200
    retention.wait()
    api.flush_request_log()
    assert RequestLog(database).recent(server_id=api.server.id)[0].request_id == "ancient"


def test_a_path_with_control_characters_is_stored_percent_encoded(
    database: Database, make_api: Callable[..., Api]
) -> None:
    api = make_api(log_requests=True)
    answer = api.get("/Users/%1b[2J%0d%0aforged%20line")
    assert answer.status_code == 404
    api.flush_request_log()
    stored = RequestLog(database).recent(server_id=api.server.id)[-1]
    assert stored.path == f"{api.root}/Users/%1B%5B2J%0D%0Aforged%20line"
