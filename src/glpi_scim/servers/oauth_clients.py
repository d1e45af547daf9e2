"""The OAuth2 clients of an identity server as administrators change them: registration and
removal recorded in the audit, for the CLI and the web console alike."""

from __future__ import annotations

from collections.abc import Sequence

from glpi_scim.db.database import Database
from glpi_scim.identity.models import IdentityServer
from glpi_scim.security.oauth_clients import OAuthClient, OAuthClientRepository, RegisteredClient
from glpi_scim.servers.audit import Actor, AuditLog


class OAuthClientService:
    """Registration and removal of a server's clients, recorded in the audit: what the CLI and
    the web console both call."""

    def __init__(self, database: Database, actor: Actor | None = None) -> None:
        self.repository = OAuthClientRepository(database)
        self.audit = AuditLog(database)
        self.actor = actor or Actor.cli()

    def list_for(self, server: IdentityServer) -> list[OAuthClient]:
        return self.repository.list_for(server.id)

    def get(self, server: IdentityServer, client_id: str) -> OAuthClient | None:
        return self.repository.get(server.id, client_id)

    def register(
        self,
        server: IdentityServer,
        *,
        redirect_uris: Sequence[str] = (),
        grant_types: Sequence[str] = (),
        public: bool = False,
        name: str | None = None,
    ) -> RegisteredClient:
        registered = self.repository.register(
            server.id, redirect_uris=redirect_uris, grant_types=grant_types, public=public,
            name=name,
        )  # fmt: skip
        client = registered.client
        kind = "public" if client.is_public else "confidential"
        self.audit.record(
            self.actor,
            server.id,
            server.name,
            "OAuth client registered",
            f"client {client.client_id} ({kind}; {', '.join(client.grant_types)})",
        )
        return registered

    def remove(self, server: IdentityServer, client_id: str) -> bool:
        removed = self.repository.remove(server.id, client_id)
        if removed:
            self.audit.record(
                self.actor, server.id, server.name, "OAuth client removed", f"client {client_id}"
            )
        return removed
