"""The SCIM service of one identity server, built from the settings and the database alone.

The HTTP layer builds one per request (server/resources.py), a CLI command one per call
(`glpi-scim users show --scim`): the same store, limits, tolerated extensions and
ServiceProviderConfig whichever asks, and no web framework needed to ask.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from glpi_scim.config import Settings
from glpi_scim.db.database import Database
from glpi_scim.glpi.history import ActorNames
from glpi_scim.glpi.policy import ProtectedAccountsCache
from glpi_scim.glpi.store import GlpiStore
from glpi_scim.identity.models import IdentityServer
from glpi_scim.scim.service import ScimService, ServiceSettings
from glpi_scim.security.methods.registry import authentication_schemes

# Page size of a list without `count` (settings.max_results caps what a client may ask for).
DEFAULT_PAGE_SIZE = 100
# URNs that IdPs send as documented, tolerated on every server without an option: Entra ID
# lists its ADSCIM Group schema in every POST /Groups (it carries no attribute).
ALWAYS_TOLERATED_EXTENSIONS = (
    "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group",
)


@dataclass(frozen=True)
class ScimServiceFactory:
    """Builds the ScimService of any identity server; one per process, shared by threads."""

    settings: Settings
    database: Database
    actor_names: ActorNames = field(init=False)
    protected_accounts: ProtectedAccountsCache = field(init=False)

    def __post_init__(self) -> None:
        # frozen: set once, here; shared by every request of the process.
        seconds = self.settings.auth_cache_seconds
        object.__setattr__(self, "actor_names", ActorNames(seconds))
        object.__setattr__(self, "protected_accounts", ProtectedAccountsCache(seconds))

    def service(
        self, server: IdentityServer, base_url: str, notes: list[str] | None = None
    ) -> ScimService:
        """The SCIM use cases of one identity server, for one request or command (`notes`:
        the request log's notes, which the store adds adoptions and skipped passwords to)."""
        return ScimService(
            GlpiStore(
                self.database,
                server,
                notes=notes,
                actor_names=self.actor_names,
                protected_accounts=self.protected_accounts,
            ),
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
            tolerated_extensions=tolerated_extensions(server),
            members_patch_no_content=server.options.members_patch_no_content is True,
            members_reply_limit=settings.members_patch_reply_limit,
            authentication_schemes=tuple(authentication_schemes(server)),
        )


def tolerated_extensions(server: IdentityServer) -> tuple[str, ...]:
    """The extension URNs whose data this server drops instead of refusing."""
    listed = server.options.tolerated_extensions
    return tuple(dict.fromkeys((*ALWAYS_TOLERATED_EXTENSIONS, *listed)))
