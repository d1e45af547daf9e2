"""waitress channel and parser for hostile or careless clients (slowloris, huge bodies).

- `GuardedChannel` remembers since when it has been waiting for a complete request: from its
  first byte, or from the connection itself until its first request. The runner closes those
  waiting longer than `request_timeout`, so that connections sending half a request (or
  nothing) cannot hold every connection slot; idle keep-alive connections between requests
  are waitress's own `channel_timeout`.
- `BoundedBodyParser` lets a body announced (Content-Length) above the app's limit reach the
  app without being stored: the app answers its SCIM 413 (and logs it), while the body is read
  and discarded up to `drain_limit` bytes so that the client, still uploading, is not reset.
  A larger announcement is answered at once and the connection is closed.
- `ScimErrorTask`: what waitress refuses by itself, before the app (a chunked body past its
  bound, a malformed request), is a SCIM Error document too, not waitress's text/plain page.
"""

from __future__ import annotations

import time
from io import BytesIO
from typing import Any

from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.receiver import FixedStreamReceiver
from waitress.task import ErrorTask

from glpi_scim.server.errors import error_document
from glpi_scim.server.media import RESPONSE_CONTENT_TYPE, dump_json


class _Discarded:
    """A request body buffer that keeps nothing."""

    def append(self, data: bytes) -> None:
        pass

    def __len__(self) -> int:
        return 0

    def getfile(self) -> BytesIO:
        return BytesIO()

    def close(self) -> None:
        pass


class BoundedBodyParser(HTTPRequestParser):  # type: ignore[misc]
    body_limit = 1_048_576  # the app's max_body_bytes
    drain_limit = 16 * 1_048_576  # most bytes of a refused body read to answer it cleanly
    discarding = False

    def received(self, data: bytes) -> int:
        if not self.discarding or getattr(self, "completed", False):
            consumed: int = super().received(data)
            return consumed
        # waitress would count the discarded bytes against its own body limit.
        consumed = self.body_rcv.received(data)
        if self.body_rcv.completed:
            self.completed = True
        return consumed

    def parse_header(self, header_plus: bytes) -> None:
        super().parse_header(header_plus)
        announced: int = getattr(self, "content_length", 0)
        if self.chunked or announced <= self.body_limit:
            return
        # waitress would refuse it itself (a plain-text 413) or buffer it: neither. The app
        # sees the Content-Length header, an empty body, and answers 413.
        self.content_length = 0
        if announced <= self.drain_limit:
            self.body_rcv = FixedStreamReceiver(announced, _Discarded())
            self.discarding = True
        else:
            self.body_rcv = None
            self.connection_close = True


class ScimErrorTask(ErrorTask):  # type: ignore[misc]
    """waitress's own error answers as SCIM Error documents; the connection then closes."""

    def execute(self) -> None:
        error = self.request.error
        detail = f"{error.reason}: {error.body}".strip().rstrip(":")
        body = dump_json(error_document(int(error.code), detail))
        self.status = f"{error.code} {error.reason}"
        self.response_headers.append(("Content-Type", RESPONSE_CONTENT_TYPE))
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class GuardedChannel(HTTPChannel):  # type: ignore[misc]
    parser_class = BoundedBodyParser
    error_task_class = ScimErrorTask

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Monotonic time since which a complete request is awaited; None between requests.
        self.waiting_since: float | None = time.monotonic()

    def received(self, data: bytes) -> bool:
        before = self.request
        result: bool = super().received(data)
        if self.request is None:
            if self.requests:  # a request is complete (blank lines do not count)
                self.waiting_since = None
        elif self.waiting_since is None or (self.request is not before and self.requests):
            self.waiting_since = time.monotonic()  # a new request has begun
        return result

    def overdue(self, now: float, timeout: float) -> bool:
        """Still without a complete request `timeout` seconds after it started (and not
        serving an earlier one: the clock of a pipelined request starts once it is read)."""
        if self.waiting_since is None or self.requests:
            return False
        return now - self.waiting_since > timeout
