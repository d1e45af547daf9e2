"""A keep-alive HTTP client for one load worker, restricted to loopback addresses."""

from __future__ import annotations

import http.client
import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit


class NotLoopback(ValueError):
    """The benchmark only talks to servers on this machine."""


def require_loopback(url: str) -> tuple[str, int, str]:
    """(host, port, base path) of a loopback URL; NotLoopback otherwise."""
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise NotLoopback(f"{url}: expected http://127.0.0.1:PORT/...")
    host = parts.hostname
    try:
        addresses = {str(info[4][0]) for info in socket.getaddrinfo(host, None)}
    except socket.gaierror as exc:
        raise NotLoopback(f"{url}: cannot resolve {host}: {exc}") from None
    if not all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses):
        raise NotLoopback(f"{url}: {host} is not a loopback address")
    return host, parts.port or 80, parts.path.rstrip("/")


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    seconds: float


class Client:
    """One persistent connection; reconnects when the server closed it (HTTP/1.0 servers)."""

    def __init__(self, base_url: str, headers: dict[str, str], timeout: float = 60.0) -> None:
        self.host, self.port, self.base_path = require_loopback(base_url)
        self.headers = {"Accept": "application/scim+json", **headers}
        self.timeout = timeout
        self._connection: http.client.HTTPConnection | None = None

    def _connect(self) -> http.client.HTTPConnection:
        if self._connection is None:
            self._connection = http.client.HTTPConnection(
                self.host, self.port, timeout=self.timeout
            )
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def request(self, method: str, path: str, body: bytes | None = None) -> Reply:
        headers = dict(self.headers)
        if body is not None:
            headers["Content-Type"] = "application/scim+json"
        target = self.base_path + path
        for attempt in (1, 2):
            connection = self._connect()
            reused = connection.sock is not None
            started = time.perf_counter()
            try:
                connection.request(method, target, body=body, headers=headers)
                response = connection.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                # A kept-alive connection the server closed meanwhile: retry once on a new one.
                if reused and attempt == 1:
                    continue
                raise
            elapsed = time.perf_counter() - started
            if response.will_close:
                self.close()
            return Reply(response.status, data, elapsed)
        raise AssertionError("unreachable")
