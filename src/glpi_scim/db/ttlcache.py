"""A small thread-safe map whose entries are trusted for a bounded time.

What authentication reads on every request (the identity server, a token's state, which
addresses failed lately) changes rarely; reading it again at most every `seconds` bounds how
stale a process may be (`auth_cache_seconds`). An entry also dies when the `version` it was
read under has moved on: a change this process committed (see localwrites.py) takes effect at
once here, one made by another instance within `seconds`.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

# Entries kept at most; the oldest go first (unknown ids sent by a scanner must not grow it).
DEFAULT_MAX_ENTRIES = 4096


class TtlCache(Generic[K, V]):
    def __init__(
        self,
        seconds: float,
        *,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.seconds = seconds
        self.max_entries = max_entries
        self.clock = clock
        self._lock = threading.Lock()
        self._entries: OrderedDict[K, tuple[float, int, V]] = OrderedDict()

    @property
    def enabled(self) -> bool:
        return self.seconds > 0

    def get(self, key: K, version: int = 0) -> tuple[bool, V | None]:
        """(True, value) for a fresh entry read under `version`, else (False, None)."""
        if not self.enabled:
            return False, None
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return False, None
            read_at, read_version, value = entry
            if read_version != version or self.clock() - read_at >= self.seconds:
                del self._entries[key]
                return False, None
            return True, value

    def put(self, key: K, value: V, version: int = 0, *, read_at: float | None = None) -> None:
        """Keep `value`, read under `version` at `read_at` (default: now)."""
        if not self.enabled:
            return
        with self._lock:
            self._entries[key] = (self.clock() if read_at is None else read_at, version, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def discard(self, key: K) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
