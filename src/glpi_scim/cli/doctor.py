"""`glpi-scim doctor SERVER`: check a running endpoint the way an identity provider uses it."""

from __future__ import annotations

import re
import shlex
from urllib.parse import urlsplit

import click

from glpi_scim.cli.context import console, fail, get_context, is_interactive, print_json
from glpi_scim.config import Settings
from glpi_scim.doctor.auth import BasicAuth, BearerAuth, ClientCredentialsAuth, DigestAuth
from glpi_scim.doctor.client import Auth, NoAuth, ScimClient, Transport
from glpi_scim.doctor.render import render
from glpi_scim.identity.models import IdentityServer

SCIM_VERSION_PATH = "/v2"

_SCIM_PATH = re.compile(r"/v2(/[^/]+)?/?$")


def service_base(url: str, url_prefix: str) -> str:
    """`https://host/scim/v2/3` -> `https://host`: the root that /oauth2/... hangs from."""
    trimmed = url.rstrip("/")
    parts = urlsplit(trimmed)
    match = _SCIM_PATH.search(parts.path)
    if match is None:
        return trimmed
    path = parts.path[: match.start()]
    if url_prefix and path.endswith(url_prefix):
        path = path[: -len(url_prefix)]
    return f"{parts.scheme}://{parts.netloc}{path}"


def endpoint_url(settings: Settings, server_id: int, url: str | None) -> str:
    """The SCIM base URL to test: --url as given when it already ends in /v2[/id]."""
    base = (url or settings.public_url or settings.base_url).rstrip("/")
    if _SCIM_PATH.search(urlsplit(base).path):
        return base
    return f"{base}{settings.url_prefix}{SCIM_VERSION_PATH}/{server_id}"


class _Credentials:
    def __init__(self, **options: object) -> None:
        self.token = _text(options.get("token"))
        self.bare_token = bool(options.get("bare_token"))
        self.username = _text(options.get("username"))
        self.password = _text(options.get("password"))
        self.client_id = _text(options.get("client_id"))
        self.client_secret = _text(options.get("client_secret"))
        self.token_url = _text(options.get("token_url"))


def _text(value: object) -> str | None:
    return str(value) if value not in (None, "") else None


def _password(creds: _Credentials, method: str) -> str:
    if creds.password is not None:
        return creds.password
    if is_interactive():
        return str(click.prompt(f"{method} password", hide_input=True))
    fail(f"the identity server uses {method}: give --password (or GLPI_SCIM_DOCTOR_PASSWORD)")


@click.command("doctor")
@click.argument("server")
@click.option(
    "--url",
    metavar="PUBLIC-URL",
    help="Base URL the identity provider uses (https://glpi.example.com), or the full SCIM URL "
    "ending in /v2/ID. Default: the public_url setting, else http://HOST:PORT of `serve`.",
)
@click.option("--token", help="Bearer token (bearer), or an OAuth2 access token (oauth2).")
@click.option(
    "--bare-token",
    is_flag=True,
    help="Send the token as `Authorization: TOKEN`, without `Bearer`, as Okta's HTTP Header "
    "mode does.",
)
@click.option("--username", help="Basic/Digest username (default: the server's).")
@click.option(
    "--password", envvar="GLPI_SCIM_DOCTOR_PASSWORD", help="Basic/Digest password (prompted)."
)
@click.option("--client-id", help="OAuth2 client id (client credentials grant).")
@click.option(
    "--client-secret", envvar="GLPI_SCIM_DOCTOR_CLIENT_SECRET", help="OAuth2 client secret."
)
@click.option("--token-url", help="OAuth2 token endpoint (default: BASE/oauth2/ID/token).")
@click.option("--timeout", type=float, default=15.0, show_default=True, help="Seconds per request.")
@click.option("--insecure", is_flag=True, help="Do not verify the server's TLS certificate.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
def doctor(
    server: str,
    url: str | None,
    timeout: float,
    insecure: bool,
    as_json: bool,
    **credentials: object,
) -> None:
    """Run a short, harmless provisioning cycle against a running SCIM endpoint.

    It does what an identity provider does: discovery (ServiceProviderConfig, Schemas,
    ResourceTypes), Entra ID's test-connection probe, then creates a temporary user and group
    named glpi-scim-doctor-..., finds them by filter, PATCHes the user, adds it to the group
    and deletes both. At the end, even when a step failed, the user and group it created are
    purged from GLPI's database (whatever the delete policy), leaving only their history rows.
    It authenticates with the identity server's own security method, using the credentials
    given as options.

    For a bearer server without --token, when run where it reaches the server's database,
    the doctor issues itself a 10-minute token through the token service (recorded like
    `glpi-scim token issue`) and revokes it after the run.

    Exit status 0 only when every check passes; the first failure is explained.
    """
    # Imported here: `glpi-scim --help` and other commands need none of this.
    from glpi_scim.identity.errors import ServerNotFound
    from glpi_scim.servers.repository import ServerRepository

    context = get_context()
    settings = context.settings()
    database = context.database(settings)
    try:
        identity = ServerRepository(database).get(server)
    except ServerNotFound as error:
        fail(str(error))
    creds = _Credentials(**credentials)
    target = endpoint_url(settings, identity.id, url or identity.public_url)
    transport = Transport(timeout=timeout, verify_tls=not insecure)
    base = service_base(target, settings.url_prefix)
    try:
        client = ScimClient(target, transport=transport)
    except ValueError as error:
        fail(str(error))
    auth = None
    if identity.auth_method != "bearer" or creds.token:
        auth = _auth_for(identity, creds, base, transport)
    from glpi_scim.doctor.run import run_doctor

    report = run_doctor(database, identity, client, base=base, label=_label(identity), auth=auth)
    if not identity.is_active:
        report.notes.append(
            f"the identity server is disabled: enable it with "
            f"`glpi-scim server enable {_label(identity)}`"
        )
    if as_json:
        print_json(report.to_json())
    else:
        render(report, console())
    if not report.ok:
        raise SystemExit(1)


def _auth_for(server: IdentityServer, creds: _Credentials, base: str, transport: Transport) -> Auth:
    method = server.auth_method
    if method in ("basic", "digest"):
        username = creds.username or server.auth_username
        if not username:
            fail(f"the identity server uses {method}: give --username")
        password = _password(creds, method)
        if method == "basic":
            return BasicAuth(username, password)
        return DigestAuth(username, password)
    if method == "bearer":
        assert creds.token is not None
        return BearerAuth(creds.token, bare=creds.bare_token)
    if method == "oauth2":
        if creds.client_id and creds.client_secret:
            token_url = creds.token_url or f"{base}/oauth2/{server.id}/token"
            return ClientCredentialsAuth(
                token_url, creds.client_id, creds.client_secret, transport=transport
            )
        if creds.token:
            return BearerAuth(creds.token)
        fail("the identity server uses oauth2: give --client-id and --client-secret")
    return NoAuth()


def _label(server: IdentityServer) -> str:
    return shlex.quote(server.name)


COMMANDS = [doctor]
