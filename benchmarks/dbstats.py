"""MariaDB's own counters, read around a phase: rows the storage engine handed to the server per
request (the Handler_read_* counters) show whether a request used an index (a handful of rows)
or scanned (thousands).

The counters are server-wide: anything else running on the same MariaDB adds to them, so the
figure is an upper bound.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import text

from benchmarks.rss import cpu_seconds, find_process
from glpi_scim.db.database import Database

Counter = Callable[[], float]


# Every way a row is read: by key, next/previous in an index, first/last, by position, by scan.
HANDLER_READS = (
    "Handler_read_first", "Handler_read_key", "Handler_read_last", "Handler_read_next",
    "Handler_read_prev", "Handler_read_rnd", "Handler_read_rnd_next",
)  # fmt: skip


def rows_read(database: Database) -> Counter:
    names = ", ".join(f"'{name}'" for name in HANDLER_READS)
    query = text(f"SHOW GLOBAL STATUS WHERE Variable_name IN ({names})")

    def read() -> float:
        with database.connect() as connection:
            return float(sum(int(value) for _, value in connection.execute(query)))

    return read


def statements(database: Database) -> Counter:
    """Statements the server received (pings excluded): round trips a request costs."""
    query = text("SHOW GLOBAL STATUS LIKE 'Questions'")

    def read() -> float:
        with database.connect() as connection:
            row = connection.execute(query).first()
        return float(row[1]) if row else 0.0

    return read


def mariadbd_cpu_ms() -> Counter | None:
    """CPU milliseconds mariadbd used so far, when it runs on this machine."""
    pid = find_process("mariadbd") or find_process("mysqld")
    if pid is None:
        return None
    found = pid

    def read() -> float:
        return cpu_seconds([found]) * 1000

    return read


def mariadb_version(database: Database) -> str:
    with database.connect() as connection:
        return str(connection.execute(text("SELECT VERSION()")).scalar_one())
