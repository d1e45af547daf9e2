"""OAuth2 endpoints of an identity server: /oauth2/{server}/authorize, /token and /revoke.

Thin: oauthlib (through glpi_scim.security.oauth2) does the protocol; this module reads the
HTTP request, renders the sign-in and consent page, and writes the response. The token and
revoke endpoints are called by the identity provider's servers, so the server's allowed
networks apply to them; the authorize page is opened in an administrator's browser, so it is
not restricted by network but by the GLPI sign-in, which is throttled like every other
credential check.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import html
import importlib.resources
import json
import logging
import re
import secrets
import string
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

import falcon
from oauthlib.oauth2 import AccessDeniedError, FatalClientError, OAuth2Error

from glpi_scim.security.credentials import derive_key
from glpi_scim.security.glpi_login import check_glpi_password, may_grant_access
from glpi_scim.security.networks import client_address, is_allowed
from glpi_scim.security.oauth2 import OAuthPolicy, OAuthServer, oauth_server
from glpi_scim.security.throttle import TooManyFailures
from glpi_scim.server.urls import request_base_url
from glpi_scim.servers.clock import utcnow
from glpi_scim.servers.errors import ServerNotFound
from glpi_scim.servers.models import IdentityServer

if TYPE_CHECKING:  # the routes only use the context's settings, database, servers, authenticator
    from glpi_scim.server.context import AppContext

logger = logging.getLogger("glpi_scim.security")

CSRF_COOKIE = "glpiscim_csrf"
CSRF_LIFE = timedelta(minutes=20)
_COOKIE_VALUE = re.compile(r"[A-Za-z0-9_-]{32}")
HTML_TYPE = "text/html; charset=utf-8"
JSON_TYPE = "application/json"
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def add_oauth_routes(app: falcon.App, context: AppContext) -> None:  # type: ignore[type-arg]
    app.add_route("/oauth2/{server}/authorize", AuthorizeResource(context))
    app.add_route("/oauth2/{server}/token", TokenResource(context))
    app.add_route("/oauth2/{server}/revoke", RevokeResource(context))


@functools.cache
def _template(name: str) -> string.Template:
    source = importlib.resources.files("glpi_scim.server") / "templates" / name
    return string.Template(source.read_text(encoding="utf-8"))


class _Refused(Exception):
    """A response is ready: the server cannot be used here (status, error code, message)."""

    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message


class _OAuthResource:
    def __init__(self, context: AppContext) -> None:
        self.context = context

    @property
    def throttle(self) -> Any:
        return self.context.authenticator.throttle

    def _server(self, ref: str) -> IdentityServer:
        if not ref.isdigit() or len(ref) > 10:
            raise _Refused(404, "invalid_request", f"There is no identity server {ref!r}.")
        try:
            server = self.context.servers.get(int(ref))
        except ServerNotFound:
            raise _Refused(404, "invalid_request", f"There is no identity server {ref}.") from None
        if server.auth_method != "oauth2":
            raise _Refused(
                404, "invalid_request", f"Identity server {server.id} does not use OAuth 2."
            )
        if not server.is_active:
            raise _Refused(403, "access_denied", f"Identity server {server.id} is inactive.")
        return server

    def _client_ip(self, req: falcon.Request) -> str:
        known = getattr(req.context, "client_ip", None)
        if known:
            return str(known)
        return client_address(
            req.remote_addr or "",
            req.get_header("X-Forwarded-For"),
            self.context.settings.trusted_proxies,
        )

    def _oauth(self, server: IdentityServer) -> OAuthServer:
        lifetime = timedelta(days=self.context.settings.oauth_grant_lifetime_days)
        return oauth_server(self.context.database, server, OAuthPolicy(grant_lifetime=lifetime))

    def _read_body(self, req: falcon.Request) -> str:
        limit = self.context.settings.max_body_bytes
        data = req.bounded_stream.read(limit + 1)
        if len(data) > limit:
            raise _Refused(413, "invalid_request", "The request body is too large.")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise _Refused(400, "invalid_request", "The request body is not UTF-8.") from None


def _headers(req: falcon.Request) -> dict[str, str]:
    return {name.title(): value for name, value in req.headers.items()}


# -- machine endpoints: token and revoke ---------------------------------------------------------


def _send_json(
    resp: falcon.Response, status: int, body: str, headers: dict[str, str] | None = None
) -> None:
    resp.status = status
    for name, value in (headers or {}).items():
        resp.set_header(name, value)
    resp.content_type = JSON_TYPE
    resp.set_header("Cache-Control", "no-store")
    resp.set_header("Pragma", "no-cache")
    resp.data = body.encode()


def _json_error(resp: falcon.Response, status: int, error: str, description: str) -> None:
    _send_json(resp, status, json.dumps({"error": error, "error_description": description}))


class _MachineEndpoint(_OAuthResource):
    """Shared by /token and /revoke: network check, throttling, oauthlib call, failure log."""

    def on_post(self, req: falcon.Request, resp: falcon.Response, server: str) -> None:
        self._call(req, resp, server)

    def _call(self, req: falcon.Request, resp: falcon.Response, ref: str) -> None:
        client_ip = self._client_ip(req)
        try:
            server = self._server(ref)
            if not is_allowed(client_ip, server.allowed_networks):
                logger.warning(
                    "server %s: OAuth2 %s from %s refused: outside the allowed networks",
                    server.id,
                    self.endpoint,
                    client_ip,
                )
                raise _Refused(403, "access_denied", f"Requests from {client_ip} are not allowed.")
            had_failures = self.throttle.check(server.id, client_ip)
            body = self._read_body(req)
        except _Refused as refused:
            _json_error(resp, refused.status, refused.error, refused.message)
            return
        except TooManyFailures as blocked:
            _send_json(
                resp,
                429,
                json.dumps({"error": "access_denied", "error_description": blocked.detail}),
                blocked.headers,
            )
            return
        try:
            headers, text, status = self.respond(self._oauth(server), req.url, body, _headers(req))
        except ValueError:  # oauthlib refuses a body or query that is not form-encoded
            _json_error(resp, 400, "invalid_request", "The request is not form-encoded.")
            return
        error = _error_code(text) if status >= 400 else None
        if error in ("invalid_client", "invalid_grant"):
            logger.warning(
                "server %s: OAuth2 %s from %s refused: %s",
                server.id,
                self.endpoint,
                client_ip,
                error,
            )
            self.throttle.record_failure(server.id, client_ip)
        elif status < 400 and had_failures:
            self.throttle.clear(server.id, client_ip)
        _send_json(resp, status, text or "", headers)

    endpoint = ""

    def respond(
        self, oauth: OAuthServer, uri: str, body: str, headers: dict[str, str]
    ) -> tuple[dict[str, str], str, int]:
        raise NotImplementedError


def _error_code(text: str | None) -> str | None:
    try:
        value = json.loads(text or "")
    except ValueError:
        return None
    return value.get("error") if isinstance(value, dict) else None


class TokenResource(_MachineEndpoint):
    endpoint = "token request"

    def respond(
        self, oauth: OAuthServer, uri: str, body: str, headers: dict[str, str]
    ) -> tuple[dict[str, str], str, int]:
        result: tuple[dict[str, str], str, int] = oauth.create_token_response(
            uri, "POST", body, headers
        )
        return result


class RevokeResource(_MachineEndpoint):
    endpoint = "revocation"

    def respond(
        self, oauth: OAuthServer, uri: str, body: str, headers: dict[str, str]
    ) -> tuple[dict[str, str], str, int]:
        result: tuple[dict[str, str], str, int] = oauth.create_revocation_response(
            uri, "POST", body, headers
        )
        return result


# -- the sign-in and consent page ------------------------------------------------------------


def _send_page(
    resp: falcon.Response, status: int, text: str, headers: dict[str, str] | None = None
) -> None:
    resp.status = status
    resp.content_type = HTML_TYPE
    for name, value in {**PAGE_HEADERS, **(headers or {})}.items():
        resp.set_header(name, value)
    resp.data = text.encode()


def _message_page(
    resp: falcon.Response,
    status: int,
    title: str,
    message: str,
    headers: dict[str, str] | None = None,
) -> None:
    page = _template("message.html").substitute(
        title=html.escape(title), message=html.escape(message)
    )
    _send_page(resp, status, page, headers)


def _redirect(resp: falcon.Response, location: str) -> None:
    resp.status = 302
    resp.set_header("Location", location)
    for name, value in PAGE_HEADERS.items():
        resp.set_header(name, value)
    resp.data = b""


class _InvalidRequest(Exception):
    """The authorization request itself is wrong; the response is ready to send."""


class AuthorizeResource(_OAuthResource):
    def on_get(self, req: falcon.Request, resp: falcon.Response, server: str) -> None:
        try:
            identity_server = self._server(server)
            request_info = self._validate(req, resp, identity_server)
        except _Refused as refused:
            _message_page(resp, refused.status, "Not available", refused.message)
            return
        except _InvalidRequest:
            return
        self._form(req, resp, identity_server, request_info, status=200)

    def on_post(self, req: falcon.Request, resp: falcon.Response, server: str) -> None:
        client_ip = self._client_ip(req)
        try:
            identity_server = self._server(server)
            form = _parse_form(self._read_body(req))
        except _Refused as refused:
            _message_page(resp, refused.status, "Not available", refused.message)
            return
        # A browser sends every cookie of that name (a planted one too, often first): the
        # token is bound to one this page issued, so any that matches it will do.
        cookies = (req.get_cookie_values(CSRF_COOKIE) or [])[:8]
        token = form.get("csrf_token", "")
        if not any(_csrf_valid(identity_server, c, req.query_string, token) for c in cookies):
            logger.warning(
                "server %s: OAuth2 authorize form from %s refused: missing or wrong CSRF token",
                identity_server.id,
                client_ip,
            )
            _message_page(
                resp,
                403,
                "Form expired",
                "This form has expired or was not sent from this page. Go back to the "
                "application and start the connection again.",
            )
            return
        try:
            request_info = self._validate(req, resp, identity_server)
        except _InvalidRequest:
            return
        if form.get("decision") != "allow":
            denied = AccessDeniedError(
                description="The GLPI user denied access.", request=request_info["request"]
            )
            _redirect(resp, denied.in_uri(request_info["redirect_uri"]))
            return
        self._sign_in(req, resp, identity_server, request_info, form, client_ip)

    def _sign_in(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        server: IdentityServer,
        request_info: dict[str, Any],
        form: dict[str, str],
        client_ip: str,
    ) -> None:
        login = form.get("login", "")
        try:
            # Both counters are checked: a new address does not reopen a guessed login, nor a
            # new login a guessing address.
            address_failed = self.throttle.check(server.id, client_ip)
            login_failed = self.throttle.check_login(login)
        except TooManyFailures as blocked:
            _message_page(resp, 429, "Too many attempts", blocked.detail, blocked.headers)
            return
        database = self.context.database
        account = check_glpi_password(database, login, form.get("password", ""))
        if account is None:
            logger.warning(
                "server %s: OAuth2 sign-in refused for GLPI login %r from %s: wrong login or "
                "password, or not a GLPI-password account",
                server.id,
                login[:64],
                client_ip,
            )
            self.throttle.record_failure(server.id, client_ip)
            self.throttle.record_login_failure(login)
            self._form(
                req,
                resp,
                server,
                request_info,
                status=200,
                error="Wrong login or password (only accounts with a GLPI password can sign in).",
                login=login,
            )
            return
        # The counters are cleared only by a sign-in that may grant access: any GLPI account
        # (a self-service one) must not reset the guessing of another one's password.
        if not may_grant_access(database, account, server):
            logger.warning(
                "server %s: GLPI user %s (%s) may not grant OAuth2 access",
                server.id,
                account.id,
                account.login,
            )
            self._form(
                req,
                resp,
                server,
                request_info,
                status=403,
                error=(
                    f"The GLPI account {account.login} may not grant this access: sign in as "
                    "the identity server's applied user or as a GLPI administrator allowed "
                    "to update the setup."
                ),
                login=login,
            )
            return
        if address_failed:
            self.throttle.clear(server.id, client_ip)
        if login_failed:
            self.throttle.clear_login(login)
        oauth = self._oauth(server)
        headers, _body, status = oauth.create_authorization_response(
            req.url,
            "POST",
            None,
            _headers(req),
            scopes=request_info["request"].scopes,
            credentials={"user": account.id},
        )
        logger.info(
            "server %s: GLPI user %s (%s) granted OAuth2 client %s access",
            server.id,
            account.id,
            account.login,
            request_info["client_id"],
        )
        resp.unset_cookie(CSRF_COOKIE, path=_cookie_path(server))
        if "Location" in headers:
            _redirect(resp, headers["Location"])
        else:  # pragma: no cover - oauthlib always redirects after a validated request
            _message_page(resp, status, "Error", "The authorization could not be completed.")

    def _validate(
        self, req: falcon.Request, resp: falcon.Response, server: IdentityServer
    ) -> dict[str, Any]:
        """oauthlib's checks of the authorization request; on failure, the response is sent
        (an error page, or a redirect back to a valid redirect URI) and _InvalidRequest raised."""
        oauth = self._oauth(server)
        try:
            _scopes, info = oauth.validate_authorization_request(
                req.url, "GET", None, _headers(req)
            )
        except FatalClientError as exc:
            _message_page(
                resp,
                400,
                "Invalid request",
                f"The application sent an invalid authorization request: {_describe(exc)}",
            )
            raise _InvalidRequest from None
        except OAuth2Error as exc:
            if exc.redirect_uri:
                _redirect(resp, exc.in_uri(exc.redirect_uri))
            else:
                _message_page(resp, 400, "Invalid request", _describe(exc))
            raise _InvalidRequest from None
        except ValueError:
            _message_page(
                resp, 400, "Invalid request", "The authorization request is not form-encoded."
            )
            raise _InvalidRequest from None
        result: dict[str, Any] = info
        return result

    def _form(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        server: IdentityServer,
        request_info: dict[str, Any],
        *,
        status: int,
        error: str | None = None,
        login: str = "",
    ) -> None:
        # Every form comes with a fresh cookie, whatever cookie the browser sent: a value
        # planted by someone else (a sibling subdomain can set cookies) must never be the one
        # the token is bound to.
        cookie = secrets.token_urlsafe(24)
        self._set_csrf_cookie(req, resp, server, cookie)
        client = request_info["request"].client
        query = req.query_string
        action = f"{req.path}?{query}" if query else req.path
        page = _template("authorize.html").substitute(
            client_name=html.escape(client.name or client.client_id),
            server_name=html.escape(server.name),
            action=html.escape(action),
            csrf_token=html.escape(_csrf_token(server, cookie, query)),
            login=html.escape(login),
            error=f'<p class="error">{html.escape(error)}</p>' if error else "",
        )
        _send_page(resp, status, page)

    def _set_csrf_cookie(
        self, req: falcon.Request, resp: falcon.Response, server: IdentityServer, value: str
    ) -> None:
        secure = request_base_url(req, self.context.settings).startswith("https:")
        resp.set_cookie(
            CSRF_COOKIE,
            value,
            max_age=int(CSRF_LIFE.total_seconds()),
            path=_cookie_path(server),
            secure=secure,
            http_only=True,
            same_site="Strict",
        )


def _cookie_path(server: IdentityServer) -> str:
    return f"/oauth2/{server.id}/"


def _describe(exc: OAuth2Error) -> str:
    return str(exc.description or exc.error or "invalid request")


def _parse_form(body: str) -> dict[str, str]:
    try:
        pairs = parse_qs(body, keep_blank_values=True, max_num_fields=20, strict_parsing=False)
    except ValueError:
        raise _Refused(400, "invalid_request", "The form has too many fields.") from None
    return {name: values[0] for name, values in pairs.items()}


def _csrf_mac(server: IdentityServer, cookie: str, stamp: str, query: str) -> str:
    key = derive_key(server.signing_key, "oauth csrf")
    return hmac.new(key, f"{cookie}|{stamp}|{query}".encode(), hashlib.sha256).hexdigest()


def _csrf_token(server: IdentityServer, cookie: str, query: str) -> str:
    """Double-submit token: bound to the cookie, the moment, and this authorization request."""
    stamp = str(int(utcnow().timestamp()))
    return f"{stamp}.{_csrf_mac(server, cookie, stamp, query)}"


def _csrf_valid(server: IdentityServer, cookie: str, query: str, token: str) -> bool:
    if not _COOKIE_VALUE.fullmatch(cookie):
        return False
    stamp, _, mac = token.partition(".")
    if not stamp.isdigit():
        return False
    age = utcnow().timestamp() - int(stamp)
    if not 0 <= age <= CSRF_LIFE.total_seconds():
        return False
    return hmac.compare_digest(mac.encode(), _csrf_mac(server, cookie, stamp, query).encode())
