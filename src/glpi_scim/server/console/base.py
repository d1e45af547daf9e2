"""What every console page shares: templates, the security headers, the session and CSRF
checks, the services acting as the signed-in GLPI account."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import falcon
import jinja2

from glpi_scim.console.access import Access, console_access
from glpi_scim.console.forms import FormError, parse_form
from glpi_scim.console.keys import console_key
from glpi_scim.console.sessions import ConsoleSession, SessionStore
from glpi_scim.identity.errors import ServerNotFound
from glpi_scim.identity.models import IdentityServer
from glpi_scim.server.urls import request_base_url, scim_base_url
from glpi_scim.servers.audit import Actor
from glpi_scim.servers.oauth_clients import OAuthClientService
from glpi_scim.servers.service import ServerService

if TYPE_CHECKING:
    from glpi_scim.server.context import AppContext

logger = logging.getLogger("glpi_scim.console")

SESSION_COOKIE = "glpiscim_console"
HTML_TYPE = "text/html; charset=utf-8"
# No inline script or style anywhere: the stylesheet and the copy button's script are files
# served from the console itself.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


class Console:
    """Shared by the console's resources of one application."""

    def __init__(self, context: AppContext) -> None:
        self.context = context
        self.settings = context.settings
        self.database = context.database
        self.path = context.settings.console_path
        self.templates = jinja2.Environment(
            loader=jinja2.PackageLoader("glpi_scim.console", "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )
        self.templates.filters["when"] = _when
        self._store: SessionStore | None = None

    @property
    def store(self) -> SessionStore:
        # Built on first use: reading (or creating) the key needs the database.
        if self._store is None:
            self._store = SessionStore(
                self.database,
                console_key(self.database),
                idle=timedelta(seconds=self.settings.console_idle_timeout),
                lifetime=timedelta(seconds=self.settings.console_session_lifetime),
            )
        return self._store

    @property
    def throttle(self) -> Any:
        return self.context.authenticator.throttle

    def url(self, *parts: object, **query: object) -> str:
        path = "/".join([self.path, *(quote(str(part), safe="") for part in parts)])
        shown = {key: value for key, value in query.items() if value not in (None, "")}
        if shown:
            path += "?" + "&".join(
                f"{quote(key)}={quote(str(value), safe='')}" for key, value in shown.items()
            )
        return path

    def secure(self, req: falcon.Request) -> bool:
        return request_base_url(req, self.settings).startswith("https:")

    def base_url(self, req: falcon.Request, server: IdentityServer) -> str:
        """What the server's IdP reaches: its own public URL, else this request's."""
        return server.public_url or request_base_url(req, self.settings)

    def scim_url(
        self, req: falcon.Request, server: IdentityServer, *, default: bool = False
    ) -> str:
        base = self.base_url(req, server)
        return scim_base_url(base, self.settings.url_prefix, None if default else server.id)

    def render(
        self,
        resp: falcon.Response,
        template: str,
        *,
        status: int = 200,
        page: PageContext | None = None,
        **values: Any,
    ) -> None:
        resp.status = status
        resp.content_type = HTML_TYPE
        for name, value in PAGE_HEADERS.items():
            resp.set_header(name, value)
        resp.text = self.templates.get_template(template).render(console=self, page=page, **values)

    def redirect(self, resp: falcon.Response, location: str) -> None:
        resp.status = 303
        resp.set_header("Location", location)
        for name, value in PAGE_HEADERS.items():
            resp.set_header(name, value)
        resp.text = ""

    def message(
        self, resp: falcon.Response, status: int, title: str, text: str, page: PageContext | None
    ) -> None:
        self.render(resp, "message.html", status=status, page=page, title=title, text=text)


@dataclass
class PageContext:
    """One request of a signed-in account."""

    req: falcon.Request
    resp: falcon.Response
    session: ConsoleSession
    access: Access
    csrf_token: str
    client_ip: str

    @property
    def actor(self) -> Actor:
        return Actor.console(self.session.login, self.client_ip)


def client_ip(req: falcon.Request) -> str:
    return str(getattr(req.context, "client_ip", "") or req.remote_addr or "")


class ConsoleResource:
    """Base of the signed-in pages: `show` answers GET, `submit` a POST with a valid CSRF
    token from an account that may change the setup."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def services(self, page: PageContext) -> ServerService:
        return ServerService(self.console.database, page.actor)

    def clients(self, page: PageContext) -> OAuthClientService:
        return OAuthClientService(self.console.database, page.actor)

    def server(self, page: PageContext, server_id: int) -> IdentityServer:
        return self.services(page).get(server_id)

    def _page(self, req: falcon.Request, resp: falcon.Response) -> PageContext | None:
        """The signed-in account's page, or None with a redirect to the sign-in page (no
        session, a forged or expired cookie) or a refusal (the account lost its right)."""
        console = self.console
        cookies = (req.get_cookie_values(SESSION_COOKIE) or [])[:4]
        session = None
        for cookie in cookies:
            session = console.store.find(cookie)
            if session is not None:
                break
        if session is None:
            target = req.relative_uri if req.method == "GET" else console.url("servers")
            console.redirect(resp, console.url("signin", next=target))
            return None
        access = console_access(console.database, session.users_id)
        page = PageContext(
            req, resp, session, access, console.store.csrf_token(session), client_ip(req)
        )
        if not access.may_read:
            console.store.end(session)
            console.message(
                resp,
                403,
                "Access refused",
                f"The GLPI account {session.login} no longer holds GLPI's config right.",
                None,
            )
            return None
        return page

    def on_get(self, req: falcon.Request, resp: falcon.Response, **params: Any) -> None:
        page = self._page(req, resp)
        if page is not None:
            self._guarded(page, functools.partial(self.show, page, **params))

    def on_post(self, req: falcon.Request, resp: falcon.Response, **params: Any) -> None:
        page = self._page(req, resp)
        if page is None:
            return
        try:
            form = read_form(req, self.console.settings.max_body_bytes)
        except FormError as exc:
            self.console.message(resp, 400, "Unreadable form", str(exc), page)
            return
        if not self.console.store.csrf_valid(page.session, form.get("csrf_token", "")):
            logger.warning(
                "console: form from %s (GLPI login %s) refused: missing or wrong CSRF token",
                page.client_ip,
                page.session.login,
            )
            self.console.message(
                resp,
                403,
                "Form refused",
                "This form was not sent from a page of this console session. Reload the page "
                "and try again.",
                page,
            )
            return
        if not page.access.may_change:
            self.console.message(
                resp,
                403,
                "Read-only access",
                f"The GLPI account {page.session.login} holds GLPI's config right at READ "
                "level only: it may look, not change (UPDATE is needed).",
                page,
            )
            return
        self._guarded(page, functools.partial(self.submit, page, form, **params))

    def _guarded(self, page: PageContext, action: Callable[[], None]) -> None:
        try:
            action()
        except ServerNotFound as exc:
            self.console.message(page.resp, 404, "Not found", str(exc), page)

    def show(self, page: PageContext, **params: Any) -> None:
        raise falcon.HTTPMethodNotAllowed(["POST"])

    def submit(self, page: PageContext, form: dict[str, str], **params: Any) -> None:
        raise falcon.HTTPMethodNotAllowed(["GET"])


def read_form(req: falcon.Request, limit: int) -> dict[str, str]:
    data = req.bounded_stream.read(limit + 1)
    if len(data) > limit:
        raise FormError("the form is too large")
    try:
        return parse_form(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise FormError("the form is not UTF-8") from None


def _when(moment: Any) -> str:
    return "-" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S UTC")
