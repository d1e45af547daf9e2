"""A scim2-client engine over `requests`, so that scim2-tester talks to a real HTTP server.

scim2-client ships engines for httpx2 and in-process WSGI; `requests` is what the test suite
already uses for real HTTP, so this adapter sends scim2-client's prepared requests with it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests
from scim2_client import BaseSyncSCIMClient
from scim2_client.errors import RequestNetworkException


class RequestsSCIMClient(BaseSyncSCIMClient):  # type: ignore[misc]
    def __init__(self, base_url: str, session: requests.Session, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")
        self.session = session

    def _stays_under_base_url(self, endpoint: str) -> bool:
        parts = urlsplit(endpoint)
        if parts.scheme or parts.netloc:
            return endpoint.startswith(self.base_url + "/")
        return not set(parts.path.split("/")) & {".", ".."}

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        if not urlsplit(url).scheme:
            url = f"{self.base_url}/{url.lstrip('/')}"
        try:
            return self.session.request(method, url, timeout=30, **kwargs)
        except requests.RequestException as exc:
            error = RequestNetworkException()
            error.add_note(str(exc))
            raise error from exc
