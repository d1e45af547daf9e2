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
from glpi_scim.glpi.database import Database, open_database
from glpi_scim.glpi.store import GlpiStore
from glpi_scim.pipeline import RequestPipeline
from glpi_scim.scim.service import ScimService, ServiceSettings
from glpi_scim.security.authenticator import Authenticator
from glpi_scim.server.logwriter import BackgroundLogWriter
from glpi_scim.server.metrics import MetricsListener
from glpi_scim.servers.directory import ServerDirectory
from glpi_scim.servers.models import IdentityServer
from glpi_scim.servers.refusals import RefusalLimiter
from glpi_scim.servers.repository import ServerRepository
from glpi_scim.servers.requestlog import RequestLog, RequestLogEntry
from glpi_scim.servers.retention import Retention, parse_retention
from glpi_scim.servers.stats import RequestStats, StatsRepository
from glpi_scim.servers.tokens import TokenRepository

log = logging.getLogger("glpi_scim.server")

# Page size of a list without `count` (settings.max_results caps what a client may ask for).
DEFAULT_PAGE_SIZE = 100
# Server options read here (`glpi-scim server edit ID --option NAME=VALUE`):
# extension URNs an IdP sends that are dropped instead of refused;
TOLERATED_EXTENSIONS_OPTION = "tolerated_extensions"
# answer 204 instead of 200 + the group to a PATCH that only edits members (RFC 7644 §3.5.2
# allows both; 204 spares reading a large group back, 200 is what most clients expect).
MEMBERS_PATCH_NO_CONTENT_OPTION = "members_patch_no_content"
# URNs that IdPs send as documented, tolerated on every server without an option: Entra ID
# lists its ADSCIM Group schema in every POST /Groups (it carries no attribute).
ALWAYS_TOLERATED_EXTENSIONS = (
    "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group",
)


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

    def service_for(
        self, server: IdentityServer, base_url: str, notes: list[str] | None = None
    ) -> ScimService:
        """The SCIM use cases of one identity server, for one request (`notes`: the request
        log's notes, which the store adds adoptions and skipped passwords to)."""
        return ScimService(
            GlpiStore(self.database, server, notes=notes),
            self.service_settings(server),
            base_url=base_url,
        )

    def service_settings(self, server: IdentityServer) -> ServiceSettings:
        """What this server supports, as the core applies it and /ServiceProviderConfig says."""
        settings = self.settings
        return ServiceSettings(
            max_results=settings.max_results,
            default_count=min(DEFAULT_PAGE_SIZE, settings.max_results),
            bulk_max_payload_size=settings.max_body_bytes,
            max_patch_operations=settings.max_patch_operations,
            max_filter_clauses=settings.max_filter_clauses,
            value_limits={
                "emails": settings.max_emails_per_user,
                "phoneNumbers": settings.max_phones_per_user,
            },
            bulk_max_operations=settings.max_bulk_operations,
            # The SCIM password becomes the GLPI password only with password sync on.
            change_password=server.password_sync,
            tolerated_extensions=_tolerated_extensions(server),
            members_patch_no_content=server.options.get(MEMBERS_PATCH_NO_CONTENT_OPTION) is True,
            members_reply_limit=settings.members_patch_reply_limit,
            authentication_schemes=tuple(self.authenticator.authentication_schemes(server)),
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


def _tolerated_extensions(server: IdentityServer) -> tuple[str, ...]:
    value = server.options.get(TOLERATED_EXTENSIONS_OPTION)
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list):
        return ALWAYS_TOLERATED_EXTENSIONS
    listed = (item.strip() for item in value if isinstance(item, str) and item.strip())
    return tuple(dict.fromkeys((*ALWAYS_TOLERATED_EXTENSIONS, *listed)))
