"""Connection to GLPI's database: a URL, GLPI's own config_db.php, or the embedded SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event

from glpi_scim.config import Settings


@dataclass
class Database:
    engine: Engine
    url_display: str  # the URL with its password masked, for messages

    @property
    def dialect(self) -> str:
        """'sqlite' or 'mysql' (MariaDB included)."""
        name = self.engine.dialect.name
        return "mysql" if name in ("mysql", "mariadb") else name

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """One transaction; committed on success, rolled back on any exception."""
        with self.engine.begin() as connection:
            yield connection

    def dispose(self) -> None:
        self.engine.dispose()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers run while one writer writes; busy_timeout queues writers instead of
    # failing at once; foreign keys stay off as in GLPI (no FKs at all).
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def engine_for_url(url: str, *, timeout: int = 10) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": timeout})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_recycle=3600,
        connect_args={"charset": "utf8mb4", "connect_timeout": timeout},
    )


def sqlite_url(path: str) -> str:
    return f"sqlite:///{path}"


def open_database(settings: Settings) -> Database:
    """The database the settings name: URL first, then GLPI's config dir, else embedded SQLite."""
    from glpi_scim.config import mask_url_password

    url = settings.database_url or sqlite_url(settings.sqlite_path)
    return Database(engine_for_url(url, timeout=settings.db_timeout), mask_url_password(url))
