"""Client-side credentials for the security methods an identity server can require.

Basic and Bearer are one header each. Digest (RFC 7616) answers the server's challenge, prefers
SHA-256 over MD5, counts nonce uses and follows `stale=true`. OAuth2 client credentials first
asks the server's token endpoint for an access token, then sends it as a Bearer token.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from dataclasses import dataclass
from urllib.parse import quote, urlencode, urlsplit

from glpi_scim.doctor.client import PreparedRequest, ScimResponse, Transport
from glpi_scim.errors import GlpiScimError


class BasicAuth:
    def __init__(self, username: str, password: str) -> None:
        pair = f"{username}:{password}".encode()
        self._header = "Basic " + base64.b64encode(pair).decode("ascii")

    def prepare(self, request: PreparedRequest) -> None:
        request.headers["Authorization"] = self._header

    def retry_after_challenge(self, request: PreparedRequest, response: ScimResponse) -> bool:
        return False


class BearerAuth:
    """`Authorization: Bearer <token>`, or the bare token when `bare` (Okta's header mode)."""

    def __init__(self, token: str, *, bare: bool = False) -> None:
        self._header = token if bare else f"Bearer {token}"

    def prepare(self, request: PreparedRequest) -> None:
        request.headers["Authorization"] = self._header

    def retry_after_challenge(self, request: PreparedRequest, response: ScimResponse) -> bool:
        return False


# --- challenge parsing --------------------------------------------------------------------
_TCHARS = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_PARAM = re.compile(rf'\s*,?\s*({_TCHARS})\s*=\s*("(?:[^"\\]|\\.)*"|[^,\s]*)')
_SCHEME = re.compile(rf"\s*,?\s*({_TCHARS})(?:\s+|\s*$|(?=,))")


@dataclass(frozen=True)
class Challenge:
    scheme: str  # lower-cased
    params: dict[str, str]  # lower-cased names, unquoted values


def parse_challenges(values: tuple[str, ...] | list[str]) -> list[Challenge]:
    """Every challenge of the WWW-Authenticate header values, in order."""
    found: list[Challenge] = []
    for value in values:
        position = 0
        current: Challenge | None = None
        while position < len(value):
            param = _PARAM.match(value, position)
            if param and current is not None:
                raw = param.group(2)
                if raw.startswith('"'):
                    raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
                current.params[param.group(1).lower()] = raw
                position = param.end()
                continue
            scheme = _SCHEME.match(value, position)
            if scheme is None or scheme.end() == position:
                break
            current = Challenge(scheme.group(1).lower(), {})
            found.append(current)
            position = scheme.end()
    return found


def offered_schemes(response: ScimResponse) -> list[str]:
    """The schemes a 401 asks for, lower-cased (`["digest", "digest"]`, `["bearer"]`)."""
    return [challenge.scheme for challenge in parse_challenges(response.challenges)]


# --- Digest -------------------------------------------------------------------------------
_HASHES = {"SHA-256": hashlib.sha256, "MD5": hashlib.md5}


def _digest_hash(algorithm: str, text: str) -> str:
    base = algorithm.upper().removesuffix("-SESS")
    return _HASHES[base](text.encode("utf-8")).hexdigest()


def _preference(challenge: Challenge) -> int:
    algorithm = challenge.params.get("algorithm", "MD5").upper().removesuffix("-SESS")
    return {"SHA-256": 0, "MD5": 1}.get(algorithm, 9)


class DigestAuth:
    def __init__(self, username: str, password: str) -> None:
        self.username = username
        self.password = password
        self._challenge: Challenge | None = None
        self._count = 0

    def prepare(self, request: PreparedRequest) -> None:
        if self._challenge is not None:
            request.headers["Authorization"] = self._authorization(request)

    def retry_after_challenge(self, request: PreparedRequest, response: ScimResponse) -> bool:
        usable = [
            challenge
            for challenge in parse_challenges(response.challenges)
            if challenge.scheme == "digest" and _preference(challenge) < 9
        ]
        if not usable:
            return False
        chosen = min(usable, key=_preference)
        stale = chosen.params.get("stale", "").lower() == "true"
        # Credentials already sent for a fresh nonce were refused: sending them again is useless.
        if "Authorization" in request.headers and not stale:
            return False
        self._challenge = chosen
        self._count = 0
        request.headers["Authorization"] = self._authorization(request)
        return True

    def _authorization(self, request: PreparedRequest) -> str:
        assert self._challenge is not None
        params = self._challenge.params
        algorithm = params.get("algorithm", "MD5")
        realm = params.get("realm", "")
        nonce = params.get("nonce", "")
        self._count += 1
        nc = f"{self._count:08x}"
        cnonce = os.urandom(8).hex()
        ha1 = _digest_hash(algorithm, f"{self.username}:{realm}:{self.password}")
        if algorithm.upper().endswith("-SESS"):
            ha1 = _digest_hash(algorithm, f"{ha1}:{nonce}:{cnonce}")
        ha2 = _digest_hash(algorithm, f"{request.method}:{request.target}")
        qops = [q.strip() for q in params.get("qop", "").split(",") if q.strip()]
        fields = [
            f'username="{self.username}"',
            f'realm="{realm}"',
            f'nonce="{nonce}"',
            f'uri="{request.target}"',
            f"algorithm={algorithm}",
        ]
        if "auth" in qops:
            response = _digest_hash(algorithm, f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}")
            fields += ["qop=auth", f"nc={nc}", f'cnonce="{cnonce}"']
        else:
            response = _digest_hash(algorithm, f"{ha1}:{nonce}:{ha2}")
        fields.append(f'response="{response}"')
        if "opaque" in params:
            fields.append(f'opaque="{params["opaque"]}"')
        return "Digest " + ", ".join(fields)


# --- OAuth2 client credentials ------------------------------------------------------------
class TokenRequestFailed(GlpiScimError):
    """The token endpoint refused to issue an access token; the message says why."""

    def __init__(self, url: str, status: int, error: str, description: str) -> None:
        text = f"the token endpoint {url} answered {status}"
        if error:
            text += f" {error}"
        if description:
            text += f": {description}"
        super().__init__(text)
        self.url = url
        self.status = status
        self.error = error
        self.description = description


class ClientCredentialsAuth:
    """Fetches an access token with the client_credentials grant, then sends it as Bearer."""

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str,
        *,
        scope: str | None = None,
        transport: Transport | None = None,
    ) -> None:
        self.token_url = token_url
        self.client_id = client_id
        self.client_secret = client_secret
        self.scope = scope
        self.transport = transport or Transport()
        self.access_token: str | None = None

    def fetch_token(self) -> str:
        parts = urlsplit(self.token_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"{self.token_url!r} is not an http:// or https:// URL")
        form = {"grant_type": "client_credentials"}
        if self.scope:
            form["scope"] = self.scope
        # client_secret_basic (RFC 6749 2.3.1): both parts form-urlencoded before base64.
        pair = f"{quote(self.client_id, safe='')}:{quote(self.client_secret, safe='')}"
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        request = PreparedRequest(
            "POST",
            target or "/",
            {
                "Authorization": "Basic " + base64.b64encode(pair.encode()).decode("ascii"),
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
            },
            urlencode(form).encode("ascii"),
        )
        response = self.transport.send(f"{parts.scheme}://{parts.netloc}", request)
        body = response.body if isinstance(response.body, dict) else {}
        token = body.get("access_token")
        if response.status != 200 or not isinstance(token, str) or not token:
            raise TokenRequestFailed(
                self.token_url,
                response.status,
                str(body.get("error") or ""),
                str(body.get("error_description") or response.text.strip()[:200]),
            )
        self.access_token = token
        return token

    def prepare(self, request: PreparedRequest) -> None:
        token = self.access_token or self.fetch_token()
        request.headers["Authorization"] = f"Bearer {token}"

    def retry_after_challenge(self, request: PreparedRequest, response: ScimResponse) -> bool:
        return False
