"""What ScimService answers and how it is configured, apart from the service itself.

`bulk.py` drives the service's writes and `service.py` runs bulk requests: both import these
types from here, so neither imports the other at load time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from glpi_scim.scim.query import QueryLimits

Params = Mapping[str, Any]


@dataclass(frozen=True)
class ServiceSettings:
    """What the server supports and its limits; also published in /ServiceProviderConfig."""

    max_results: int = 200
    default_count: int | None = None  # page size without `count`; None: max_results
    max_filter_length: int = 4096
    max_filter_depth: int = 32
    max_filter_clauses: int = 50
    max_patch_operations: int = 1000
    # Most values of a multi-valued attribute per resource ({"emails": 100}).
    value_limits: Mapping[str, int] = field(default_factory=dict)
    bulk: bool = True
    bulk_max_operations: int = 1000
    bulk_max_payload_size: int = 1_048_576
    change_password: bool = False
    # Answer 204 to a Group PATCH that only edits members and asks for no attributes...
    members_patch_no_content: bool = True
    # ...or, when that is off, to such a PATCH of a group left with more members than this
    # (None: never): a one-member edit then does not send 50,000 members back.
    members_reply_limit: int | None = None
    # Extension URNs whose data is dropped instead of refused (custom IdP extensions).
    tolerated_extensions: tuple[str, ...] = ()
    authentication_schemes: tuple[Mapping[str, Any], ...] = ()
    documentation_uri: str | None = None
    # Top-level attributes a PUT that omits them keeps: RFC 7644 §3.5.1 lets a service provider
    # take an omitted readWrite attribute as "not asserted". Unassigned `active` is not a
    # deactivation, nor a re-activation of an account disabled on the provider's side.
    kept_on_replace: tuple[str, ...] = ("active",)

    @property
    def query_limits(self) -> QueryLimits:
        return QueryLimits(
            max_results=self.max_results,
            default_count=self.default_count,
            max_filter_length=self.max_filter_length,
            max_filter_depth=self.max_filter_depth,
            max_filter_clauses=self.max_filter_clauses,
        )


@dataclass(frozen=True)
class ScimResponse:
    """What the HTTP layer sends: status, body (None for 204) and headers."""

    status: int
    body: dict[str, Any] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


class ResourceWrites(Protocol):
    """The writes a bulk request runs, one operation at a time (ScimService has them)."""

    @property
    def settings(self) -> ServiceSettings: ...

    def create(
        self,
        resource_type_: str,
        body: Any,
        params: Params | None = None,
        *,
        base_url: str | None = None,
    ) -> ScimResponse: ...

    def replace(
        self,
        resource_type_: str,
        resource_id: str,
        body: Any,
        params: Params | None = None,
        *,
        base_url: str | None = None,
        if_match: str | None = None,
    ) -> ScimResponse: ...

    def patch(
        self,
        resource_type_: str,
        resource_id: str,
        body: Any,
        params: Params | None = None,
        *,
        base_url: str | None = None,
        if_match: str | None = None,
    ) -> ScimResponse: ...

    def delete(
        self, resource_type_: str, resource_id: str, *, if_match: str | None = None
    ) -> ScimResponse: ...
