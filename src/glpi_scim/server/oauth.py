"""OAuth2 routes of an identity server: /oauth2/{server}/authorize, /token and /revoke.

A thin falcon adapter: the request pipeline (glpi_scim.pipeline) finds and admits the server,
the framework-free endpoints (glpi_scim.security.oauth_endpoints, over oauthlib) answer, and
this module turns falcon's request into theirs and their answer into falcon's response. The
pages' templates live here, in `templates/`.
"""

from __future__ import annotations

import functools
import importlib.resources
import string
from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING

import falcon

from glpi_scim.pipeline import OAUTH_MACHINE, OAUTH_PAGE, Incoming, Route
from glpi_scim.pipeline.refusals import (
    BodyTooLarge,
    InactiveServer,
    OutsideNetworks,
    UnknownServer,
    WrongMethod,
)
from glpi_scim.scim.errors import ScimError
from glpi_scim.security.networks import client_address
from glpi_scim.security.oauth_endpoints import (
    CSRF_COOKIE,
    OAuthCall,
    OAuthEndpoints,
    OAuthResponse,
    json_error,
)
from glpi_scim.security.throttle import TooManyFailures
from glpi_scim.server.urls import request_base_url

if TYPE_CHECKING:  # the routes only use the context's settings, database, pipeline
    from glpi_scim.server.context import AppContext

__all__ = ["CSRF_COOKIE", "add_oauth_routes"]


def add_oauth_routes(app: falcon.App, context: AppContext) -> None:  # type: ignore[type-arg]
    endpoints = OAuthEndpoints(
        context.database,
        context.pipeline.throttle,
        _render,
        grant_lifetime=timedelta(days=context.settings.oauth_grant_lifetime_days),
    )
    app.add_route("/oauth2/{server}/authorize", AuthorizeResource(context, endpoints))
    app.add_route("/oauth2/{server}/token", TokenResource(context, endpoints))
    app.add_route("/oauth2/{server}/revoke", RevokeResource(context, endpoints))


@functools.cache
def _template(name: str) -> string.Template:
    source = importlib.resources.files("glpi_scim.server") / "templates" / name
    return string.Template(source.read_text(encoding="utf-8"))


def _render(name: str, fields: Mapping[str, str]) -> str:
    return _template(name).substitute(fields)


def _refusal(refused: ScimError) -> tuple[int, str, str]:
    """A pipeline refusal in OAuth2's words: (status, error code, message)."""
    if isinstance(refused, UnknownServer):
        return 404, "invalid_request", f"There is no identity server {refused.ref!r}."
    if isinstance(refused, WrongMethod):
        return 404, "invalid_request", f"Identity server {refused.server.id} does not use OAuth 2."
    if isinstance(refused, InactiveServer):
        return 403, "access_denied", f"Identity server {refused.server.id} is inactive."
    if isinstance(refused, OutsideNetworks):
        return 403, "access_denied", f"Requests from {refused.client_ip} are not allowed."
    if isinstance(refused, BodyTooLarge):
        return 413, "invalid_request", "The request body is too large."
    return refused.status, "access_denied", refused.detail


class _OAuthResource:
    # The pipeline runs here, so that its refusals are OAuth2's (the middleware skips it).
    runs_pipeline = True
    route: Route = OAUTH_MACHINE

    def __init__(self, context: AppContext, endpoints: OAuthEndpoints) -> None:
        self.context = context
        self.pipeline = context.pipeline
        self.endpoints = endpoints

    def _call(self, req: falcon.Request, ref: str, *, read_body: bool) -> OAuthCall:
        """The admitted call; a pipeline refusal (ScimError) otherwise."""
        client_ip = self._client_ip(req)
        incoming = Incoming(
            method=req.method,
            params={"server": ref},
            headers=req.headers_lower,
            client_ip=client_ip,
            body=req.bounded_stream,
        )
        server = self.pipeline.find(ref, self.route)
        admission = self.pipeline.admit(server, incoming, self.route)
        return OAuthCall(
            server=server,
            method=req.method,
            url=req.url,
            path=req.path,
            query=req.query_string,
            headers={name.title(): value for name, value in req.headers.items()},
            client_ip=client_ip,
            body=self.pipeline.read_body(incoming) if read_body else None,
            had_failures=admission.had_failures,
            csrf_cookies=tuple(req.get_cookie_values(CSRF_COOKIE) or ()),
            secure=request_base_url(req, self.context.settings).startswith("https:"),
        )

    def _client_ip(self, req: falcon.Request) -> str:
        known = getattr(req.context, "client_ip", None)
        if known:
            return str(known)
        return client_address(
            req.remote_addr or "",
            req.get_header("X-Forwarded-For"),
            self.context.settings.trusted_proxies,
        )


class _MachineEndpoint(_OAuthResource):
    def on_post(self, req: falcon.Request, resp: falcon.Response, server: str) -> None:
        try:
            call = self._call(req, server, read_body=True)
        except TooManyFailures as blocked:
            answer = json_error(429, "access_denied", blocked.detail, blocked.headers)
        except ScimError as refused:
            answer = json_error(*_refusal(refused))
        else:
            answer = self.answer(call)
        send(resp, answer)

    def answer(self, call: OAuthCall) -> OAuthResponse:
        raise NotImplementedError


class TokenResource(_MachineEndpoint):
    def answer(self, call: OAuthCall) -> OAuthResponse:
        return self.endpoints.token(call)


class RevokeResource(_MachineEndpoint):
    def answer(self, call: OAuthCall) -> OAuthResponse:
        return self.endpoints.revoke(call)


class AuthorizeResource(_OAuthResource):
    route = OAUTH_PAGE

    def on_get(self, req: falcon.Request, resp: falcon.Response, server: str) -> None:
        self._page(req, resp, server, read_body=False)

    def on_post(self, req: falcon.Request, resp: falcon.Response, server: str) -> None:
        self._page(req, resp, server, read_body=True)

    def _page(
        self, req: falcon.Request, resp: falcon.Response, ref: str, *, read_body: bool
    ) -> None:
        try:
            call = self._call(req, ref, read_body=read_body)
        except ScimError as refused:
            status, _error, message = _refusal(refused)
            send(resp, self.endpoints.message_page(status, "Not available", message))
            return
        if read_body:
            send(resp, self.endpoints.authorize_decision(call))
        else:
            send(resp, self.endpoints.authorize_form(call))


def send(resp: falcon.Response, answer: OAuthResponse) -> None:
    resp.status = answer.status
    for name, value in answer.headers.items():
        resp.set_header(name, value)
    if answer.content_type is not None:
        resp.content_type = answer.content_type
    for cookie in answer.cookies:
        if cookie.value is None:
            resp.unset_cookie(cookie.name, path=cookie.path)
        else:
            resp.set_cookie(
                cookie.name,
                cookie.value,
                max_age=cookie.max_age,
                path=cookie.path,
                secure=cookie.secure,
                http_only=True,
                same_site="Strict",
            )
    resp.data = answer.body
