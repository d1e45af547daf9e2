"""Server logs on stderr, never a secret: `text` (one `key=value` line per event) or `json`
(one JSON object per line, for log shippers).

Request lines come from the `glpi_scim.server.access` logger (middleware.RequestTracking);
their fields are also attached to the record (`extra`). Every record logged while a request
is handled, whatever its logger, carries that request's id (`request_id`), so that a warning
from the database layer can be matched with the access line and the X-Request-Id the client
received.
"""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from datetime import datetime, timezone
from typing import Any

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LOG_FORMATS = ("text", "json")

# The id of the request the current thread is handling ("-" outside a request).
current_request_id: ContextVar[str] = ContextVar("glpi_scim_request_id", default="-")

# Attributes every LogRecord has: anything else on a record came from `extra`.
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class RequestIdFilter(logging.Filter):
    """Gives each record the id of the request being handled (unless `extra` named one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, request_id, extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure_logging(level: str, log_format: str = "text") -> None:
    """Log to stderr at `level` (DEBUG, INFO, WARNING, ERROR) in `log_format`; idempotent."""
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        raise ValueError(f"unknown log level {level!r}: use DEBUG, INFO, WARNING or ERROR")
    if log_format not in LOG_FORMATS:
        raise ValueError(f"unknown log format {log_format!r}: use text or json")
    root = logging.getLogger()
    handler = next((h for h in root.handlers if getattr(h, "_glpi_scim", False)), None)
    if handler is None:
        handler = logging.StreamHandler(sys.stderr)
        handler._glpi_scim = True  # type: ignore[attr-defined]
        handler.addFilter(RequestIdFilter())
        root.addHandler(handler)
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(FORMAT))
    root.setLevel(numeric)
    # waitress logs every queue-depth warning at WARNING; keep them, drop its INFO chatter.
    logging.getLogger("waitress").setLevel(max(numeric, logging.WARNING))
    # Alembic narrates every migration step at INFO; `serve` reports what matters itself.
    logging.getLogger("alembic").setLevel(max(numeric, logging.WARNING))
