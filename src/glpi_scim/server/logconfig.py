"""Server logs: one line per event on stderr, `key=value` fields, never a secret.

Request lines come from the `glpi_scim.server.access` logger (middleware.RequestTracking);
their fields are also attached to the record (`extra`) for handlers that emit JSON.
"""

from __future__ import annotations

import logging
import sys

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(level: str) -> None:
    """Log to stderr at `level` (DEBUG, INFO, WARNING, ERROR); idempotent."""
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        raise ValueError(f"unknown log level {level!r}: use DEBUG, INFO, WARNING or ERROR")
    root = logging.getLogger()
    if not any(getattr(handler, "_glpi_scim", False) for handler in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(FORMAT))
        handler._glpi_scim = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(numeric)
    # waitress logs every queue-depth warning at WARNING; keep them, drop its INFO chatter.
    logging.getLogger("waitress").setLevel(max(numeric, logging.WARNING))
    # Alembic narrates every migration step at INFO; `serve` reports what matters itself.
    logging.getLogger("alembic").setLevel(max(numeric, logging.WARNING))
