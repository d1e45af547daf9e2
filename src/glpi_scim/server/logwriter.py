"""Writes request-log rows on a background thread, so that logging never slows a response.

A bounded queue absorbs bursts; when it is full the entry is dropped and counted rather than
making the client wait (the request log is a diagnostic, GLPI's own history is the record).
`flush()` waits until every queued entry is written (tests, shutdown); `close()` flushes and
stops the thread and runs at interpreter exit, so a stopping worker keeps its last rows.
"""

from __future__ import annotations

import atexit
import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from glpi_scim.servers.background import ProcessThread

log = logging.getLogger("glpi_scim.server.requestlog")

T = TypeVar("T")
_STOP = object()


class BackgroundLogWriter(Generic[T]):
    def __init__(self, write: Callable[[T], None], *, max_queued: int = 10_000) -> None:
        self._write = write
        self._queue: queue.Queue[object] = queue.Queue(maxsize=max_queued)
        self._lock = threading.Lock()
        self._thread = ProcessThread("glpi-scim-request-log", self._run, on_fork=self._forget)
        self._closed = False
        self.dropped = 0
        atexit.register(self.close)

    def submit(self, entry: T) -> None:
        """Queue an entry; never blocks and never raises."""
        if self._closed:
            return
        self._thread.ensure_started()
        try:
            self._queue.put_nowait(entry)
        except queue.Full:
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 1000 == 0:
                log.warning("request log queue full: %d entries dropped so far", self.dropped)

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every queued entry is written; False when `timeout` ran out first."""
        deadline = time.monotonic() + timeout
        with self._queue.all_tasks_done:
            while self._queue.unfinished_tasks:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._queue.all_tasks_done.wait(remaining)
        return True

    def close(self, timeout: float = 10.0) -> None:
        """Write what is queued, then stop the thread. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            thread = self._thread.running()
        if thread is None:
            return
        if not self.flush(timeout):
            log.warning("request log: %d entries not written at shutdown", self._queue.qsize())
        try:
            self._queue.put_nowait(_STOP)
        except queue.Full:  # pragma: no cover - flush timed out and the queue is still full
            return
        thread.join(timeout)

    def _forget(self) -> None:
        # The parent's queued entries are the parent's to write.
        self._queue = queue.Queue(maxsize=self._queue.maxsize)

    def _run(self) -> None:
        work = self._queue
        while True:
            entry = work.get()
            try:
                if entry is _STOP:
                    return
                self._write(entry)  # type: ignore[arg-type]
            except Exception:
                log.exception("request log: writing an entry failed")
            finally:
                work.task_done()
