"""falcon's side of the request pipeline in front of every SCIM resource, in this order:

1. `RequestTracking`: request id, client address, timing; at the end one log line and, for
   servers that keep it, a request-log row (handed to a background writer).
2. `Admission`: the framework-free pipeline (glpi_scim.pipeline, shared with the OAuth2
   routes): `/scim/v2/{server}/...` by id, `/scim/v2/...` the default server, unknown 404;
   then inactive 403, Content-Length above `max_body_bytes` 413 (reading the body enforces
   the same limit when there is no Content-Length), the server's allowed networks 403, before
   any credential is looked at. The server is known before its refusals, so that they are in
   its request log.
3. `InFlightLimit`: 429 when the server already has `max_requests_in_flight` requests in
   progress in this process (see inflight.py).
4. `Authentication`: the server's method, through the Authenticator (which throttles).

Steps 2-4 apply to resources that declare `scim_endpoint = True`; resources that run the
pipeline themselves (`runs_pipeline = True`, the OAuth2 routes) are left to it, and any other
only gets the body limit.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import time
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

import falcon

from glpi_scim.identity.models import IdentityServer
from glpi_scim.metrics import LATENCY, NO_SERVER, REQUESTS
from glpi_scim.pipeline import SCIM, Incoming
from glpi_scim.security.authenticator import AuthRequest
from glpi_scim.security.networks import client_address
from glpi_scim.server.context import AppContext
from glpi_scim.server.inflight import InFlightLimit
from glpi_scim.server.logconfig import current_request_id
from glpi_scim.server.metrics import METRICS_PATH, resource_type
from glpi_scim.server.urls import from_trusted_proxy
from glpi_scim.servers.requestlog import RequestLogEntry
from glpi_scim.servers.stats import ERROR_STATUS

access_log = logging.getLogger("glpi_scim.server.access")

_PATH_SAFE = "/:@!$&'()*+,;=-._~"
# What a proxy's X-Request-Id may look like (it goes into logs and the request log's column).
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def new_request_id() -> str:
    return secrets.token_hex(8)


def is_scim_endpoint(resource: object) -> bool:
    return bool(getattr(resource, "scim_endpoint", False))


class RequestTracking:
    def __init__(self, context: AppContext) -> None:
        self.context = context

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        ctx = req.context
        ctx.request_id = self._forwarded_request_id(req) or new_request_id()
        ctx.request_id_token = current_request_id.set(ctx.request_id)
        ctx.started = time.perf_counter()
        ctx.received_at = datetime.now(timezone.utc)
        ctx.server = None
        ctx.principal = None
        ctx.raw_body = None
        ctx.notes = []
        ctx.client_ip = client_address(
            req.remote_addr or "",
            req.get_header("X-Forwarded-For"),
            self.context.settings.trusted_proxies,
        )
        resp.set_header("X-Request-Id", ctx.request_id)

    def _forwarded_request_id(self, req: falcon.Request) -> str | None:
        """The id a trusted proxy already gave this request, so that its logs and ours agree."""
        given = req.get_header("X-Request-Id")
        if not given or not _REQUEST_ID.match(given):
            return None
        if not from_trusted_proxy(req.remote_addr, self.context.settings.trusted_proxies):
            return None
        return given

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: object, req_succeeded: bool
    ) -> None:
        ctx = req.context
        started = getattr(ctx, "started", None)
        seconds = time.perf_counter() - started if started else 0.0
        duration_ms = int(seconds * 1000)
        server: IdentityServer | None = getattr(ctx, "server", None)
        status = resp.status_code
        request_id = getattr(ctx, "request_id", "-")
        access_log.info(
            "request_id=%s server=%s method=%s path=%s status=%d duration_ms=%d client=%s",
            request_id,
            server.id if server else "-",
            req.method,
            _loggable_path(req.path),
            status,
            duration_ms,
            getattr(ctx, "client_ip", "-"),
            extra={
                "request_id": request_id,
                "server_id": server.id if server else None,
                "http_method": req.method,
                "http_path": _loggable_path(req.path),
                "http_status": status,
                "duration_ms": duration_ms,
            },
        )
        try:
            self._count(req, resp, server, status, seconds)
        except Exception:  # counting must never turn an answer into an error
            access_log.exception("request %s: not counted", request_id)
        if server is not None and server.log_requests:
            try:
                entry = self._log_entry(req, resp, server, status, duration_ms)
            except Exception:  # the request log must never turn an answer into an error
                access_log.exception("request %s: request log entry not built", request_id)
            else:
                if entry is not None:
                    self.context.log_writer.submit(entry)
        if self.context.retention is not None:
            self.context.retention.maybe_start()
        token = getattr(ctx, "request_id_token", None)
        if token is not None:
            current_request_id.reset(token)

    def _log_entry(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        server: IdentityServer,
        status: int,
        duration_ms: int,
    ) -> RequestLogEntry | None:
        if getattr(req.context, "principal", None) is not None:
            return _log_entry(req, resp, server, status, duration_ms)
        # Refused before authentication (network, inactive, throttled, credentials): anyone can
        # send these, so only a rate-limited summary is stored.
        not_stored = self.context.refusals.admit(server.id, req.context.client_ip)
        if not_stored is None:
            return None
        return _refusal_summary(req, resp, server, status, duration_ms, not_stored)

    def _count(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        server: IdentityServer | None,
        status: int,
        seconds: float,
    ) -> None:
        """Prometheus series and the per-server counts: memory only, no database round trip."""
        if req.path == METRICS_PATH:
            return  # scrapes are not SCIM traffic
        label = str(server.id) if server is not None else NO_SERVER
        kind = resource_type(req.uri_template)
        REQUESTS.labels(label, req.method, kind, str(status)).inc()
        LATENCY.labels(label, req.method, kind).observe(seconds)
        if server is not None:
            body = resp.data if isinstance(resp.data, bytes) else None
            detail = error_detail(body, limit=1000) if status >= ERROR_STATUS else None
            self.context.stats.record(server.id, status, detail, req.context.received_at)


def _loggable_path(path: str) -> str:
    # Percent-encoded again: a decoded path could carry spaces or line breaks into the log.
    return quote(path, safe=_PATH_SAFE)


def _log_entry(
    req: falcon.Request,
    resp: falcon.Response,
    server: IdentityServer,
    status: int,
    duration_ms: int,
) -> RequestLogEntry:
    ctx = req.context
    notes: list[str] = getattr(ctx, "notes", [])
    response_body = resp.data if isinstance(resp.data, bytes) else b""
    return RequestLogEntry(
        server_id=server.id,
        request_id=ctx.request_id,
        time=ctx.received_at,
        client_ip=ctx.client_ip,
        method=req.method,
        path=req.path,
        query=req.query_string or None,
        status=status,
        duration_ms=duration_ms,
        request_headers=req.headers_lower,
        request_body=_text(getattr(ctx, "raw_body", None)),
        response_body=_text(response_body),
        note="; ".join(notes) or None,
    )


# A refusal's summary keeps this much of the path and query.
SUMMARY_CHARS = 200


def _refusal_summary(
    req: falcon.Request,
    resp: falcon.Response,
    server: IdentityServer,
    status: int,
    duration_ms: int,
    not_stored: int,
) -> RequestLogEntry:
    ctx = req.context
    note = "refused before authentication"
    detail = error_detail(resp.data if isinstance(resp.data, bytes) else None)
    if detail:
        note += f": {detail}"
    if not_stored:
        note += f"; {not_stored} similar refusals from this address not stored before this one"
    return RequestLogEntry(
        server_id=server.id,
        request_id=ctx.request_id,
        time=ctx.received_at,
        client_ip=ctx.client_ip,
        method=req.method,
        path=req.path[:SUMMARY_CHARS],
        query=(req.query_string or "")[:SUMMARY_CHARS] or None,
        status=status,
        duration_ms=duration_ms,
        note=note,
    )


def error_detail(body: bytes | None, limit: int = SUMMARY_CHARS) -> str | None:
    """The `detail` of a SCIM Error document, cut short; None for anything else."""
    if not body or not body.startswith(b"{") or len(body) > 16 * 1024:
        return None
    try:
        document = json.loads(body)
    except ValueError:
        return None
    detail = document.get("detail") if isinstance(document, dict) else None
    return detail[:limit] if isinstance(detail, str) else None


def _text(body: bytes | None) -> str | None:
    if not body:
        return None
    return body.decode("utf-8", errors="replace")


class Admission:
    """The pipeline's server resolution and admission, for SCIM resources."""

    def __init__(self, context: AppContext) -> None:
        self.pipeline = context.pipeline

    def process_resource(
        self, req: falcon.Request, resp: falcon.Response, resource: object, params: dict[str, Any]
    ) -> None:
        if getattr(resource, "runs_pipeline", False):
            return
        if not is_scim_endpoint(resource):
            self.pipeline.check_length(req.content_length)
            return
        ref = params.pop("server", None)
        server = self.pipeline.find(ref, SCIM)
        req.context.server = server
        req.context.server_in_url = ref is not None
        incoming = Incoming(
            method=req.method,
            params={"server": ref} if ref is not None else {},
            headers=req.headers_lower,
            client_ip=req.context.client_ip,
            body=req.bounded_stream,
        )
        self.pipeline.admit(server, incoming, SCIM)


class Authentication:
    def __init__(self, context: AppContext) -> None:
        self.context = context

    def process_resource(
        self, req: falcon.Request, resp: falcon.Response, resource: object, params: dict[str, Any]
    ) -> None:
        server: IdentityServer | None = getattr(req.context, "server", None)
        if server is None:
            return
        request = AuthRequest(
            method=req.method,
            target=request_target(req),
            headers=req.headers_lower,
            client_ip=req.context.client_ip,
        )
        req.context.principal = self.context.authenticator.authenticate(server, request)


def request_target(req: falcon.Request) -> str:
    """The request-target exactly as the client sent it (Digest signs it)."""
    raw = req.env.get("REQUEST_URI") or req.env.get("RAW_URI")
    if raw:
        return str(raw)
    # WSGI carries the path as latin-1 decoded bytes.
    raw_path = (req.env.get("SCRIPT_NAME", "") + req.env.get("PATH_INFO", "")).encode("latin-1")
    path = quote(raw_path, safe=_PATH_SAFE)
    query = req.env.get("QUERY_STRING")
    return f"{path}?{query}" if query else path


def middleware(context: AppContext) -> list[Any]:
    return [
        RequestTracking(context),
        Admission(context),
        InFlightLimit(context.settings.max_requests_in_flight),
        Authentication(context),
    ]
