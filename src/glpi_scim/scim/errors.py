"""SCIM errors (RFC 7644 section 3.12): an HTTP status, an optional scimType and a detail."""

from __future__ import annotations

from typing import Any

from glpi_scim.errors import GlpiScimError

ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"


class ScimError(GlpiScimError):
    """Base of every error the protocol reports to a client."""

    status: int = 400
    scim_type: str | None = None

    def __init__(
        self,
        detail: str,
        *,
        status: int | None = None,
        scim_type: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if status is not None:
            self.status = status
        if scim_type is not None:
            self.scim_type = scim_type
        self.headers: dict[str, str] = dict(headers or {})

    def to_document(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "schemas": [ERROR_SCHEMA],
            "status": str(self.status),
            "detail": self.detail,
        }
        if self.scim_type:
            doc["scimType"] = self.scim_type
        return doc


class InvalidFilter(ScimError):
    scim_type = "invalidFilter"


class TooMany(ScimError):
    scim_type = "tooMany"


class Uniqueness(ScimError):
    status = 409
    scim_type = "uniqueness"


class Mutability(ScimError):
    scim_type = "mutability"


class InvalidSyntax(ScimError):
    scim_type = "invalidSyntax"


class InvalidPath(ScimError):
    scim_type = "invalidPath"


class NoTarget(ScimError):
    scim_type = "noTarget"


class InvalidValue(ScimError):
    scim_type = "invalidValue"


class InvalidVersion(ScimError):
    scim_type = "invalidVers"


class Sensitive(ScimError):
    scim_type = "sensitive"


class NotFound(ScimError):
    status = 404


class Conflict(ScimError):
    """409 without a scimType: a bulk operation depends on one that failed or on itself."""

    status = 409


class PreconditionFailed(ScimError):
    status = 412


class NotModified(ScimError):
    """Not an error for the client: If-None-Match matched (304, no body)."""

    status = 304


class PayloadTooLarge(ScimError):
    status = 413


class Unauthorized(ScimError):
    status = 401


class Forbidden(ScimError):
    status = 403


class NotImplementedByServer(ScimError):
    status = 501


class ServiceUnavailable(ScimError):
    """The store cannot serve now (database down, deadlock retries exhausted)."""

    status = 503

    def __init__(self, detail: str, *, retry_after: int = 5) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after)})
        self.retry_after = retry_after
