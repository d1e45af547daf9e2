"""Everything the HTTP layer shares, built once per process: settings, database, repositories.

Nothing here holds per-request or per-client state: identity servers, tokens and the request
log live in the database, so any number of processes can serve behind a load balancer; what
authentication read of them is reused for at most `auth_cache_seconds` (the pipeline's
ServerDirectory, the Authenticator's token and failure caches).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from glpi_scim.config import ConfigError, Settings
from glpi_scim.db.database import Database, open_database
from glpi_scim.pipeline import RequestPipeline
from glpi_scim.security.authenticator import Authenticator
from glpi_scim.server.logwriter import BackgroundLogWriter
from glpi_scim.server.metrics import MetricsListener
from glpi_scim.servers.directory import ServerDirectory
from glpi_scim.servers.refusals import RefusalLimiter
from glpi_scim.servers.repository import ServerRepository
from glpi_scim.servers.requestlog import RequestLog, RequestLogEntry
from glpi_scim.servers.retention import Retention, parse_retention
from glpi_scim.servers.scim_factory import ScimServiceFactory
from glpi_scim.servers.stats import RequestStats, StatsRepository
from glpi_scim.servers.tokens import TokenRepository

log = logging.getLogger("glpi_scim.server")


@dataclass
class AppContext:
    settings: Settings
    database: Database
    servers: ServerRepository
    tokens: TokenRepository
    request_log: RequestLog
    authenticator: Authenticator
    # Server resolution, network, throttling and body limits of SCIM and OAuth2 routes.
    pipeline: RequestPipeline
    log_writer: BackgroundLogWriter[RequestLogEntry] = field(repr=False)
    # Request counts of every server, written every few seconds (`server status`).
    stats: RequestStats = field(repr=False)
    refusals: RefusalLimiter = field(default_factory=RefusalLimiter, repr=False)
    retention: Retention | None = field(default=None, repr=False)
    # /metrics on a listener of its own (metrics_listen), started by create_app.
    metrics_listener: MetricsListener | None = field(default=None, repr=False)
    # The SCIM service of each request's identity server (the CLI builds the same one).
    scim: ScimServiceFactory = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.scim = ScimServiceFactory(self.settings, self.database)

    @classmethod
    def create(cls, settings: Settings, database: Database | None = None) -> AppContext:
        try:
            keep = parse_retention(settings.log_retention)
        except ValueError as exc:
            raise ConfigError(f"log_retention: {exc}") from None
        database = database or open_database(settings)
        request_log = RequestLog(database)
        authenticator = Authenticator(database, settings)
        pipeline = RequestPipeline(
            ServerDirectory(database, settings.auth_cache_seconds),
            authenticator.throttle,
            max_body_bytes=settings.max_body_bytes,
            url_prefix=settings.url_prefix,
        )
        return cls(
            settings=settings,
            database=database,
            servers=ServerRepository(database),
            tokens=TokenRepository(database),
            request_log=request_log,
            authenticator=authenticator,
            pipeline=pipeline,
            log_writer=BackgroundLogWriter(request_log.record),
            refusals=RefusalLimiter(settings.log_refusals_per_minute),
            retention=Retention(database, keep),
            stats=RequestStats(
                StatsRepository(database), flush_seconds=max(settings.stats_flush_seconds, 1)
            ),
        )

    def close(self) -> None:
        """Write the queued request-log rows and counts, then release database connections."""
        if self.metrics_listener is not None:
            self.metrics_listener.close()
            self.metrics_listener = None
        self.log_writer.close()
        if self.retention is not None:
            self.retention.wait()
        self.stats.close()
        self.database.dispose()
