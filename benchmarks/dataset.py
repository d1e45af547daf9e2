"""The benchmark's data set: deterministic names shared by the seeder, the preloader and the load
phases, and the manifest that tells the load driver which ids the server gave them.

User `i` (0-based) is `user{i:06d}@bench.example` everywhere, so a filter phase can ask for any
seeded user without asking the server first. Users `0 .. big_group_size - 1` are members of the
big group; the member add/remove phase uses users above that range.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

GROUP_COUNT = 1000
BIG_GROUP_SIZE = 50_000
SMALL_GROUP_SIZE = 20  # members of each of the other groups
MAIL_DOMAIN = "bench.example"
# A second identity server on the same data whose member-only PATCHes answer 204.
NO_CONTENT_VARIANT = "members_no_content"
_NAMESPACE = uuid.UUID("5b3c1f0e-8a1d-4f65-9c7e-3f1f7a2b9d10")


def user_name(i: int) -> str:
    return f"user{i:06d}@{MAIL_DOMAIN}"


def work_email(i: int) -> str:
    # Differs from the userName, so that the e-mail filter cannot be answered from the login.
    return f"mail{i:06d}@{MAIL_DOMAIN}"


def external_id(i: int) -> str:
    """A GUID, as Entra ID sends for its objectId."""
    return str(uuid.uuid5(_NAMESPACE, f"user-{i}"))


def group_external_id(g: int) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"group-{g}"))


def group_name(g: int) -> str:
    return "All staff" if g == 0 else f"Team {g:04d}"


def given_name(i: int) -> str:
    return f"Given{i}"


def family_name(i: int) -> str:
    return f"Family{i}"


def display_name(i: int) -> str:
    return f"{given_name(i)} {family_name(i)}"


def employee_number(i: int) -> str:
    return f"E{i:07d}"


def work_phone(i: int) -> str:
    return f"+33 1 {i // 10000 % 100:02d} {i // 100 % 100:02d} {i % 100:02d} 00"


def mobile_phone(i: int) -> str:
    return f"+33 6 {i // 10000 % 100:02d} {i // 100 % 100:02d} {i % 100:02d} 11"


def small_group_members(g: int, users: int) -> list[int]:
    """Members of group g > 0: a slice of the users beyond the big group when there are any."""
    if users <= 0:
        return []
    return [(g * SMALL_GROUP_SIZE + k) % users for k in range(min(SMALL_GROUP_SIZE, users))]


def big_group_size(users: int) -> int:
    """Half the users at most, so that the member add/remove phase has non-members to add."""
    return min(BIG_GROUP_SIZE, users // 2)


@dataclass
class Manifest:
    """What a seeded server holds: the ids it knows the data set's users and groups by."""

    users: int
    user_ids: list[str]  # user_ids[i] is the id of user i
    big_group_id: str
    big_group_members: int
    groups: int
    # Where to reach it (filled by whoever seeded the server).
    base_url: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    notes: dict[str, Any] = field(default_factory=dict)
    # Other identity servers over the same data: name -> {"server_id", "headers"}.
    variants: dict[str, dict[str, Any]] = field(default_factory=dict)

    def variant_target(self, name: str) -> tuple[str, dict[str, str]] | None:
        """(base URL, headers) of a variant server, when this server has it."""
        variant = self.variants.get(name)
        if variant is None or not self.base_url:
            return None
        root = self.base_url.rstrip("/").rsplit("/", 1)[0]
        return f"{root}/{variant['server_id']}", dict(variant["headers"])

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self)), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Manifest:
        return cls(**json.loads(path.read_text(encoding="utf-8")))

    def non_member(self, k: int) -> int:
        """The k-th user outside the big group (the member add/remove phase adds these)."""
        spare = self.users - self.big_group_members
        return self.big_group_members + k % spare
