"""Sign-in, sign-out, the console's root and its static files."""

from __future__ import annotations

import importlib.resources
import logging
import re

import falcon

from glpi_scim.console.access import console_access
from glpi_scim.console.forms import FormError
from glpi_scim.security.glpi_login import check_glpi_password
from glpi_scim.security.throttle import ANY_SERVER, TooManyFailures
from glpi_scim.server.console.base import (
    PAGE_HEADERS,
    SESSION_COOKIE,
    Console,
    ConsoleResource,
    PageContext,
    client_ip,
    read_form,
)

logger = logging.getLogger("glpi_scim.console")

SIGNIN_COOKIE = "glpiscim_console_signin"
SIGNIN_COOKIE_LIFE = 1800  # seconds: the sign-in form must be sent within this time
STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}
_STATIC_NAME = re.compile(r"[a-z0-9_-]+\.(css|js)")


class HomePage:
    def __init__(self, console: Console) -> None:
        self.console = console

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        self.console.redirect(resp, self.console.url("servers"))


class StaticFile:
    def __init__(self, console: Console) -> None:
        self.console = console

    def on_get(self, req: falcon.Request, resp: falcon.Response, name: str) -> None:
        if not _STATIC_NAME.fullmatch(name):
            raise falcon.HTTPNotFound()
        source = importlib.resources.files("glpi_scim.console") / "static" / name
        if not source.is_file():
            raise falcon.HTTPNotFound()
        resp.content_type = STATIC_TYPES["." + name.rsplit(".", 1)[1]]
        resp.set_header("X-Content-Type-Options", "nosniff")
        resp.set_header("Cache-Control", "max-age=3600")
        resp.data = source.read_bytes()


def _next(console: Console, target: str) -> str:
    """Where to go after signing in: only a page of this console (no open redirect)."""
    if target.startswith(console.path + "/") and not target.startswith("//") and "\\" not in target:
        return target
    return console.url("servers")


class SignInPage:
    def __init__(self, console: Console) -> None:
        self.console = console

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        self._form(req, resp, 200, next_url=_next(self.console, req.get_param("next") or ""))

    def _form(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        status: int,
        *,
        next_url: str,
        error: str = "",
        login: str = "",
    ) -> None:
        # A fresh cookie with every form: one planted by someone else is never the one the
        # form's token is bound to.
        store = self.console.store
        nonce = store.new_signin_nonce()
        resp.set_cookie(
            SIGNIN_COOKIE,
            nonce,
            max_age=SIGNIN_COOKIE_LIFE,
            path=self.console.path + "/",
            secure=self.console.secure(req),
            http_only=True,
            same_site="Strict",
        )
        self.console.render(
            resp,
            "signin.html",
            status=status,
            error=error,
            login=login,
            next_url=next_url,
            signin_token=store.signin_token(nonce),
        )

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        console = self.console
        address = client_ip(req)
        try:
            form = read_form(req, console.settings.max_body_bytes)
        except FormError as exc:
            console.message(resp, 400, "Unreadable form", str(exc), None)
            return
        login = form.get("login", "")[:255]
        next_url = _next(console, form.get("next", ""))
        nonces = (req.get_cookie_values(SIGNIN_COOKIE) or [])[:4]
        token = form.get("signin_token", "")
        if not any(console.store.signin_token_valid(nonce, token) for nonce in nonces):
            logger.warning("console: sign-in form from %s refused: missing or wrong token", address)
            self._form(
                req,
                resp,
                403,
                next_url=next_url,
                error="This sign-in form has expired or was not sent from this page: sign in "
                "again.",
                login=login,
            )
            return
        throttle = console.throttle
        try:
            # As on the OAuth consent page: per address and per login.
            address_failed = throttle.check(ANY_SERVER, address)
            login_failed = throttle.check_login(login)
        except TooManyFailures as blocked:
            for name, value in blocked.headers.items():
                resp.set_header(name, value)
            self._form(req, resp, 429, next_url=next_url, error=blocked.detail, login=login)
            return
        account = check_glpi_password(console.database, login, form.get("password", ""))
        if account is None:
            logger.warning(
                "console: sign-in refused for GLPI login %r from %s: wrong login or password, "
                "or not a GLPI-password account",
                login[:64],
                address,
            )
            throttle.record_failure(ANY_SERVER, address)
            throttle.record_login_failure(login)
            self._form(
                req,
                resp,
                200,
                next_url=next_url,
                error="Wrong login or password (only accounts with a GLPI password can sign in).",
                login=login,
            )
            return
        if not console_access(console.database, account.id).may_read:
            logger.warning(
                "console: GLPI user %s (%s) from %s refused: no config right",
                account.id,
                account.login,
                address,
            )
            self._form(
                req,
                resp,
                403,
                next_url=next_url,
                error=f"The GLPI account {account.login} may not use this console: it needs "
                "a profile with GLPI's config right (READ to look, UPDATE to change).",
                login=login,
            )
            return
        if address_failed:
            throttle.clear(ANY_SERVER, address)
        if login_failed:
            throttle.clear_login(login)
        session = console.store.create(account.id, account.login, address)
        resp.unset_cookie(SIGNIN_COOKIE, path=console.path + "/")
        logger.info(
            "console: GLPI user %s (%s) signed in from %s", account.id, account.login, address
        )
        resp.set_cookie(
            SESSION_COOKIE,
            console.store.cookie_value(session.session_id),
            path=console.path + "/",
            secure=console.secure(req),
            http_only=True,
            same_site="Strict",
        )
        console.redirect(resp, next_url)


class SignOutAction(ConsoleResource):
    def on_post(self, req: falcon.Request, resp: falcon.Response, **params: object) -> None:
        # Signing out needs no UPDATE right: handled here, not by ConsoleResource.submit.
        page = self._page(req, resp)
        if page is None:
            return
        try:
            form = read_form(req, self.console.settings.max_body_bytes)
        except FormError:
            form = {}
        if not self.console.store.csrf_valid(page.session, form.get("csrf_token", "")):
            self.console.message(resp, 403, "Form refused", "Reload the page and try again.", page)
            return
        self.console.store.end(page.session)
        resp.unset_cookie(SESSION_COOKIE, path=self.console.path + "/")
        self.console.redirect(resp, self.console.url("signin"))

    def show(self, page: PageContext, **params: object) -> None:
        self.console.redirect(page.resp, self.console.url("servers"))


__all__ = ["PAGE_HEADERS"]
