"""A small SCIM 2.0 HTTP client on the standard library, speaking as an identity provider would.

It never raises on an HTTP status: every answer, 4xx and 5xx included, comes back as a
`ScimResponse` so that the caller can explain it. Only a failure to talk to the server at all
(refused connection, unknown host, TLS error, timeout) raises `ConnectionFailed`.
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlencode, urlsplit

from glpi_scim.errors import GlpiScimError

SCIM_MEDIA_TYPE = "application/scim+json"
USER_AGENT = "glpi-scim-doctor"


class ConnectionFailed(GlpiScimError):
    """The server could not be reached; the message says what went wrong, for a person."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"could not reach {url}: {reason}")
        self.url = url
        self.reason = reason


@dataclass(frozen=True)
class ScimResponse:
    method: str
    url: str
    status: int
    headers: Mapping[str, str]  # lower-cased names; repeated headers joined by ", "
    text: str
    challenges: tuple[str, ...] = ()  # every WWW-Authenticate value, in order

    @property
    def body(self) -> Any:
        """The decoded JSON body, or None when there is none or it is not JSON."""
        if not self.text.strip():
            return None
        try:
            return json.loads(self.text)
        except ValueError:
            return None

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def error_detail(self) -> str:
        """The SCIM Error's detail (and scimType) when the body is one, else a text excerpt."""
        body = self.body
        if isinstance(body, dict) and ("detail" in body or "scimType" in body):
            detail = str(body.get("detail") or "").strip()
            scim_type = body.get("scimType")
            return f"{detail} (scimType {scim_type})" if scim_type else detail
        return self.text.strip()[:200]


@dataclass
class PreparedRequest:
    method: str
    target: str  # path and query, as sent on the request line
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None


class Auth(Protocol):
    """Adds credentials to a request; may answer a 401 challenge by asking for a retry."""

    def prepare(self, request: PreparedRequest) -> None: ...

    def retry_after_challenge(self, request: PreparedRequest, response: ScimResponse) -> bool:
        """True when the request should be sent again (new credentials were set up)."""
        ...


class NoAuth:
    def prepare(self, request: PreparedRequest) -> None:
        return None

    def retry_after_challenge(self, request: PreparedRequest, response: ScimResponse) -> bool:
        return False


class Transport:
    """One HTTP exchange over http.client, with connection errors turned into ConnectionFailed."""

    def __init__(self, *, timeout: float = 15.0, verify_tls: bool = True) -> None:
        self.timeout = timeout
        self.verify_tls = verify_tls

    def send(self, origin: str, request: PreparedRequest) -> ScimResponse:
        parts = urlsplit(origin)
        url = f"{origin}{request.target}"
        connection: http.client.HTTPConnection
        try:
            if parts.scheme == "https":
                context = ssl.create_default_context()
                if not self.verify_tls:
                    context.check_hostname = False
                    context.verify_mode = ssl.CERT_NONE
                connection = http.client.HTTPSConnection(
                    parts.netloc, timeout=self.timeout, context=context
                )
            else:
                connection = http.client.HTTPConnection(parts.netloc, timeout=self.timeout)
            try:
                connection.request(
                    request.method, request.target, body=request.body, headers=request.headers
                )
                raw = connection.getresponse()
                payload = raw.read()
                header_pairs = raw.getheaders()
                status = raw.status
            finally:
                connection.close()
        except ssl.SSLError as exc:
            raise ConnectionFailed(url, f"TLS handshake failed ({exc.reason or exc})") from None
        except TimeoutError:
            raise ConnectionFailed(url, f"no answer within {self.timeout:g} seconds") from None
        except socket.gaierror as exc:
            raise ConnectionFailed(
                url, f"unknown host {parts.hostname!r} ({exc.strerror})"
            ) from None
        except ConnectionRefusedError:
            raise ConnectionFailed(url, "connection refused (nothing listens there)") from None
        except (OSError, http.client.HTTPException) as exc:
            raise ConnectionFailed(url, str(exc) or type(exc).__name__) from None
        headers: dict[str, str] = {}
        challenges: list[str] = []
        for name, value in header_pairs:
            key = name.lower()
            if key == "www-authenticate":
                challenges.append(value)
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        return ScimResponse(
            method=request.method,
            url=url,
            status=status,
            headers=headers,
            text=payload.decode("utf-8", errors="replace"),
            challenges=tuple(challenges),
        )


class ScimClient:
    """Requests relative to a SCIM base URL (`https://host/scim/v2/3`), with one Auth."""

    def __init__(
        self, base_url: str, auth: Auth | None = None, *, transport: Transport | None = None
    ) -> None:
        parts = urlsplit(base_url.rstrip("/"))
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"{base_url!r} is not an http:// or https:// URL")
        self.base_url = base_url.rstrip("/")
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.base_path = parts.path
        self.auth: Auth = auth or NoAuth()
        self.transport = transport or Transport()

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: Mapping[str, str] | None = None,
    ) -> ScimResponse:
        target = self.base_path + path
        if params:
            target += "?" + urlencode(params)
        headers = {"Accept": SCIM_MEDIA_TYPE, "User-Agent": USER_AGENT}
        body = None
        if json_body is not None:
            body = json.dumps(json_body).encode("utf-8")
            headers["Content-Type"] = SCIM_MEDIA_TYPE
        request = PreparedRequest(method, target, headers, body)
        self.auth.prepare(request)
        response = self.transport.send(self.origin, request)
        if response.status == 401 and self.auth.retry_after_challenge(request, response):
            response = self.transport.send(self.origin, request)
        return response

    def get(self, path: str, params: Mapping[str, str] | None = None) -> ScimResponse:
        return self.request("GET", path, params=params)

    def post(self, path: str, body: Any) -> ScimResponse:
        return self.request("POST", path, json_body=body)

    def put(self, path: str, body: Any) -> ScimResponse:
        return self.request("PUT", path, json_body=body)

    def patch(self, path: str, body: Any) -> ScimResponse:
        return self.request("PATCH", path, json_body=body)

    def delete(self, path: str) -> ScimResponse:
        return self.request("DELETE", path)
