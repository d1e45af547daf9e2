"""The load phases: what each one sends, what it expects back, in which order they run.

Bodies follow what the identity providers send: Entra ID's PATCH (capitalised ops, value-filter
paths, "True" as a string) and member edits, Okta's full-replace PUT.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from benchmarks import dataset as ds
from benchmarks.dataset import Manifest

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
PAGE_SIZE = 100


class BadReply(Exception):
    """The server answered with the expected status but the wrong content."""


Check = Callable[[bytes], int]  # resources in the reply; BadReply when the content is wrong


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    body: bytes | None = None
    expect: tuple[int, ...] = (200,)
    check: Check | None = None


Step = list[Call]  # calls one worker sends in order (an add and the remove that undoes it)


@dataclass
class Phase:
    name: str
    title: str
    # Built when the phase starts: a phase may use what an earlier one created.
    make_steps: Callable[[int], list[Step]]
    # Ids of resources a phase created, for the phase that deletes them.
    created: list[str] = field(default_factory=list)
    # Another identity server to send to (base URL, headers); None: the manifest's.
    target: tuple[str, dict[str, str]] | None = None
    # Why the phase cannot run on this server (it lacks what the phase needs).
    not_applicable: str | None = None


def _json(data: Any) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode()


def _one_match(body: bytes) -> int:
    found = json.loads(body).get("totalResults")
    if found != 1:
        raise BadReply(f"expected exactly one match, got totalResults={found!r}")
    return 1


def _page(body: bytes) -> int:
    resources = json.loads(body).get("Resources") or []
    if not resources:
        raise BadReply("empty page inside the data set")
    return len(resources)


def _no_members(body: bytes) -> int:
    document = json.loads(body)
    if "members" in document:
        raise BadReply("excludedAttributes=members returned members")
    if not document.get("displayName"):
        raise BadReply("group without displayName")
    return 1


def _filter_call(expression: str) -> Call:
    return Call(
        "GET", "/Users?" + urlencode({"filter": expression}, quote_via=quote), check=_one_match
    )


def _create_body(tag: str, k: int) -> bytes:
    given, family = f"New{k}", f"Bench{tag}"
    return _json(
        {
            "schemas": [CORE_USER, ENTERPRISE],
            "externalId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{tag}-{k}")),
            "userName": f"new{k:06d}-{tag}@{ds.MAIL_DOMAIN}",
            "active": True,
            "displayName": f"{given} {family}",
            "emails": [
                {"primary": True, "type": "work", "value": f"new{k:06d}-{tag}@mail.example"}
            ],
            "meta": {"resourceType": "User"},
            "name": {"formatted": f"{given} {family}", "familyName": family, "givenName": given},
            "phoneNumbers": [
                {"type": "work", "value": ds.work_phone(k)},
                {"type": "mobile", "value": ds.mobile_phone(k)},
            ],
            "title": "Engineer",
            ENTERPRISE: {"employeeNumber": f"N{k:07d}", "department": "Benchmark"},
        }
    )


def _entra_patch_body(i: int, tag: str) -> bytes:
    return _json(
        {
            "schemas": [PATCH_OP],
            "Operations": [
                {"op": "Replace", "path": "displayName", "value": f"{ds.display_name(i)} {tag}"},
                {"op": "Replace", "path": "name.familyName", "value": ds.family_name(i)},
                {"op": "Replace", "path": "title", "value": "Engineer"},
                {
                    "op": "Replace",
                    "path": 'phoneNumbers[type eq "work"].value',
                    "value": ds.work_phone(i),
                },
                {
                    "op": "Add",
                    "path": f"{ENTERPRISE}:employeeNumber",
                    "value": ds.employee_number(i),
                },
                {"op": "Replace", "path": "active", "value": "True"},
            ],
        }
    )


def _okta_put_body(i: int, user_id: str, tag: str) -> bytes:
    return _json(
        {
            "schemas": [CORE_USER, ENTERPRISE],
            "id": user_id,
            "userName": ds.user_name(i),
            "name": {"givenName": ds.given_name(i), "familyName": ds.family_name(i)},
            "emails": [{"primary": True, "value": ds.work_email(i), "type": "work"}],
            "phoneNumbers": [
                {"primary": True, "value": ds.work_phone(i), "type": "work"},
                {"value": ds.mobile_phone(i), "type": "mobile"},
            ],
            "displayName": f"{ds.display_name(i)} {tag}",
            "locale": "en-US",
            "externalId": ds.external_id(i),
            "groups": [],
            "active": True,
            ENTERPRISE: {"employeeNumber": ds.employee_number(i)},
        }
    )


def _member_patch(op: str, user_id: str) -> bytes:
    if op == "add":  # Entra ID's form
        operation: dict[str, Any] = {"op": "Add", "path": "members", "value": [{"value": user_id}]}
    else:  # the RFC's value-filter form, as Okta and most clients send it
        operation = {"op": "remove", "path": f'members[value eq "{user_id}"]'}
    return _json({"schemas": [PATCH_OP], "Operations": [operation]})


def build_phases(manifest: Manifest, tag: str, seed: int = 8) -> list[Phase]:
    """Phases in run order; `tag` makes created names and written values unique per run."""
    rng = random.Random(seed)
    users = manifest.users
    ids = manifest.user_ids

    def some_users(n: int) -> list[int]:
        return (
            rng.sample(range(users), n) if n <= users else [rng.randrange(users) for _ in range(n)]
        )

    create = Phase("create", "create user (POST)", lambda n: [])
    create.make_steps = lambda n: [
        [Call("POST", "/Users", _create_body(tag, k), expect=(201,), check=_record(create))]
        for k in range(n)
    ]

    def delete_steps(n: int) -> list[Step]:
        return [[Call("DELETE", f"/Users/{i}", expect=(204,))] for i in create.created[:n]]

    def get_steps(n: int) -> list[Step]:
        return [[Call("GET", f"/Users/{ids[i]}")] for i in some_users(n)]

    def filter_steps(make: Callable[[int], str]) -> Callable[[int], list[Step]]:
        return lambda n: [[_filter_call(make(i))] for i in some_users(n)]

    def paging_steps(n: int) -> list[Step]:
        starts = range(1, users + 1, PAGE_SIZE)
        return [
            [Call("GET", f"/Users?startIndex={s}&count={PAGE_SIZE}", check=_page)]
            for s in list(starts)[:n]
        ]

    def patch_steps(n: int) -> list[Step]:
        return [
            [Call("PATCH", f"/Users/{ids[i]}", _entra_patch_body(i, tag), expect=(200, 204))]
            for i in some_users(n)
        ]

    group = f"/Groups/{manifest.big_group_id}"

    def member_steps_on(path: str) -> Callable[[int], list[Step]]:
        def member_steps(n: int) -> list[Step]:
            steps = []
            for k in range(max(1, n // 2)):
                user_id = ids[manifest.non_member(k)]
                steps.append(
                    [
                        Call("PATCH", path, _member_patch("add", user_id), expect=(200, 204)),
                        Call("PATCH", path, _member_patch("remove", user_id), expect=(200, 204)),
                    ]
                )
            return steps

        return member_steps

    member_steps = member_steps_on(group)
    # The variant server owns a copy of the big group (a server writes only its own groups).
    variant = manifest.variants.get(ds.NO_CONTENT_VARIANT, {})
    no_content = Phase(
        "member_add_remove_204",
        "same, server option members_patch_no_content=true",
        member_steps_on(f"/Groups/{variant.get('big_group_id') or manifest.big_group_id}"),
        target=manifest.variant_target(ds.NO_CONTENT_VARIANT),
    )
    if no_content.target is None:
        no_content.not_applicable = "no such option"

    def group_get_steps(n: int) -> list[Step]:
        return [[Call("GET", group + "?excludedAttributes=members", check=_no_members)]] * n

    def put_steps(n: int) -> list[Step]:
        return [
            [Call("PUT", f"/Users/{ids[i]}", _okta_put_body(i, ids[i], tag))] for i in some_users(n)
        ]

    return [
        create,
        Phase("get", "get user by id", get_steps),
        Phase(
            "filter_username",
            "filter userName eq",
            filter_steps(lambda i: f'userName eq "{ds.user_name(i)}"'),
        ),
        Phase(
            "filter_externalid",
            "filter externalId eq",
            filter_steps(lambda i: f'externalId eq "{ds.external_id(i)}"'),
        ),
        Phase(
            "filter_email",
            'filter emails[type eq "work"].value eq',
            filter_steps(lambda i: f'emails[type eq "work"].value eq "{ds.work_email(i)}"'),
        ),
        Phase("paging", f"page through users, count={PAGE_SIZE}", paging_steps),
        Phase("patch_user", "PATCH user (Entra ID)", patch_steps),
        Phase(
            "member_add_remove",
            f"PATCH members of the {manifest.big_group_members:,}-member group",
            member_steps,
        ),
        no_content,
        Phase("group_get", "GET that group, excludedAttributes=members", group_get_steps),
        Phase("put_user", "PUT user (Okta)", put_steps),
        Phase("delete", "DELETE user", delete_steps),
    ]


def _record(phase: Phase) -> Check:
    def check(body: bytes) -> int:
        created = json.loads(body).get("id")
        if not created:
            raise BadReply("201 without an id")
        phase.created.append(str(created))
        return 1

    return check


PHASE_NAMES = (
    "create",
    "get",
    "filter_username",
    "filter_externalid",
    "filter_email",
    "paging",
    "patch_user",
    "member_add_remove",
    "member_add_remove_204",
    "group_get",
    "put_user",
    "delete",
)
