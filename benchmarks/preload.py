"""Fill a SCIM server over HTTP with the benchmark's data set (for servers whose storage the
seeder cannot reach, such as scim2-server's memory): users by concurrent POSTs, then the groups.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

from benchmarks import dataset as ds
from benchmarks.client import Client
from benchmarks.dataset import Manifest
from benchmarks.phases import CORE_USER, ENTERPRISE, PATCH_OP

CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
MEMBERS_PER_REQUEST = 5000  # keeps a body under the usual 1 MiB limit


class PreloadFailed(RuntimeError):
    pass


def user_document(i: int) -> dict[str, Any]:
    """User i as an IdP would create it: the same data the seeder writes to GLPI's tables."""
    return {
        "schemas": [CORE_USER, ENTERPRISE],
        "userName": ds.user_name(i),
        "externalId": ds.external_id(i),
        "name": {"givenName": ds.given_name(i), "familyName": ds.family_name(i)},
        "displayName": ds.display_name(i),
        "emails": [{"value": ds.work_email(i), "type": "work", "primary": True}],
        "phoneNumbers": [
            {"value": ds.work_phone(i), "type": "work"},
            {"value": ds.mobile_phone(i), "type": "mobile"},
        ],
        "active": True,
        ENTERPRISE: {"employeeNumber": ds.employee_number(i)},
    }


def _created_id(client: Client, path: str, document: dict[str, Any]) -> str:
    reply = client.request("POST", path, json.dumps(document).encode())
    if reply.status != 201:
        raise PreloadFailed(f"POST {path} -> {reply.status}: {reply.body[:300]!r}")
    return str(json.loads(reply.body)["id"])


def preload(
    base_url: str,
    headers: dict[str, str],
    users: int,
    groups: int = ds.GROUP_COUNT,
    concurrency: int = 4,
    progress: Callable[[int], None] | None = None,
) -> Manifest:
    user_ids: list[str] = [""] * users
    errors: list[BaseException] = []
    next_index = iter(range(users))
    lock = threading.Lock()

    def worker() -> None:
        client = Client(base_url, headers)
        try:
            while not errors:
                with lock:
                    i = next(next_index, None)
                if i is None:
                    return
                user_ids[i] = _created_id(client, "/Users", user_document(i))
                if progress:
                    progress(1)
        except BaseException as exc:
            errors.append(exc)
        finally:
            client.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise PreloadFailed(str(errors[0]))

    client = Client(base_url, headers)
    try:
        big = ds.big_group_size(users)
        big_group_id = _make_group(client, 0, user_ids[:big])
        for g in range(1, groups):
            members = [user_ids[i] for i in ds.small_group_members(g, users)]
            _make_group(client, g, members)
    finally:
        client.close()
    return Manifest(
        users=users,
        user_ids=user_ids,
        big_group_id=big_group_id,
        big_group_members=big,
        groups=groups,
        base_url=base_url,
        headers=headers,
    )


def group_document(g: int, member_ids: list[str]) -> dict[str, Any]:
    return {
        "schemas": [CORE_GROUP],
        "displayName": ds.group_name(g),
        "externalId": ds.group_external_id(g),
        "members": [{"value": m} for m in member_ids],
    }


def _make_group(client: Client, g: int, member_ids: list[str]) -> str:
    first, rest = member_ids[:MEMBERS_PER_REQUEST], member_ids[MEMBERS_PER_REQUEST:]
    group_id = _created_id(client, "/Groups", group_document(g, first))
    for start in range(0, len(rest), MEMBERS_PER_REQUEST):
        chunk = rest[start : start + MEMBERS_PER_REQUEST]
        body = {
            "schemas": [PATCH_OP],
            "Operations": [
                {"op": "add", "path": "members", "value": [{"value": m} for m in chunk]}
            ],
        }
        reply = client.request("PATCH", f"/Groups/{group_id}", json.dumps(body).encode())
        if reply.status not in (200, 204):
            raise PreloadFailed(f"PATCH group members -> {reply.status}: {reply.body[:300]!r}")
    return group_id
