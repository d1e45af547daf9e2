"""The falcon WSGI application: `create_app(settings)`, and `app` for gunicorn.

`gunicorn glpi_scim.server.app:app` reads its settings from GLPI_SCIM_* environment variables
(and GLPI_SCIM_CONFIG / ./glpi-scim.toml); the application is built on the first request, so
importing this module opens nothing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any

import falcon

from glpi_scim.config import Settings, load_settings
from glpi_scim.server.context import AppContext
from glpi_scim.server.errors import error_document, install_error_handlers
from glpi_scim.server.health import Health
from glpi_scim.server.media import RESPONSE_CONTENT_TYPE, SCIM_MEDIA_TYPE, dump_json
from glpi_scim.server.metrics import METRICS_PATH, MetricsResource, start_metrics_listener
from glpi_scim.server.middleware import middleware
from glpi_scim.server.openapi import OpenApiDocument
from glpi_scim.server.resources import add_scim_routes

log = logging.getLogger("glpi_scim.server")

StartResponse = Callable[..., Any]


class ScimApp(falcon.App[falcon.Request, falcon.Response]):
    """falcon.App that keeps its AppContext (tests flush its request-log writer)."""

    context: AppContext

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        # One pooled connection serves the whole request; it is back in the pool before the
        # body is sent (every response body is built in full first).
        with self.context.database.request_scope():
            return super().__call__(environ, start_response)


def create_app(settings: Settings | None = None, *, context: AppContext | None = None) -> ScimApp:
    """The application for `settings` (default: from the environment).

    `context` lets a caller that already opened the database (`serve`, tests) share it.
    """
    if context is None:
        context = AppContext.create(settings or load_settings())
    app = ScimApp(media_type=SCIM_MEDIA_TYPE, middleware=middleware(context))
    app.context = context
    app.req_options.strip_url_path_trailing_slash = True
    app.req_options.auto_parse_qs_csv = False
    app.req_options.keep_blank_qs_values = True
    app.resp_options.default_media_type = SCIM_MEDIA_TYPE
    install_error_handlers(app, statement_timeout=context.settings.statement_timeout)
    app.add_route("/healthz", Health(context.database))
    app.add_route("/openapi.json", OpenApiDocument(context.settings))
    add_scim_routes(app, context)
    _add_oauth_routes(app, context)
    if context.settings.console_enabled:
        from glpi_scim.server.console import add_console_routes

        add_console_routes(app, context)
    if context.settings.metrics_enabled:
        if context.settings.metrics_listen:
            if context.metrics_listener is None:
                context.metrics_listener = start_metrics_listener(context.settings)
        else:
            app.add_route(METRICS_PATH, MetricsResource())
    return app


def _add_oauth_routes(app: ScimApp, context: AppContext) -> None:
    from glpi_scim.server.oauth import add_oauth_routes

    add_oauth_routes(app, context)


class LazyApp:
    """A WSGI callable that builds the application on first use, once per process.

    When building fails (bad settings, database unusable), the request gets a SCIM 503 and
    the next request tries again, so a worker recovers once the cause is fixed.
    """

    def __init__(self, factory: Callable[[], ScimApp] | None = None) -> None:
        self._factory = factory or self._from_environment
        self._app: ScimApp | None = None
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        app = self._app
        if app is None:
            try:
                app = self._build()
            except Exception as exc:
                log.error("cannot start the SCIM application: %s", exc, exc_info=exc)
                return _unavailable(start_response)
        return app(environ, start_response)

    def _build(self) -> ScimApp:
        with self._lock:
            if self._app is None:
                self._app = self._factory()
            return self._app

    @staticmethod
    def _from_environment() -> ScimApp:
        from glpi_scim.db.schema import require_usable_schema
        from glpi_scim.server.logconfig import configure_logging

        settings = load_settings()
        configure_logging(settings.log_level, settings.log_format)
        context = AppContext.create(settings)
        try:
            require_usable_schema(context.database)
        except Exception:
            context.database.dispose()
            raise
        return create_app(settings, context=context)


def _unavailable(start_response: StartResponse) -> list[bytes]:
    body = dump_json(
        error_document(
            503,
            "the service is not ready: its configuration or database is "
            "unusable (see the server log)",
        )
    )
    start_response(
        "503 Service Unavailable",
        [
            ("Content-Type", RESPONSE_CONTENT_TYPE),
            ("Content-Length", str(len(body))),
            ("Retry-After", "30"),
        ],
    )
    return [body]


app = LazyApp()
