"""The OAuth2 endpoints of an identity server, free of any web framework: /token, /revoke and
the sign-in and consent page of /authorize. A call in, an `OAuthResponse` (status, headers,
body, cookies) out, as oauthlib itself answers.

The request pipeline (glpi_scim.pipeline) has already found the server, checked that it is
active and uses OAuth2, that its body is within the limit, and, for the endpoints the IdP's
machines call, its allowed networks and the address's throttle. The authorize page is opened
in an administrator's browser: it is guarded by the GLPI sign-in, throttled here per address
and per login. `server/oauth.py` turns HTTP into `OAuthCall` and `OAuthResponse` into HTTP;
the page templates are its own (`Render`).
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import logging
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs

from oauthlib.oauth2 import AccessDeniedError, FatalClientError, OAuth2Error

from glpi_scim.db.clock import utcnow
from glpi_scim.db.database import Database
from glpi_scim.identity.models import IdentityServer
from glpi_scim.security.credentials import derive_key
from glpi_scim.security.glpi_login import check_glpi_password, may_grant_access
from glpi_scim.security.oauth2 import OAuthPolicy, OAuthServer, oauth_server
from glpi_scim.security.throttle import Throttle, TooManyFailures

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
JSON_HEADERS = {"Cache-Control": "no-store", "Pragma": "no-cache"}

# `Render(template, fields)`: a page template filled with already-escaped fields.
Render = Callable[[str, Mapping[str, str]], str]


@dataclass(frozen=True)
class OAuthCall:
    """One OAuth2 request the pipeline admitted. `headers` keep the names oauthlib reads
    (`Authorization`, `Content-Type`); `body` is the raw body (None when not read)."""

    server: IdentityServer
    method: str
    url: str
    path: str
    query: str
    headers: Mapping[str, str]
    client_ip: str
    body: bytes | None = None
    had_failures: bool = False
    # The CSRF cookie values the browser sent (every cookie of that name, in order).
    csrf_cookies: tuple[str, ...] = ()
    # Reached over https: the CSRF cookie is then Secure.
    secure: bool = False


@dataclass(frozen=True)
class CookieChange:
    """A cookie to set (`value`) or to remove (`value` None) on the page's path."""

    name: str
    value: str | None
    path: str
    max_age: int | None = None
    secure: bool = False


@dataclass
class OAuthResponse:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    content_type: str | None = None
    cookies: list[CookieChange] = field(default_factory=list)


class _Refused(Exception):
    """The request cannot go on: (status, OAuth2 error code, message for a person)."""

    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message


# -- responses -------------------------------------------------------------------------------


def json_response(
    status: int, body: str, headers: Mapping[str, str] | None = None
) -> OAuthResponse:
    return OAuthResponse(
        status,
        {**(headers or {}), **JSON_HEADERS},
        body.encode(),
        content_type=JSON_TYPE,
    )


def json_error(
    status: int, error: str, description: str, headers: Mapping[str, str] | None = None
) -> OAuthResponse:
    body = json.dumps({"error": error, "error_description": description})
    return json_response(status, body, headers)


def _page(status: int, text: str, headers: Mapping[str, str] | None = None) -> OAuthResponse:
    return OAuthResponse(
        status, {**PAGE_HEADERS, **(headers or {})}, text.encode(), content_type=HTML_TYPE
    )


def _redirect(location: str) -> OAuthResponse:
    return OAuthResponse(302, {"Location": location, **PAGE_HEADERS})


def _error_code(text: str | None) -> str | None:
    try:
        value = json.loads(text or "")
    except ValueError:
        return None
    return value.get("error") if isinstance(value, dict) else None


def _text(body: bytes | None) -> str:
    try:
        return (body or b"").decode("utf-8")
    except UnicodeDecodeError:
        raise _Refused(400, "invalid_request", "The request body is not UTF-8.") from None


class OAuthEndpoints:
    """The endpoints of every OAuth2 identity server of one process."""

    def __init__(
        self,
        database: Database,
        throttle: Throttle,
        render: Render,
        *,
        grant_lifetime: timedelta = timedelta(days=365),
    ) -> None:
        self.database = database
        self.throttle = throttle
        self.render = render
        self.policy = OAuthPolicy(grant_lifetime=grant_lifetime)

    def _oauth(self, server: IdentityServer) -> OAuthServer:
        return oauth_server(self.database, server, self.policy)

    # -- machine endpoints: token and revoke ---------------------------------------------------

    def token(self, call: OAuthCall) -> OAuthResponse:
        def respond(oauth: OAuthServer, body: str) -> tuple[dict[str, str], str, int]:
            result: tuple[dict[str, str], str, int] = oauth.create_token_response(
                call.url, "POST", body, dict(call.headers)
            )
            return result

        return self._machine(call, "token request", respond)

    def revoke(self, call: OAuthCall) -> OAuthResponse:
        def respond(oauth: OAuthServer, body: str) -> tuple[dict[str, str], str, int]:
            result: tuple[dict[str, str], str, int] = oauth.create_revocation_response(
                call.url, "POST", body, dict(call.headers)
            )
            return result

        return self._machine(call, "revocation", respond)

    def _machine(
        self,
        call: OAuthCall,
        endpoint: str,
        respond: Callable[[OAuthServer, str], tuple[dict[str, str], str, int]],
    ) -> OAuthResponse:
        server = call.server
        try:
            body = _text(call.body)
        except _Refused as refused:
            return json_error(refused.status, refused.error, refused.message)
        try:
            headers, text, status = respond(self._oauth(server), body)
        except ValueError:  # oauthlib refuses a body or query that is not form-encoded
            return json_error(400, "invalid_request", "The request is not form-encoded.")
        error = _error_code(text) if status >= 400 else None
        if error in ("invalid_client", "invalid_grant"):
            logger.warning(
                "server %s: OAuth2 %s from %s refused: %s",
                server.id,
                endpoint,
                call.client_ip,
                error,
            )
            self.throttle.record_failure(server.id, call.client_ip)
        elif status < 400 and call.had_failures:
            self.throttle.clear(server.id, call.client_ip)
        return json_response(status, text or "", headers)

    # -- the sign-in and consent page ------------------------------------------------------------

    def message_page(
        self, status: int, title: str, message: str, headers: Mapping[str, str] | None = None
    ) -> OAuthResponse:
        page = self.render(
            "message.html", {"title": html.escape(title), "message": html.escape(message)}
        )
        return _page(status, page, headers)

    def authorize_form(self, call: OAuthCall) -> OAuthResponse:
        """GET /authorize: the sign-in and consent form, or why the request is invalid."""
        validated = self._validate(call)
        if isinstance(validated, OAuthResponse):
            return validated
        return self._form(call, validated, status=200)

    def authorize_decision(self, call: OAuthCall) -> OAuthResponse:
        """POST /authorize: the administrator's sign-in and decision."""
        server = call.server
        try:
            form = _parse_form(_text(call.body))
        except _Refused as refused:
            return self.message_page(refused.status, "Not available", refused.message)
        # A browser sends every cookie of that name (a planted one too, often first): the
        # token is bound to one this page issued, so any that matches it will do.
        token = form.get("csrf_token", "")
        cookies = call.csrf_cookies[:8]
        if not any(_csrf_valid(server, c, call.query, token) for c in cookies):
            logger.warning(
                "server %s: OAuth2 authorize form from %s refused: missing or wrong CSRF token",
                server.id,
                call.client_ip,
            )
            return self.message_page(
                403,
                "Form expired",
                "This form has expired or was not sent from this page. Go back to the "
                "application and start the connection again.",
            )
        validated = self._validate(call)
        if isinstance(validated, OAuthResponse):
            return validated
        if form.get("decision") != "allow":
            denied = AccessDeniedError(
                description="The GLPI user denied access.", request=validated["request"]
            )
            return _redirect(denied.in_uri(validated["redirect_uri"]))
        return self._sign_in(call, validated, form)

    def _sign_in(
        self, call: OAuthCall, request_info: dict[str, Any], form: dict[str, str]
    ) -> OAuthResponse:
        server, client_ip = call.server, call.client_ip
        login = form.get("login", "")
        try:
            # Both counters are checked: a new address does not reopen a guessed login, nor a
            # new login a guessing address.
            address_failed = self.throttle.check(server.id, client_ip)
            login_failed = self.throttle.check_login(login)
        except TooManyFailures as blocked:
            return self.message_page(429, "Too many attempts", blocked.detail, blocked.headers)
        database = self.database
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
            return self._form(
                call,
                request_info,
                status=200,
                error="Wrong login or password (only accounts with a GLPI password can sign in).",
                login=login,
            )
        # The counters are cleared only by a sign-in that may grant access: any GLPI account
        # (a self-service one) must not reset the guessing of another one's password.
        if not may_grant_access(database, account, server):
            logger.warning(
                "server %s: GLPI user %s (%s) may not grant OAuth2 access",
                server.id,
                account.id,
                account.login,
            )
            return self._form(
                call,
                request_info,
                status=403,
                error=(
                    f"The GLPI account {account.login} may not grant this access: sign in as "
                    "the identity server's applied user or as a GLPI administrator allowed "
                    "to update the setup."
                ),
                login=login,
            )
        if address_failed:
            self.throttle.clear(server.id, client_ip)
        if login_failed:
            self.throttle.clear_login(login)
        headers, _body, status = self._oauth(server).create_authorization_response(
            call.url,
            "POST",
            None,
            dict(call.headers),
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
        if "Location" in headers:
            response = _redirect(headers["Location"])
        else:  # pragma: no cover - oauthlib always redirects after a validated request
            response = self.message_page(
                status, "Error", "The authorization could not be completed."
            )
        response.cookies.append(CookieChange(CSRF_COOKIE, None, _cookie_path(server)))
        return response

    def _validate(self, call: OAuthCall) -> dict[str, Any] | OAuthResponse:
        """oauthlib's checks of the authorization request: what it says of the request, or
        the response for an invalid one (an error page, or a redirect back to a valid
        redirect URI)."""
        try:
            _scopes, info = self._oauth(call.server).validate_authorization_request(
                call.url, "GET", None, dict(call.headers)
            )
        except FatalClientError as exc:
            return self.message_page(
                400,
                "Invalid request",
                f"The application sent an invalid authorization request: {_describe(exc)}",
            )
        except OAuth2Error as exc:
            if exc.redirect_uri:
                return _redirect(exc.in_uri(exc.redirect_uri))
            return self.message_page(400, "Invalid request", _describe(exc))
        except ValueError:
            return self.message_page(
                400, "Invalid request", "The authorization request is not form-encoded."
            )
        result: dict[str, Any] = info
        return result

    def _form(
        self,
        call: OAuthCall,
        request_info: dict[str, Any],
        *,
        status: int,
        error: str | None = None,
        login: str = "",
    ) -> OAuthResponse:
        # Every form comes with a fresh cookie, whatever cookie the browser sent: a value
        # planted by someone else (a sibling subdomain can set cookies) must never be the one
        # the token is bound to.
        server = call.server
        cookie = secrets.token_urlsafe(24)
        client = request_info["request"].client
        action = f"{call.path}?{call.query}" if call.query else call.path
        page = self.render(
            "authorize.html",
            {
                "client_name": html.escape(client.name or client.client_id),
                "server_name": html.escape(server.name),
                "action": html.escape(action),
                "csrf_token": html.escape(_csrf_token(server, cookie, call.query)),
                "login": html.escape(login),
                "error": f'<p class="error">{html.escape(error)}</p>' if error else "",
            },
        )
        response = _page(status, page)
        response.cookies.append(
            CookieChange(
                CSRF_COOKIE,
                cookie,
                _cookie_path(server),
                max_age=int(CSRF_LIFE.total_seconds()),
                secure=call.secure,
            )
        )
        return response


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
