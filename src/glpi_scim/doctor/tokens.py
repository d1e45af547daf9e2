"""A short-lived bearer token for one doctor run, when the doctor shares the server's database.

It is issued and recorded by the same service as `glpi-scim token issue` (the endpoint accepts
only recorded tokens), lives ten minutes, and is revoked when the run ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from glpi_scim.db.database import Database
from glpi_scim.identity.models import IdentityServer
from glpi_scim.servers.audit import Actor
from glpi_scim.servers.service import ServerService

LIFETIME = timedelta(minutes=10)
COMMENT = "glpi-scim doctor (short-lived, revoked after the run)"


@dataclass(frozen=True)
class DoctorToken:
    token: str
    record_id: int


def issue_doctor_token(
    database: Database, server: IdentityServer, issuer: str, actor: Actor | None = None
) -> DoctorToken:
    issued = ServerService(database, actor).issue_token(
        server, issuer=issuer, lifetime=LIFETIME, comment=COMMENT
    )
    return DoctorToken(issued.token, issued.record.id)


def revoke_doctor_token(
    database: Database, server: IdentityServer, token: DoctorToken, actor: Actor | None = None
) -> None:
    ServerService(database, actor).revoke_token(server, token.record_id)
