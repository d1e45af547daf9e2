"""Runs the WSGI app under waitress with a graceful stop on SIGTERM and SIGINT.

waitress has no graceful shutdown of its own: on an interrupt it stops its event loop at once,
which can cut a response that a worker thread has produced but the loop has not yet sent. Here
the loop runs until a stop signal; then the listening socket is closed (a load balancer sees
refused connections and goes elsewhere), the loop keeps running until in-flight requests have
been answered (or `grace_seconds` pass), and only then are the threads and sockets closed.

Against slow or hostile clients (see connections.py): at most `connection_limit` connections,
each closed when a request it began is not complete `request_timeout` seconds later (or a new
connection sends none), and idle keep-alive connections after `idle_timeout`.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer, create_server

from glpi_scim.server.connections import BoundedBodyParser, GuardedChannel

log = logging.getLogger("glpi_scim.server")

_LOOP_TIMEOUT = 0.2
# How often connections are checked against request_timeout.
_SWEEP_SECONDS = 0.5


class GracefulServer:
    def __init__(
        self,
        app: Callable[..., Any],
        *,
        host: str,
        port: int,
        threads: int,
        max_body_bytes: int,
        grace_seconds: float = 30.0,
        connection_limit: int = 500,
        request_timeout: int = 10,
        idle_timeout: int = 60,
    ) -> None:
        self.grace_seconds = grace_seconds
        self.request_timeout = request_timeout
        self._stop = threading.Event()
        self._next_sweep = 0.0
        self._server = create_server(
            app,
            host=host,
            port=port,
            threads=max(threads, 1),
            ident="glpi-scim",
            # The app refuses bodies above max_body_bytes with a SCIM 413; this is a backstop
            # so that waitress never buffers a huge chunked body before the app sees it.
            max_request_body_size=max_body_bytes * 4 + 65536,
            expose_tracebacks=False,
            # X-Forwarded-* are believed only from the configured trusted proxies, a decision
            # the app makes itself (security.networks); waitress must pass them through.
            clear_untrusted_proxy_headers=False,
            connection_limit=max(connection_limit, 1),
            channel_timeout=max(idle_timeout, 1),
            # waitress closes idle channels in its maintenance pass, every cleanup_interval.
            cleanup_interval=max(1, min(idle_timeout, 30) // 2),
        )
        # Every connection gets the guarded channel and parser, with the app's body limit.
        parser = type(
            "AppBodyParser",
            (BoundedBodyParser,),
            {"body_limit": max_body_bytes, "drain_limit": max(16 * max_body_bytes, 1_048_576)},
        )
        channel = type("AppChannel", (GuardedChannel,), {"parser_class": parser})
        for listener in list(self._server._map.values()):
            if isinstance(listener, BaseWSGIServer):
                listener.channel_class = channel

    @property
    def port(self) -> int:
        return int(self._server.effective_port)

    @property
    def host(self) -> str:
        return str(self._server.effective_host)

    def stop(self) -> None:
        """Ask the loop to stop; safe from a signal handler or another thread."""
        self._stop.set()

    def install_signal_handlers(self) -> None:
        def on_signal(signum: int, _frame: FrameType | None) -> None:
            log.info("received %s, finishing in-flight requests", signal.Signals(signum).name)
            self.stop()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)

    def serve(self) -> None:
        """Serve until `stop()`, then drain and close."""
        socket_map = self._server._map
        while not self._stop.is_set():
            wasyncore.loop(timeout=_LOOP_TIMEOUT, map=socket_map, use_poll=True, count=1)
            self._close_overdue(socket_map)
        # No new connections from here on.
        wasyncore.dispatcher.close(self._server)
        deadline = time.monotonic() + self.grace_seconds
        while self._busy(socket_map) and time.monotonic() < deadline:
            wasyncore.loop(timeout=0.05, map=socket_map, use_poll=True, count=1)
            self._close_overdue(socket_map)  # a half-sent request does not delay the stop
        if self._busy(socket_map):
            log.warning("stopping with requests still in flight after %ss", self.grace_seconds)
        self._server.task_dispatcher.shutdown(cancel_pending=True, timeout=5)
        wasyncore.close_all(socket_map)

    def _close_overdue(self, socket_map: dict[int, Any]) -> None:
        """Close connections whose request is not complete after request_timeout."""
        now = time.monotonic()
        if now < self._next_sweep or self.request_timeout <= 0:
            return
        self._next_sweep = now + _SWEEP_SECONDS
        for channel in list(socket_map.values()):
            if isinstance(channel, GuardedChannel) and channel.overdue(now, self.request_timeout):
                channel.waiting_since = None
                # waitress closes it on the loop's next pass (as its own idle timeout does).
                channel.will_close = True

    def _busy(self, socket_map: dict[int, Any]) -> bool:
        dispatcher = self._server.task_dispatcher
        if dispatcher.queue:
            return True
        # A channel is busy while a request is being received (`request`), queued or served
        # (`requests`), or its response is not yet sent (`total_outbufs_len`).
        return any(
            isinstance(channel, HTTPChannel)
            and (channel.request is not None or channel.requests or channel.total_outbufs_len)
            for channel in list(socket_map.values())
        )
