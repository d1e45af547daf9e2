"""A server's Historical tab (the request log), what it owns, and the doctor."""

from __future__ import annotations

import json
from typing import Any

from glpi_scim.console.views import owned_groups, owned_users
from glpi_scim.doctor.auth import BasicAuth, ClientCredentialsAuth, DigestAuth
from glpi_scim.doctor.client import Auth, NoAuth, ScimClient, Transport
from glpi_scim.doctor.run import run_doctor
from glpi_scim.identity.errors import LogEntryNotFound
from glpi_scim.identity.models import IdentityServer
from glpi_scim.server.console.base import ConsoleResource, PageContext
from glpi_scim.servers.requestlog import RequestLog, StoredRequest, parse_status_filter

PAGE_SIZE = 50
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


class HistoryPage(ConsoleResource):
    def show(self, page: PageContext, server_id: int = 0, **params: Any) -> None:
        server = self.server(page, server_id)
        req = page.req
        status_text = (req.get_param("status") or "").strip()
        method = (req.get_param("method") or "").strip().upper()
        text = (req.get_param("q") or "").strip()
        before = req.get_param_as_int("before", min_value=1)
        error = ""
        statuses: Any = ()
        if status_text:
            try:
                statuses = parse_status_filter(status_text)
            except ValueError as exc:
                error = f"status: {exc}"
        if method and method not in METHODS:
            error, method = f"method: choose one of {', '.join(METHODS)}", ""
        entries: list[StoredRequest] = []
        if not error:
            entries = RequestLog(self.console.database).recent(
                server_id=server.id,
                statuses=statuses,
                method=method or None,
                path=text or None,
                before_id=before,
                limit=PAGE_SIZE + 1,
            )[::-1]
        older = entries[PAGE_SIZE - 1].id if len(entries) > PAGE_SIZE else None
        self.console.render(
            page.resp,
            "history.html",
            status=400 if error else 200,
            page=page,
            server=server,
            entries=entries[:PAGE_SIZE],
            filters={"status": status_text, "method": method, "q": text},
            methods=METHODS,
            older=older,
            newest=before is not None,
            error=error,
        )


def _pretty(body: str | None) -> str:
    if not body:
        return ""
    try:
        return json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    except ValueError:
        return body


class HistoryEntryPage(ConsoleResource):
    def show(self, page: PageContext, server_id: int = 0, entry_id: int = 0, **params: Any) -> None:
        server = self.server(page, server_id)
        try:
            entry = RequestLog(self.console.database).get(entry_id)
        except LogEntryNotFound:
            entry = None
        if entry is None or entry.server_id != server.id:
            self.console.message(
                page.resp,
                404,
                "Not found",
                f"{server.name} has no request log entry {entry_id}.",
                page,
            )
            return
        self.console.render(
            page.resp,
            "history_entry.html",
            page=page,
            server=server,
            entry=entry,
            request_body=_pretty(entry.request_body),
            response_body=_pretty(entry.response_body),
        )


class OwnedPage(ConsoleResource):
    def show(self, page: PageContext, server_id: int = 0, **params: Any) -> None:
        server = self.server(page, server_id)
        self.console.render(
            page.resp,
            "owned.html",
            page=page,
            server=server,
            users=owned_users(self.console.database, server),
            groups=owned_groups(self.console.database, server),
        )


class DoctorPage(ConsoleResource):
    """GET: the form (credentials for methods other than bearer); POST: a run and its report."""

    def show(self, page: PageContext, server_id: int = 0, **params: Any) -> None:
        server = self.server(page, server_id)
        self._render(page, server, report=None, error="")

    def _render(
        self, page: PageContext, server: IdentityServer, *, report: Any, error: str
    ) -> None:
        self.console.render(
            page.resp,
            "doctor.html",
            status=400 if error else 200,
            page=page,
            server=server,
            target=self.console.scim_url(page.req, server),
            report=report,
            error=error,
        )

    def submit(
        self, page: PageContext, form: dict[str, str], server_id: int = 0, **params: Any
    ) -> None:
        server = self.server(page, server_id)
        target = self.console.scim_url(page.req, server)
        base = self.console.base_url(page.req, server)
        transport = Transport(timeout=15.0)
        try:
            auth = _auth(server, form, base, transport)
            client = ScimClient(target, transport=transport)
        except ValueError as exc:
            self._render(page, server, report=None, error=str(exc))
            return
        report = run_doctor(
            self.console.database,
            server,
            client,
            base=base,
            label=server.name,
            auth=auth,
            actor=page.actor,
        )
        if not server.is_active:
            report.notes.append("the identity server is disabled: enable it in its settings")
        self._render(page, server, report=report, error="")


def _auth(
    server: IdentityServer, form: dict[str, str], base: str, transport: Transport
) -> Auth | None:
    """The doctor's credentials from the form; None for bearer (a token of its own)."""
    method = server.auth_method
    if method == "bearer":
        return None
    if method in ("basic", "digest"):
        username = form.get("username", "").strip() or server.auth_username or ""
        password = form.get("password", "")
        if not username or not password:
            raise ValueError(f"the identity server uses {method}: give its username and password")
        return (
            BasicAuth(username, password) if method == "basic" else DigestAuth(username, password)
        )
    if method == "oauth2":
        client_id = form.get("client_id", "").strip()
        secret = form.get("client_secret", "")
        if not client_id or not secret:
            raise ValueError("the identity server uses oauth2: give a client id and secret")
        return ClientCredentialsAuth(
            f"{base}/oauth2/{server.id}/token", client_id, secret, transport=transport
        )
    return NoAuth()
