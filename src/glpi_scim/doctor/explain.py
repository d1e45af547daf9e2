"""Plain-word explanations of what went wrong, for the administrator reading the checklist."""

from __future__ import annotations

from glpi_scim.doctor.auth import TokenRequestFailed, offered_schemes
from glpi_scim.doctor.client import ConnectionFailed, ScimResponse

_CREDENTIAL_HINTS = {
    "bearer": (
        "The bearer token is wrong, expired or revoked, or belongs to another identity server. "
        "Issue a new one with `glpi-scim token issue {server}` and paste it into the identity "
        "provider (and into `--token`)."
    ),
    "basic": (
        "The username or password does not match the identity server's Basic credentials. "
        "Check `glpi-scim server show {server}` for the username and set a new password with "
        "`glpi-scim server edit {server} --security basic --username ... --password ...`."
    ),
    "digest": (
        "The username or password does not match the identity server's Digest credentials. "
        "Check `glpi-scim server show {server}` for the username and set a new password with "
        "`glpi-scim server edit {server} --security digest --username ... --password ...`."
    ),
    "oauth2": (
        "The access token was refused. Check that the OAuth client belongs to this identity "
        "server and has not been deleted (`glpi-scim oauth client list {server}`)."
    ),
    "none": (
        "The endpoint asks for credentials although the identity server was read as "
        "'none': the URL probably reaches another identity server. Check the server id in "
        "the URL."
    ),
}


def explain_connection(error: ConnectionFailed) -> str:
    return (
        f"Nothing answered at {error.url} ({error.reason}). Check that `glpi-scim serve` is "
        "running and listens on that address and port, that the URL (--url, or the public_url "
        "setting) is the one the identity provider uses, and that no firewall or proxy stands "
        "in the way."
    )


def explain_token_request(error: TokenRequestFailed, server: str) -> str:
    if error.status in (400, 401) and error.error in ("invalid_client", "unauthorized_client", ""):
        return (
            f"The OAuth2 token endpoint refused the client credentials ({error}). Check "
            f"--client-id and --client-secret against `glpi-scim oauth client list {server}`, "
            "and that the client may use the client_credentials grant."
        )
    if error.status == 404:
        return (
            f"There is no OAuth2 token endpoint at {error.url}. Check --url (or --token-url) and "
            "that the identity server uses the oauth2 security method."
        )
    return f"The OAuth2 token endpoint failed: {error}."


def explain_response(response: ScimResponse, *, auth_method: str, server: str) -> str:
    """Why an unexpected status happened, and what to do, in a few sentences."""
    status = response.status
    detail = response.error_detail
    said = f' The server said: "{detail}".' if detail else ""
    if status == 401:
        schemes = sorted(set(offered_schemes(response)))
        asked = ", ".join(schemes) if schemes else "no scheme"
        hint = _CREDENTIAL_HINTS.get(auth_method, "").format(server=server)
        mismatch = ""
        expected = {"basic": "basic", "digest": "digest", "bearer": "bearer", "oauth2": "bearer"}
        wanted = expected.get(auth_method)
        if wanted and schemes and wanted not in schemes:
            mismatch = (
                f" The server asks for {asked} authentication, not {auth_method}: the "
                "identity server's security method differs from the one tested."
            )
        return (
            f"401 Unauthorized: the credentials were refused (challenge: {asked}).{mismatch} "
            f"{hint}{said}"
        )
    if status == 403:
        lowered = detail.lower()
        if "inactive" in lowered or "disabled" in lowered:
            return (
                "403 Forbidden: the identity server is inactive, so it refuses every request. "
                f"Enable it with `glpi-scim server enable {server}`.{said}"
            )
        if "network" in lowered or "address" in lowered or "allowed" in lowered:
            return (
                "403 Forbidden: this machine's address is not in the identity server's allowed "
                f"networks. Add it with `glpi-scim server edit {server} --allow-network CIDR`, "
                f"or run the doctor from an allowed address.{said}"
            )
        return (
            "403 Forbidden: the server refuses this client. The identity server may be "
            "inactive or your address outside its allowed networks "
            f"(`glpi-scim server show {server}`).{said}"
        )
    if status == 404:
        return (
            f"404 Not Found at {response.url}: no SCIM endpoint answers there. Check the "
            "identity server id in the URL and the url_prefix setting (`glpi-scim server show "
            f"{server}` prints the URL to give the identity provider).{said}"
        )
    if status == 429:
        wait = response.headers.get("retry-after", "a few")
        return (
            "429 Too Many Requests: too many failed authentications from this address; the "
            f"server blocks it for {wait} seconds. Fix the credentials, then wait and retry.{said}"
        )
    if status == 503:
        return (
            "503 Service Unavailable: the server cannot reach GLPI's database right now. Check "
            f"the database and `glpi-scim db check`.{said}"
        )
    if status >= 500:
        return (
            f"{status}: the server failed while handling the request. Its log (the output of "
            "`glpi-scim serve`) has the traceback under the request id; `glpi-scim logs tail "
            f"{server}` shows the request.{said}"
        )
    return f"{status}: the server refused the request.{said}"
