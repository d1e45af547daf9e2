"""`none`: no credentials at all, for tests and closed networks (allowed networks still apply)."""

from __future__ import annotations

from glpi_scim.identity.models import IdentityServer
from glpi_scim.security.methods.base import MethodEnvironment, SecurityMethod, Verifier


class NoneMethod(SecurityMethod):
    name = "none"
    label = "None"

    def verifier(self, environment: MethodEnvironment) -> Verifier | None:
        return None  # every request is let in, as "anonymous"

    def warnings(self, server: IdentityServer) -> list[str]:
        where = (
            f"from {', '.join(server.allowed_networks)}"
            if server.allowed_networks
            else "from anywhere (no --allow-network)"
        )
        return [
            f"identity server {server.name!r} uses security 'none': anyone who reaches it "
            f"{where} can create, change and delete GLPI users and groups"
        ]


def insecure_warning(server: IdentityServer) -> str | None:
    """A sentence for `server add` and `serve` when a server accepts unauthenticated requests."""
    if server.auth_method != NoneMethod.name:
        return None
    reach = (
        f"from {', '.join(server.allowed_networks)}"
        if server.allowed_networks
        else "from any address (no allowed networks are set)"
    )
    return (
        f"identity server {server.name!r} (id {server.id}) has no authentication: anyone who can "
        f"reach its SCIM endpoint {reach} can create, change and delete GLPI users and "
        "groups. Choose bearer, basic, digest or oauth2 security outside of tests."
    )
