"""schemathesis drives a live server from its own /openapi.json: valid and invalid requests
for every operation, and no 5xx, no response outside the described statuses, media types
and schemas; the database is consistent afterwards (checked by the `serve` fixture).

The run is bounded (FUZZ_EXAMPLES per operation and generation mode); the number of cases
is printed. GLPI_SCIM_FUZZ_EXAMPLES raises it for a longer run (docs/reliability.md)."""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from openapi_spec_validator import validate as validate_openapi
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import FailureGroup

from glpi_scim.config import Settings
from glpi_scim.db.database import Database
from glpi_scim.server.openapi import build_openapi, openapi_json

from .conftest import Served
from .support import group, user

FUZZ_EXAMPLES = int(os.environ.get("GLPI_SCIM_FUZZ_EXAMPLES", "20"))
DOCS_COPY = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def test_the_served_description_is_valid_openapi_and_matches_the_docs_copy(
    sqlite_database: Database, serve: Callable[..., Served]
) -> None:
    served = serve(sqlite_database)
    response = requests.get(f"{served.live.base_url}/openapi.json", timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    document = response.json()
    validate_openapi(document)
    assert document == build_openapi(served.live.app.context.settings)
    # The copy in docs/ is the default settings' document: regenerate it with
    # `python -m glpi_scim.server.openapi > docs/openapi.json`.
    assert DOCS_COPY.read_bytes() == openapi_json(Settings())


def test_the_description_follows_the_settings() -> None:
    document = build_openapi(
        Settings(url_prefix="/idp", max_results=7, max_patch_operations=9, max_bulk_operations=3)
    )
    assert document["servers"][0]["url"] == "/idp/v2/{server}"
    schemas = document["components"]["schemas"]
    assert schemas["PatchOp"]["properties"]["Operations"]["maxItems"] == 9
    assert schemas["BulkRequest"]["properties"]["Operations"]["maxItems"] == 3
    user_input = schemas["UserInput"]["properties"]
    assert user_input["userName"]["maxLength"] == 255
    assert "id" not in user_input and "meta" not in user_input
    assert schemas["UserInput"]["required"] == ["schemas", "userName"]
    assert "password" not in schemas["User"]["properties"]


@pytest.fixture
def fuzzed(sqlite_database: Database, serve: Callable[..., Served]) -> Served:
    # Small limits: generated documents stay small (fast), and some cross the limits.
    served = serve(
        sqlite_database,
        max_body_bytes=65536,
        max_results=20,
        max_patch_operations=20,
        max_bulk_operations=20,
    )
    client = served.client
    ids = [client.post("/Users", user(f"seed{i}")).json()["id"] for i in range(3)]
    client.post("/Groups", group("Seed group", members=[{"value": i} for i in ids]))
    return served


def _scim_operations(document: dict[str, Any]) -> list[Any]:
    schema = schemathesis.openapi.from_dict(document)
    operations = [result.ok() for result in schema.get_all_operations()]
    # /healthz and /openapi.json are outside the SCIM root (their own servers entry); /Me
    # answers 501 by design, which a server-error check cannot tell from a crash.
    return [op for op in operations if op.path not in ("/healthz", "/openapi.json", "/Me")]


def test_schemathesis_finds_no_server_error_and_no_undocumented_answer(
    fuzzed: Served, record_property: Callable[[str, object], None]
) -> None:
    document = requests.get(f"{fuzzed.live.base_url}/openapi.json", timeout=30).json()
    session = fuzzed.new_client().session
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    operations = _scim_operations(document)
    assert len(operations) == 21

    def call(case: schemathesis.Case) -> None:
        response = case.call(base_url=fuzzed.client.root, session=session, timeout=60)
        statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=CHECKS)
        except FailureGroup as found:  # collected: one report for every operation
            failures.extend(
                f"{case.operation.label}: {failure}\n{response.status_code} {response.text[:300]}"
                f"\n{case.as_curl_command()[:600]}"
                for failure in found.exceptions
            )
            return
        if response.status_code >= 400:
            _assert_scim_error(response)

    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                fuzz(operation.as_strategy(generation_mode=mode), call)
            except Unsatisfiable:
                # Nothing to make invalid (no parameters, no body): the positive run covers it.
                assert mode is GenerationMode.NEGATIVE, operation.label

    total = sum(statuses.values())
    record_property("fuzz_cases", total)
    record_property("fuzz_statuses", dict(statuses))
    assert not failures, "\n\n".join(failures[:5])
    assert not [s for s in statuses if s >= 500], statuses
    assert total >= len(operations) * 2


def fuzz(strategy: Any, call: Callable[[schemathesis.Case], None]) -> None:
    """`call` on FUZZ_EXAMPLES cases drawn from `strategy`."""

    @settings(
        max_examples=FUZZ_EXAMPLES,
        deadline=None,
        database=None,
        derandomize="GLPI_SCIM_FUZZ_EXAMPLES" not in os.environ,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: schemathesis.Case) -> None:
        call(case)

    run()


def _assert_scim_error(response: Any) -> None:
    """`response` is schemathesis' Response: lower-case header names, lists of values."""
    content_type = response.headers.get("content-type", [""])[0]
    if content_type.startswith("text/plain"):
        # Refused by waitress before the application (body far over the limit).
        assert response.status_code == 413, response.content
        return
    assert content_type.startswith("application/scim+json"), content_type
    body = json.loads(response.content)
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"], body
    assert body["status"] == str(response.status_code), body
    assert "Traceback" not in body.get("detail", ""), body
