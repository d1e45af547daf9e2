"""Identity servers in the console: the list, the add/edit form, one server's page, and the
actions on it (tokens, OAuth clients, the guard, removal). Every rule is the services'."""

from __future__ import annotations

import hashlib
from typing import Any

from glpi_scim.console.forms import form_of, is_empty, server_input
from glpi_scim.console.views import guard_text, server_rows
from glpi_scim.identity.durations import parse_duration
from glpi_scim.identity.errors import ServerError
from glpi_scim.identity.models import ADOPT_POLICIES, DELETE_POLICIES, IdentityServer
from glpi_scim.security.methods.digest import offered
from glpi_scim.security.methods.registry import method_names
from glpi_scim.security.oauth_clients import AUTHORIZATION_CODE, CLIENT_CREDENTIALS, GRANT_TYPES
from glpi_scim.server.console.base import ConsoleResource, PageContext
from glpi_scim.servers.audit import AuditLog
from glpi_scim.servers.service import IssuedServerToken, ServerService
from glpi_scim.servers.status import StatusService

# What a redirect after an action tells (a fixed text per key: nothing from the URL is shown).
NOTICES = {
    "token-revoked": "The token is revoked: requests using it now get 401.",
    "client-removed": "The OAuth client is removed: its tokens no longer work.",
    "guard-resumed": "The mass-change guard is lifted: removals are accepted again.",
    "guard-armed": "The mass-change guard was not tripped.",
    "unchanged": "Nothing changed.",
    "removed": "The identity server is removed; GLPI's users and groups stay.",
}


def confirmation_of(breaks: list[str]) -> str:
    """The value a confirmation carries: it confirms these consequences, not later ones."""
    return hashlib.sha256("\n".join(breaks).encode()).hexdigest()[:32]


class ServerListPage(ConsoleResource):
    def show(self, page: PageContext, **params: Any) -> None:
        service = self.services(page)
        self.console.render(
            page.resp,
            "servers.html",
            page=page,
            rows=server_rows(self.console.database, service),
            notice=NOTICES.get(page.req.get_param("notice") or ""),
        )


class ServerFormPage(ConsoleResource):
    """`servers/new` and `servers/{id}/edit`."""

    def show(self, page: PageContext, server_id: int | None = None, **params: Any) -> None:
        service = self.services(page)
        current = service.get(server_id) if server_id is not None else None
        form = form_of(current, max_removals=self._limit(service, current))
        self._render(page, service, current, form.values)

    def _limit(self, service: ServerService, current: IdentityServer | None) -> str:
        if current is None:
            return "50/10m"
        limit = service.guard.state(current).limit
        return str(limit) if limit.enabled else "0"

    def _render(
        self,
        page: PageContext,
        service: ServerService,
        current: IdentityServer | None,
        values: Any,
        *,
        status: int = 200,
        error: str = "",
        breaks: list[str] | None = None,
    ) -> None:
        search = page.req.get_param("user_search") or ""
        self.console.render(
            page.resp,
            "server_form.html",
            status=status,
            page=page,
            server=current,
            values=values,
            error=error,
            breaks=breaks or [],
            confirmation=confirmation_of(breaks) if breaks else "",
            entities=service.glpi.entity_choices(),
            profiles=service.glpi.profile_choices(),
            users=service.glpi.user_choices(search, limit=200),
            user_search=search,
            methods=method_names(),
            delete_policies=DELETE_POLICIES,
            adopt_policies=ADOPT_POLICIES,
        )

    def submit(
        self, page: PageContext, form: dict[str, str], server_id: int | None = None, **params: Any
    ) -> None:
        service = self.services(page)
        current = service.get(server_id) if server_id is not None else None
        try:
            given = server_input(form, current, self._limit(service, current))
            if current is not None and is_empty(given):
                self.console.redirect(
                    page.resp, self.console.url("servers", current.id, notice="unchanged")
                )
                return
            breaks = service.what_breaks(current, given)
            if breaks and form.get("confirmed") != confirmation_of(breaks):
                # The CLI's `--yes`: the same consequences, asked before anything changes.
                self._render(page, service, current, form, breaks=breaks)
                return
            outcome = service.add(given) if current is None else service.edit(current, given)
            issued = None
            if outcome.needs_first_token:
                issued = service.issue_token(
                    outcome.server,
                    issuer=self.console.scim_url(page.req, outcome.server),
                    comment="first token, issued with the server",
                )
        except ServerError as exc:
            self._render(page, service, current, form, status=400, error=str(exc))
            return
        self.console.render(
            page.resp,
            "saved.html",
            page=page,
            server=outcome.server,
            verb="created" if current is None else "updated",
            scim_url=self.console.scim_url(page.req, outcome.server),
            default_url=(
                self.console.scim_url(page.req, outcome.server, default=True)
                if outcome.server.is_default
                else ""
            ),
            issued=issued,
            credentials=outcome.credentials,
            notes=outcome.notes,
            warnings=outcome.warnings,
        )


class ServerPage(ConsoleResource):
    def show(self, page: PageContext, server_id: int = 0, **params: Any) -> None:
        service = self.services(page)
        server = service.get(server_id)
        view = service.view(server)
        status = StatusService(self.console.database).status(server)
        guard = service.guard.state(server)
        guard_summary, guard_alert = guard_text(guard)
        self.console.render(
            page.resp,
            "server.html",
            page=page,
            server=server,
            view=view,
            scim_url=self.console.scim_url(page.req, server),
            default_url=(
                self.console.scim_url(page.req, server, default=True) if server.is_default else ""
            ),
            digest_algorithms=", ".join(offered(server)) if server.auth_method == "digest" else "",
            sections=status.sections,
            guard=guard,
            guard_summary=guard_summary,
            guard_alert=guard_alert,
            tokens=service.tokens.list_for(server.id),
            clients=self.clients(page).list_for(server),
            grant_types=GRANT_TYPES,
            audit=AuditLog(self.console.database).for_server(server.id),
            oauth_base=f"{self.console.base_url(page.req, server)}/oauth2/{server.id}",
            notice=NOTICES.get(page.req.get_param("notice") or ""),
            error="",
        )


class _ServerAction(ConsoleResource):
    def confirm(
        self,
        page: PageContext,
        server: IdentityServer,
        *,
        title: str,
        breaks: list[str],
        action: str,
        fields: dict[str, str],
        button: str,
    ) -> None:
        self.console.render(
            page.resp,
            "confirm.html",
            page=page,
            server=server,
            title=title,
            breaks=breaks,
            action=action,
            fields={**fields, "confirmed": confirmation_of(breaks)},
            button=button,
        )

    def confirmed(self, form: dict[str, str], breaks: list[str]) -> bool:
        return form.get("confirmed") == confirmation_of(breaks)

    def back(self, page: PageContext, server: IdentityServer, notice: str) -> None:
        self.console.redirect(page.resp, self.console.url("servers", server.id, notice=notice))

    def refuse(self, page: PageContext, server: IdentityServer, message: str) -> None:
        self.console.message(page.resp, 400, f"Not done: {server.name}", message, page)


class TokensAction(_ServerAction):
    """POST `action=issue` (expires, comment) or `action=revoke` (token)."""

    def submit(
        self, page: PageContext, form: dict[str, str], server_id: int = 0, **params: Any
    ) -> None:
        service = self.services(page)
        server = service.get(server_id)
        if form.get("action") == "revoke":
            self._revoke(page, service, server, form)
            return
        try:
            expires = form.get("expires", "").strip()
            lifetime = parse_duration(expires) if expires else None
        except ValueError as exc:
            self.refuse(page, server, f"expires: {exc}")
            return
        try:
            issued = service.issue_token(
                server,
                issuer=self.console.scim_url(page.req, server),
                lifetime=lifetime,
                comment=form.get("comment", "").strip() or None,
            )
        except ServerError as exc:
            self.refuse(page, server, str(exc))
            return
        self._shown(page, server, issued)

    def _shown(self, page: PageContext, server: IdentityServer, issued: IssuedServerToken) -> None:
        self.console.render(
            page.resp,
            "saved.html",
            page=page,
            server=server,
            verb="given a new token",
            scim_url=self.console.scim_url(page.req, server),
            default_url="",
            issued=issued,
            credentials=None,
            notes=[],
            warnings=[],
        )

    def _revoke(
        self,
        page: PageContext,
        service: ServerService,
        server: IdentityServer,
        form: dict[str, str],
    ) -> None:
        token = service.tokens.find(server.id, form.get("token", ""))
        if token is None:
            self.refuse(page, server, f"identity server {server.name!r} has no such token")
            return
        if token.status() == "active":
            breaks = [
                f"token {token.id} of identity server {server.name!r} (id {server.id}) stops "
                "working: an IdP using it gets 401"
            ]
            if not self.confirmed(form, breaks):
                self.confirm(
                    page,
                    server,
                    title=f"Revoke token {token.id}?",
                    breaks=breaks,
                    action=self.console.url("servers", server.id, "tokens"),
                    fields={"action": "revoke", "token": str(token.id)},
                    button="Revoke the token",
                )
                return
        service.revoke_token(server, token.id)
        self.back(page, server, "token-revoked")


class ClientsAction(_ServerAction):
    """POST `action=register` (name, redirect_uris, grant_*, public) or `action=remove`."""

    def submit(
        self, page: PageContext, form: dict[str, str], server_id: int = 0, **params: Any
    ) -> None:
        server = self.services(page).get(server_id)
        clients = self.clients(page)
        if form.get("action") == "remove":
            client_id = form.get("client_id", "")
            if clients.get(server, client_id) is None:
                self.refuse(page, server, f"identity server {server.name!r} has no such client")
                return
            breaks = [
                f"OAuth2 client {client_id} of identity server {server.name!r} (id {server.id}) "
                "is removed: its tokens stop working and its IdP gets 401"
            ]
            if not self.confirmed(form, breaks):
                self.confirm(
                    page,
                    server,
                    title="Remove the OAuth client?",
                    breaks=breaks,
                    action=self.console.url("servers", server.id, "clients"),
                    fields={"action": "remove", "client_id": client_id},
                    button="Remove the client",
                )
                return
            clients.remove(server, client_id)
            self.back(page, server, "client-removed")
            return
        uris = [line.strip() for line in form.get("redirect_uris", "").splitlines() if line.strip()]
        grants = [grant for grant in GRANT_TYPES if form.get(f"grant_{grant}") == "on"]
        try:
            registered = clients.register(
                server,
                redirect_uris=uris,
                grant_types=grants,
                public=form.get("public") == "on",
                name=form.get("name") or None,
            )
        except ValueError as exc:
            self.refuse(page, server, str(exc))
            return
        self.console.render(
            page.resp,
            "client_saved.html",
            page=page,
            server=server,
            registered=registered,
            authorization_code=AUTHORIZATION_CODE,
            client_credentials=CLIENT_CREDENTIALS,
        )


class GuardAction(_ServerAction):
    def submit(
        self, page: PageContext, form: dict[str, str], server_id: int = 0, **params: Any
    ) -> None:
        service = self.services(page)
        server = service.get(server_id)
        lifted = service.resume_guard(server)
        self.back(page, server, "guard-resumed" if lifted.tripped else "guard-armed")


class RemoveServerAction(_ServerAction):
    def submit(
        self, page: PageContext, form: dict[str, str], server_id: int = 0, **params: Any
    ) -> None:
        service = self.services(page)
        server = service.get(server_id)
        breaks = [
            f"identity server {server.name!r} (id {server.id}) is removed: its IdP gets 404; "
            "its tokens, OAuth clients, request log and externalIds are deleted (GLPI users "
            "and groups stay)"
        ]
        if not self.confirmed(form, breaks):
            self.confirm(
                page,
                server,
                title=f"Remove {server.name}?",
                breaks=breaks,
                action=self.console.url("servers", server.id, "remove"),
                fields={},
                button="Remove the identity server",
            )
            return
        service.remove(server.id)
        self.console.redirect(page.resp, self.console.url("servers", notice="removed"))
