"""What the pipeline refuses, as SCIM errors (the SCIM routes render them as they are) that
carry what another route family needs to word them its own way (OAuth2 JSON, an HTML page)."""

from __future__ import annotations

from glpi_scim.identity.models import IdentityServer
from glpi_scim.scim.errors import Forbidden, NotFound, PayloadTooLarge


class UnknownServer(NotFound):
    """404: the URL names no identity server (`ref` None: there is no default server)."""

    def __init__(self, ref: str | None, detail: str) -> None:
        super().__init__(detail)
        self.ref = ref


class WrongMethod(NotFound):
    """404: the server exists but does not use the security method these routes serve."""

    def __init__(self, server: IdentityServer) -> None:
        super().__init__(f"identity server {server.id} does not use {server.auth_method!r} here")
        self.server = server


class InactiveServer(Forbidden):
    def __init__(self, server: IdentityServer) -> None:
        super().__init__(
            f"identity server {server.id} is inactive; an administrator can enable it with "
            f"`glpi-scim server enable {server.id}`"
        )
        self.server = server


class OutsideNetworks(Forbidden):
    def __init__(self, server: IdentityServer, client_ip: str) -> None:
        super().__init__(
            f"Requests from {client_ip} are not allowed for this identity server "
            "(see its allowed networks)."
        )
        self.server = server
        self.client_ip = client_ip


class BodyTooLarge(PayloadTooLarge):
    def __init__(self, limit: int) -> None:
        super().__init__(f"the request body is larger than the {limit} bytes this server accepts")
        self.limit = limit
