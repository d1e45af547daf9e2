"""How many requests refused before authentication the request log stores: a flood of them
(a scanner, a misconfigured IdP retrying, a password guesser) must not fill the database.

Each such request is stored as a short summary (no headers, no bodies), and at most
`per_address` summaries per minute per identity server and client address, and
`per_address * SERVER_FACTOR` per minute per server from all addresses together. The refusals
not stored are counted, and the next summary stored for that server and address says how many.
The limits are per process (no query on this path): N processes store at most N times as many.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

WINDOW_SECONDS = 60.0
# A server stores this many times more summaries per minute than one address may.
SERVER_FACTOR = 6
# Addresses tracked per process; beyond, the least recent windows are forgotten (a flood from
# many addresses is then still bounded by the per-server limit).
MAX_TRACKED = 10_000


@dataclass
class _Window:
    started: float
    stored: int = 0
    not_stored: int = 0


class RefusalLimiter:
    """Thread-safe; one per process."""

    def __init__(
        self, per_address: int = 10, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.per_address = per_address
        self.clock = clock
        self._lock = threading.Lock()
        self._addresses: dict[tuple[int, str], _Window] = {}
        self._servers: dict[int, _Window] = {}

    def admit(self, server_id: int, client_ip: str) -> int | None:
        """None: do not store this refusal. Otherwise store it; the number returned is how many
        refusals of this server and address were not stored since the last one that was."""
        if self.per_address <= 0:
            return None
        now = self.clock()
        with self._lock:
            address = self._window(self._addresses, (server_id, client_ip), now)
            server = self._window(self._servers, server_id, now)
            if (
                address.stored >= self.per_address
                or server.stored >= self.per_address * SERVER_FACTOR
            ):
                address.not_stored += 1
                return None
            address.stored += 1
            server.stored += 1
            skipped, address.not_stored = address.not_stored, 0
            return skipped

    def _window(self, windows: dict, key: object, now: float) -> _Window:  # type: ignore[type-arg]
        window: _Window | None = windows.get(key)
        if window is None:
            if len(windows) >= MAX_TRACKED:
                for stale in [k for k, w in windows.items() if now - w.started >= WINDOW_SECONDS]:
                    del windows[stale]
                if len(windows) >= MAX_TRACKED:
                    windows.pop(next(iter(windows)))
            window = windows[key] = _Window(started=now)
        elif now - window.started >= WINDOW_SECONDS:
            # A new minute; what was not stored is still reported by the next stored summary.
            window.started, window.stored = now, 0
        return window
