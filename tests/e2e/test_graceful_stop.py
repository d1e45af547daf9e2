"""SIGTERM while a request is in flight: the request is answered in full, then the process
exits 0."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import requests

from .process import start_serve

pytestmark = pytest.mark.slow

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
BULK_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
OPERATIONS = 1000


def test_sigterm_finishes_the_request_in_flight(tmp_path: Path) -> None:
    serve = start_serve(tmp_path, "--sqlite-path", str(tmp_path / "glpi.sqlite"), expect_token=True)
    bulk = {
        "schemas": [BULK_SCHEMA],
        "Operations": [
            {
                "method": "POST",
                "path": "/Users",
                "bulkId": f"u{i}",
                "data": {"schemas": [USER_SCHEMA], "userName": f"bulk.{i}"},
            }
            for i in range(OPERATIONS)
        ],
    }
    answers: list[requests.Response] = []

    def send() -> None:
        answers.append(
            requests.post(
                f"{serve.scim_url(1)}/Bulk",
                json=bulk,
                headers={"Authorization": f"Bearer {serve.token}"},
                timeout=120,
            )
        )

    sender = threading.Thread(target=send)
    sender.start()
    # Wait until the server is working on the bulk request (its users start to appear).
    deadline = time.monotonic() + 30
    seen = 0
    while time.monotonic() < deadline:
        probe = requests.get(
            f"{serve.scim_url(1)}/Users",
            params={"filter": 'userName sw "bulk."', "count": "0"},
            headers={"Authorization": f"Bearer {serve.token}"},
            timeout=30,
        )
        seen = probe.json()["totalResults"]
        if seen > 0:
            break
        time.sleep(0.01)
    code = serve.running.stop(timeout=60)
    assert 0 < seen < OPERATIONS, "the signal must arrive while the bulk request is running"
    sender.join(60)
    assert code == 0, serve.running.errors
    [answer] = answers
    assert answer.status_code == 200, answer.text
    statuses = [op["status"] for op in answer.json()["Operations"]]
    assert statuses == ["201"] * OPERATIONS
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{serve.base_url}/healthz", timeout=5)
