"""A request as the pipeline sees it: no web framework, just what it needs to decide."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol


class Readable(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


class _NoBody:
    def read(self, size: int = -1, /) -> bytes:
        return b""


@dataclass(frozen=True)
class Incoming:
    """`params`: the path parameters (`server` when the URL names one); `headers`: lower-cased
    names; `client_ip`: already resolved through trusted proxies (networks.client_address);
    `body`: the stream the body is read from, once."""

    method: str
    params: Mapping[str, str]
    headers: Mapping[str, str]
    client_ip: str
    body: Readable = field(default_factory=_NoBody, repr=False)

    @property
    def server_ref(self) -> str | None:
        return self.params.get("server")

    @property
    def content_length(self) -> int | None:
        """The announced length; None when absent or not a number (the reader still limits)."""
        value = self.headers.get("content-length")
        if value is None or not value.strip().isdigit():
            return None
        return int(value)
