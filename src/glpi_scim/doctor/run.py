"""One doctor run against a server's endpoint, with the server's own notes: what `glpi-scim
doctor` and the web console's doctor page both call.

For a bearer server without a token given, a 10-minute token is issued through the token
service (and so in the audit, as `actor`) and revoked after the run.
"""

from __future__ import annotations

from glpi_scim.db.database import Database
from glpi_scim.doctor.auth import BearerAuth
from glpi_scim.doctor.checks import Doctor
from glpi_scim.doctor.cleanup import database_purge
from glpi_scim.doctor.client import Auth, ScimClient
from glpi_scim.doctor.report import DoctorReport
from glpi_scim.doctor.tokens import issue_doctor_token, revoke_doctor_token
from glpi_scim.identity.models import IdentityServer
from glpi_scim.servers.audit import Actor
from glpi_scim.servers.service import ServerService

TOKEN_NOTE = "bearer: a 10-minute token was issued for this run and is now revoked"  # noqa: S105


def run_doctor(
    database: Database,
    identity: IdentityServer,
    client: ScimClient,
    *,
    base: str,
    label: str,
    auth: Auth | None,
    actor: Actor | None = None,
) -> DoctorReport:
    """Run every check; `auth` None on a bearer server: a short-lived token of its own."""
    issued = None
    if auth is None:
        issued = issue_doctor_token(database, identity, base, actor)
        auth = BearerAuth(issued.token)
    client.auth = auth
    try:
        report = Doctor(
            client,
            server_label=label,
            auth_method=identity.auth_method,
            purge=database_purge(database, identity),
        ).run()
    finally:
        if issued is not None:
            revoke_doctor_token(database, identity, issued, actor)
    if issued is not None:
        report.notes.append(TOKEN_NOTE)
    # What GLPI's rules will refuse this server (policy.py): a right its applied user lacks.
    report.notes.extend(ServerService(database, actor).rights_warnings(identity))
    return report
