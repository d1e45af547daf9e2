"""Every error as a SCIM Error document (RFC 7644 section 3.12) in `application/scim+json`.

Three handlers cover everything falcon can raise: ScimError from the core and the middleware,
falcon's own HTTPError (no route, method not allowed, bad query string), and any other
exception, which is logged with the request id and answered 500 without details.
"""

from __future__ import annotations

import logging
from typing import Any

import falcon
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from glpi_scim.db.statement_limit import is_statement_timeout
from glpi_scim.db.transaction import statement_timed_out
from glpi_scim.metrics import DATABASE_ERRORS, NO_SERVER
from glpi_scim.scim.errors import ERROR_SCHEMA, NotModified, ScimError
from glpi_scim.server.media import RESPONSE_CONTENT_TYPE, dump_json

log = logging.getLogger("glpi_scim.server")

DATABASE_RETRY_AFTER = 5


def error_document(status: int, detail: str, scim_type: str | None = None) -> dict[str, Any]:
    document: dict[str, Any] = {"schemas": [ERROR_SCHEMA], "status": str(status)}
    if scim_type:
        document["scimType"] = scim_type
    document["detail"] = detail
    return document


def send_error(
    resp: falcon.Response,
    status: int,
    detail: str,
    scim_type: str | None = None,
    headers: dict[str, str] | None = None,
) -> None:
    resp.status = status
    resp.content_type = RESPONSE_CONTENT_TYPE
    resp.data = dump_json(error_document(status, detail, scim_type))
    for name, value in (headers or {}).items():
        resp.set_header(name, value)


def handle_scim_error(
    req: falcon.Request, resp: falcon.Response, ex: ScimError, params: dict[str, Any]
) -> None:
    if isinstance(ex, NotModified):
        resp.status = 304
        resp.data = b""
        for name, value in ex.headers.items():
            resp.set_header(name, value)
        return
    send_error(resp, ex.status, ex.detail, ex.scim_type, ex.headers)


def handle_http_error(
    req: falcon.Request, resp: falcon.Response, ex: falcon.HTTPError, params: dict[str, Any]
) -> None:
    status = ex.status_code
    headers = dict(ex.headers or {})
    if isinstance(ex, falcon.HTTPMethodNotAllowed):
        allowed = headers.get("Allow", "")
        detail = f"{req.method} is not allowed on {req.path}; allowed: {allowed or 'none'}"
    elif status == 404:
        detail = f"no SCIM endpoint at {req.path}"
    else:
        detail = ex.description or ex.title or falcon.code_to_http_status(status)
    scim_type = "invalidValue" if status == 400 else None
    send_error(resp, status, detail, scim_type, headers)


def database_unavailable_handler(statement_timeout: int) -> Any:
    """The handler of database failures; a statement stopped at `statement_timeout` says so."""

    def handle(
        req: falcon.Request, resp: falcon.Response, ex: Exception, params: dict[str, Any]
    ) -> None:
        if is_statement_timeout(ex):
            refusal = statement_timed_out(statement_timeout, DATABASE_RETRY_AFTER)
            handle_scim_error(req, resp, refusal, params)
            return
        handle_database_unavailable(req, resp, ex, params)

    return handle


def handle_database_unavailable(
    req: falcon.Request, resp: falcon.Response, ex: Exception, params: dict[str, Any]
) -> None:
    # Log the driver's own message (not SQLAlchemy's, which quotes the bound parameters);
    # the client only learns that it should retry.
    cause = getattr(ex, "orig", None) or ex
    server = getattr(req.context, "server", None)
    DATABASE_ERRORS.labels(server=str(server.id) if server is not None else NO_SERVER).inc()
    log.error(
        "database unavailable (request %s): %s: %s", _request_id(req), type(cause).__name__, cause
    )
    send_error(
        resp,
        503,
        "the database is unavailable; retry later",
        headers={"Retry-After": str(DATABASE_RETRY_AFTER)},
    )


def handle_unexpected(
    req: falcon.Request, resp: falcon.Response, ex: Exception, params: dict[str, Any]
) -> None:
    request_id = _request_id(req)
    log.error(
        "unexpected error (request %s) on %s %r", request_id, req.method, req.path, exc_info=ex
    )
    send_error(
        resp,
        500,
        f"internal server error; the server log has the details under request id {request_id}",
    )


def install_error_handlers(
    app: falcon.App[falcon.Request, falcon.Response], *, statement_timeout: int = 0
) -> None:
    # falcon picks the most specific handler for an exception, whatever the order here.
    app.add_error_handler(Exception, handle_unexpected)
    app.add_error_handler(OperationalError, database_unavailable_handler(statement_timeout))
    app.add_error_handler(PoolTimeout, handle_database_unavailable)
    # A connection that broke under the driver (pymysql's "(0, '')") is not a bug either.
    app.add_error_handler(InterfaceError, handle_database_unavailable)
    app.add_error_handler(DisconnectionError, handle_database_unavailable)
    app.add_error_handler(falcon.HTTPError, handle_http_error)
    app.add_error_handler(ScimError, handle_scim_error)


def _request_id(req: falcon.Request) -> str:
    return str(getattr(req.context, "request_id", "-"))
