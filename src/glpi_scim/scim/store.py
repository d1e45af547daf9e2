"""The contract between the SCIM service and a storage backend.

A store speaks in SCIM resources (JSON-ready dicts with canonical attribute names) and owns its
transactions: every method is atomic. The GLPI store (glpi_scim.glpi) implements it on GLPI's
tables; tests use the in-memory store (memory.py) as a reference implementation.

Resources a store returns carry `id`, `schemas` and `meta` with `resourceType`, `created`,
`lastModified` and `version` (a weak ETag, `W/"..."`); the service adds `meta.location` and
`$ref` values, which depend on the URL the client used.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from glpi_scim.scim.ast import AttrPath, Filter

Resource = dict[str, Any]
Mutation = Callable[[Resource], Resource]

USER = "User"
GROUP = "Group"


@dataclass(frozen=True)
class ListQuery:
    """A list or search request, already validated (see query.py)."""

    filter: Filter | None = None
    sort_by: AttrPath | None = None
    descending: bool = False
    start_index: int = 1
    count: int = 100
    attributes: tuple[AttrPath, ...] = ()
    excluded_attributes: tuple[AttrPath, ...] = ()
    # Lower-cased top-level attribute names the caller will not return (for example "members"
    # with excludedAttributes=members): the store need not read them.
    skip: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Page:
    total: int
    resources: list[Resource] = field(default_factory=list)


# An attribute as a Preview names it: its extension's URN lower-cased (None: the core
# schema's), its name lower-cased.
PreviewKey = tuple[str | None, str]


@dataclass(frozen=True)
class Preview:
    """The texts a PUT or PATCH gives singular top-level attributes, known from the request
    before the current resource is read (preview.py): a store may read ahead what they name
    (GLPI's dropdown rows of a title) in the statement that reads the resource. Only a hint:
    the mutation's result decides what is written."""

    texts: dict[PreviewKey, tuple[str, ...]] = field(default_factory=dict)

    def of(self, key: PreviewKey) -> tuple[str, ...]:
        return self.texts.get(key, ())


@dataclass(frozen=True)
class MemberChange:
    """A membership edit that a store applies without loading the whole member list.

    Apply `replace` (or `remove_all`) first, then `remove`, then `add`. As built by
    patch.member_change: `add` and `remove` are disjoint, `replace` comes alone, and members
    are `{"value": id}` dicts (possibly with `type` and `$ref`); ids are compared exactly.
    Adding a member already there, or removing one that is not, is no change. An id that is
    neither a User nor a Group is a 400 invalidValue.
    """

    add: Sequence[Resource] = ()
    remove: Sequence[str] = ()
    # When set, the member list becomes exactly this (a PUT-like replace of `members`).
    replace: Sequence[Resource] | None = None
    remove_all: bool = False


@dataclass(frozen=True)
class MemberReply:
    """What a member edit answers with: the group as the edit left it, without the
    attributes in `skip`, unless it has more than `limit` members (None: whatever its size;
    0: never). A store may count members hidden from this client: the limit only tells a
    large group, and counting stops past it, so that the answer costs the same for a group of
    50,000."""

    skip: frozenset[str] = frozenset()
    limit: int | None = None

    def wants(self, members: int) -> bool:
        """Whether a group of `members` members is sent back."""
        return self.limit is None or (self.limit > 0 and members <= self.limit)


class ResourceStore(Protocol):
    def get(self, resource_type: str, resource_id: str, *, skip: frozenset[str] = ...) -> Resource:
        """The resource, or NotFound."""
        ...

    def list(self, resource_type: str, query: ListQuery) -> Page:
        """One page of the resources matching the query filter, sorted and paged."""
        ...

    def create(self, resource_type: str, resource: Resource) -> Resource:
        """Store a validated new resource; Uniqueness on a clash."""
        ...

    def update(
        self,
        resource_type: str,
        resource_id: str,
        mutate: Mutation,
        *,
        if_match: str | None = None,
        preview: Preview | None = None,
    ) -> Resource:
        """Read the current resource, apply `mutate` and write the difference, atomically.
        `preview`: what the request's values are likely to name (a hint, never a value).

        `if_match` is compared with the current version inside the same transaction
        (PreconditionFailed when it differs), so that of concurrent conditional updates exactly
        one wins.
        """
        ...

    def change_members(
        self,
        group_id: str,
        change: MemberChange,
        *,
        if_match: str | None = None,
        reply: MemberReply | None = None,
    ) -> Resource | None:
        """Edit a group's members in place (PATCH on `members` of a large group); the group
        as it now is when `reply` asks for it, else None."""
        ...

    def delete(self, resource_type: str, resource_id: str, *, if_match: str | None = None) -> None:
        """Delete per the store's policy; NotFound when absent."""
        ...
