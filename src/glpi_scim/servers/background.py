"""A daemon thread of one process: started on first use, and again in a forked child.

A pre-forking server (gunicorn) forks after the application is imported, and a thread does not
survive a fork; what the parent queued belongs to the parent, so the child drops it first.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable


class ProcessThread:
    def __init__(
        self, name: str, target: Callable[[], None], *, on_fork: Callable[[], None]
    ) -> None:
        self._name = name
        self._target = target
        self._on_fork = on_fork
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = 0

    def ensure_started(self) -> None:
        pid = os.getpid()
        if self._thread is not None and self._pid == pid:
            return
        with self._lock:
            if self._thread is not None and self._pid == pid:
                return
            if self._pid not in (0, pid):
                self._on_fork()
            self._pid = pid
            self._thread = threading.Thread(target=self._target, name=self._name, daemon=True)
            self._thread.start()

    def running(self) -> threading.Thread | None:
        """This process's thread, or None if it never started here."""
        return self._thread if self._pid == os.getpid() else None
