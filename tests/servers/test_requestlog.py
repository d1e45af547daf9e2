"""RequestLog: requests recorded redacted and bounded, read back, filtered and purged."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from glpi_scim.db import tables
from glpi_scim.db.clock import utcnow
from glpi_scim.db.database import Database, engine_for_url
from glpi_scim.identity.errors import LogEntryNotFound
from glpi_scim.servers.redaction import REDACTED
from glpi_scim.servers.requestlog import (
    MAX_BODY_CHARS,
    RequestLog,
    RequestLogEntry,
    parse_status_filter,
)

NOW = datetime(2025, 3, 1, 12, 0, 0, tzinfo=timezone.utc)


def entry(**overrides: object) -> RequestLogEntry:
    values: dict[str, object] = {
        "server_id": 1,
        "request_id": "req-1",
        "time": NOW,
        "client_ip": "192.0.2.10",
        "method": "post",
        "path": "/scim/v2/1/Users",
        "query": None,
        "status": 201,
        "duration_ms": 12,
        "request_headers": {
            "Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln",
            "Content-Type": "application/scim+json",
        },
        "request_body": b'{"userName": "ann", "password": "Hunter2-Hunter2"}',
        "response_body": '{"id": "7", "userName": "ann"}',
        "note": "password ignored: password sync is off",
    }
    values.update(overrides)
    return RequestLogEntry(**values)  # type: ignore[arg-type]


def test_recorded_request_reads_back_redacted(database: Database) -> None:
    log = RequestLog(database)
    log.record(entry())
    [stored] = log.recent()
    assert stored == log.get(stored.id)
    assert (stored.server_id, stored.method, stored.path, stored.status) == (
        1,
        "POST",
        "/scim/v2/1/Users",
        201,
    )
    assert stored.time == NOW and stored.client_ip == "192.0.2.10"
    assert stored.request_headers == {
        "authorization": f"Bearer {REDACTED}",
        "content-type": "application/scim+json",
    }
    assert json.loads(stored.request_body or "") == {"userName": "ann", "password": REDACTED}
    assert stored.response_body == '{"id": "7", "userName": "ann"}'
    assert stored.note == "password ignored: password sync is off"
    assert not stored.truncated
    with database.begin() as connection:
        raw = connection.execute(select(tables.request_logs)).mappings().one()
    everything = json.dumps({key: str(value) for key, value in raw.items()})
    assert "Hunter2" not in everything and "eyJ" not in everything


def test_long_bodies_are_cut_and_marked(database: Database) -> None:
    log = RequestLog(database)
    big = json.dumps({"userName": "x" * (MAX_BODY_CHARS * 2)})
    log.record(entry(request_body=big, response_body=None))
    [stored] = log.recent()
    assert stored.truncated
    assert stored.request_body is not None
    assert stored.request_body.startswith('{"userName": "xxx')
    assert stored.request_body.endswith(f"[truncated: {len(big)} characters in all]")
    assert len(stored.request_body) < MAX_BODY_CHARS + 100
    assert stored.response_body is None


def test_oversized_fields_never_make_the_insert_fail(database: Database) -> None:
    log = RequestLog(database)
    log.record(
        entry(
            request_id="r" * 500,
            client_ip="c" * 500,
            method="PROPFINDXXXXX",
            path="/" + "p" * 100_000,
            query="q=" + "é" * 100_000,
            request_headers={f"x-h{i}": "v" * 5000 for i in range(100)},
            note="n" * 100_000,
        )
    )
    [stored] = log.recent()
    assert stored.path.startswith("/ppp")
    assert "…" in stored.request_headers


def test_record_never_raises(caplog: pytest.LogCaptureFixture, tmp_path: object) -> None:
    url = f"sqlite:///{tmp_path}/empty.sqlite"
    broken = Database(engine_for_url(url), url, url)  # no tables at all
    with caplog.at_level(logging.WARNING, logger="glpi_scim.servers.requestlog"):
        RequestLog(broken).record(entry())
    assert "req-1" in caplog.text and "not recorded" in caplog.text
    assert "Hunter2" not in caplog.text


def test_recent_filters_and_follow(database: Database) -> None:
    log = RequestLog(database)
    for index, (server_id, status) in enumerate([(1, 200), (2, 404), (1, 409), (1, 500), (2, 201)]):
        log.record(entry(server_id=server_id, status=status, request_id=f"r{index}"))
    everything = log.recent()
    assert [e.request_id for e in everything] == ["r0", "r1", "r2", "r3", "r4"]
    assert [e.request_id for e in log.recent(limit=2)] == ["r3", "r4"]
    assert [e.status for e in log.recent(server_id=1)] == [200, 409, 500]
    assert [e.status for e in log.recent(statuses=parse_status_filter("4xx"))] == [404, 409]
    assert [e.status for e in log.recent(statuses=parse_status_filter("404,5xx"))] == [404, 500]
    after = everything[2].id
    assert [e.request_id for e in log.recent(after_id=after)] == ["r3", "r4"]
    assert log.last_id() == everything[-1].id


def test_get_unknown_entry(database: Database) -> None:
    with pytest.raises(LogEntryNotFound, match="no request log entry with id 99"):
        RequestLog(database).get(99)


def test_purge_by_age_and_server(database: Database) -> None:
    log = RequestLog(database)
    now = utcnow()
    log.record(entry(server_id=1, time=now - timedelta(days=40)))
    log.record(entry(server_id=2, time=now - timedelta(days=40)))
    log.record(entry(server_id=1, time=now - timedelta(days=1)))
    assert log.purge(older_than=now - timedelta(days=30), server_id=1) == 1
    assert [(e.server_id, e.time) for e in log.recent()] == [
        (2, now - timedelta(days=40)),
        (1, now - timedelta(days=1)),
    ]
    assert log.purge() == 2
    assert log.recent() == []


@pytest.mark.parametrize(
    ("text", "ranges"),
    [("404", ((404, 404),)), ("4xx", ((400, 499),)), ("2XX, 500", ((200, 299), (500, 500)))],
)
def test_status_filter(text: str, ranges: tuple[tuple[int, int], ...]) -> None:
    assert parse_status_filter(text) == ranges


@pytest.mark.parametrize("text", ["", "4", "40x", "600", "abc", "4xx,,5xx"])
def test_bad_status_filter(text: str) -> None:
    with pytest.raises(ValueError, match="expected a status"):
        parse_status_filter(text)
