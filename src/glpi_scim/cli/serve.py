"""`glpi-scim serve`: the SCIM endpoint under waitress, in the foreground."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click
from rich.markup import escape

from glpi_scim import __version__
from glpi_scim.cli.context import EXIT_UNUSABLE, CliError, console, get_context, warn
from glpi_scim.config import ConfigError, Settings
from glpi_scim.db.database import Database, DatabaseError
from glpi_scim.db.schema import SchemaError, check_schema, initialise_embedded
from glpi_scim.identity.models import IdentityServer
from glpi_scim.security.networks import validate_cidr
from glpi_scim.server.firstrun import FirstRunServer, create_first_server
from glpi_scim.server.urls import scim_base_url

if TYPE_CHECKING:
    from glpi_scim.server.metrics import MetricsListener


@click.command("serve")
@click.option("--host", default=None, help="Address to listen on (default 127.0.0.1).")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=None,
    help="Port (default 8080; 0 picks a free one).",
)
@click.option(
    "--threads", type=click.IntRange(1, 512), default=None, help="Worker threads (default 8)."
)
@click.option(
    "--url-prefix",
    default=None,
    metavar="PATH",
    help="Path prefix of the SCIM endpoints (default /scim).",
)
@click.option(
    "--public-url",
    default=None,
    metavar="URL",
    help="External base URL clients use (https://glpi.example.com); used in printed URLs, "
    "Location headers and meta.location.",
)
@click.option(
    "--trusted-proxy",
    "trusted_proxies",
    multiple=True,
    metavar="CIDR",
    help="Reverse proxy address or network whose X-Forwarded-For/-Proto/-Host headers are "
    "believed (repeatable).",
)
@click.option(
    "--console/--no-console",
    "console_enabled",
    default=None,
    help="Serve the web console (the console_enabled setting; off by default).",
)
@click.option(
    "--console-path",
    default=None,
    metavar="PATH",
    help="Path of the web console (default /console).",
)
def serve_command(
    host: str | None,
    port: int | None,
    threads: int | None,
    url_prefix: str | None,
    public_url: str | None,
    trusted_proxies: tuple[str, ...],
    console_enabled: bool | None,
    console_path: str | None,
) -> None:
    """Serve the SCIM endpoints of every identity server until SIGTERM or Ctrl-C.

    Checks the database schema first. On the embedded SQLite database, the first start
    creates the database and, when there is no identity server yet, a default one with bearer
    security whose URL and token are printed once.
    """
    from glpi_scim.server.app import create_app
    from glpi_scim.server.context import AppContext
    from glpi_scim.server.logconfig import configure_logging
    from glpi_scim.server.runner import GracefulServer

    cli = get_context()
    settings = cli.settings(
        host=host,
        port=port,
        threads=threads,
        url_prefix=url_prefix,
        public_url=public_url,
        trusted_proxies=_valid_networks(trusted_proxies),
        console_enabled=console_enabled,
        console_path=console_path,
    )
    _valid_networks(settings.trusted_proxies)
    try:
        configure_logging(settings.log_level, settings.log_format)
    except ValueError as exc:
        raise CliError(f"logging: {exc}", EXIT_UNUSABLE) from None
    database = cli.database(settings)
    _prepare_schema(database)

    context = AppContext.create(settings, database)
    try:
        server = GracefulServer(
            create_app(settings, context=context),
            host=settings.host,
            port=settings.port,
            threads=settings.threads,
            max_body_bytes=settings.max_body_bytes,
            connection_limit=settings.connection_limit,
            request_timeout=settings.request_timeout,
            idle_timeout=settings.idle_timeout,
        )
    except ConfigError as exc:
        context.close()
        raise CliError(str(exc), EXIT_UNUSABLE) from None
    except OSError as exc:
        context.close()
        raise CliError(
            f"cannot listen on {settings.host}:{settings.port}: {exc.strerror or exc}",
            EXIT_UNUSABLE,
        ) from None

    base_url = (
        settings.public_url.rstrip("/")
        if settings.public_url
        else _local_url(server.host, server.port)
    )
    first = None
    if database.is_sqlite and not context.servers.list_all():
        first = create_first_server(context, base_url)
    _announce(settings, database, context.servers.list_all(), base_url, first)
    _announce_metrics(settings, context.metrics_listener, base_url)
    if settings.console_enabled:
        console().print(f"  Web console: {escape(base_url)}{escape(settings.console_path)}/")
        sys.stdout.flush()
    server.install_signal_handlers()
    try:
        server.serve()
    finally:
        context.close()
    console().print("glpi-scim stopped.")


def _valid_networks(values: tuple[str, ...]) -> tuple[str, ...]:
    checked = []
    for value in values:
        try:
            checked.append(validate_cidr(value))
        except ValueError as exc:
            raise CliError(f"trusted proxy {value!r}: {exc}", EXIT_UNUSABLE) from None
    return tuple(checked)


def _prepare_schema(database: Database) -> None:
    """Refuse to serve a schema the tool cannot use; the embedded file is set up on first use."""
    try:
        if database.is_sqlite:
            initialise_embedded(database)
        check_schema(database).raise_if_unusable()
    except (DatabaseError, SchemaError) as exc:
        raise CliError(str(exc), EXIT_UNUSABLE) from None


def _local_url(host: str, port: int) -> str:
    shown = "localhost" if host in ("0.0.0.0", "::", "") else host  # noqa: S104
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


def _announce(
    settings: Settings,
    database: Database,
    servers: list[IdentityServer],
    base_url: str,
    first: FirstRunServer | None,
) -> None:
    out = console()
    where = escape(database.url_display)
    out.print(f"glpi-scim {__version__} serving on {escape(base_url)} (database {where})")
    if first is not None:
        out.print(
            f"[bold green]Created identity server {escape(first.server.name)!r} "
            f"(id {first.server.id}, bearer, default).[/]"
        )
        out.print(f"Bearer token (shown once, keep it secret): {first.token}")
    active = [server for server in servers if server.is_active]
    if not servers:
        out.print(
            "No identity server yet: add one with `glpi-scim server add NAME --applied-user LOGIN`."
        )
    elif not active:
        out.print(
            "Every identity server is inactive: enable one with `glpi-scim server enable ID`."
        )
    for server in active:
        url = scim_base_url(base_url, settings.url_prefix, server.id)
        out.print(f"  server {server.id} {escape(server.name)!r} ({server.auth_method}): {url}")
        if server.is_default:
            out.print(
                f"    default server, also at {scim_base_url(base_url, settings.url_prefix, None)}"
            )
        if server.auth_method == "none":
            warn(
                f"identity server {server.id} {server.name!r} has security 'none': anyone who "
                "reaches this port can read and change GLPI users and groups"
            )
    sys.stdout.flush()


def _announce_metrics(settings: Settings, listener: MetricsListener | None, base_url: str) -> None:
    if not settings.metrics_enabled:
        return
    if not settings.metrics_listen:
        console().print(f"  Prometheus metrics: {escape(base_url)}/metrics")
    elif listener is not None:
        console().print(f"  Prometheus metrics: {listener.url}")
    else:
        warn(f"Prometheus metrics not served: cannot listen on {escape(settings.metrics_listen)}")
    sys.stdout.flush()


COMMANDS = [serve_command]
