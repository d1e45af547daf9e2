"""Connection to GLPI's database: a URL, GLPI's own config_db.php, or the embedded SQLite file."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, Transaction, create_engine, event, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from glpi_scim.config import Settings, mask_url_password
from glpi_scim.db.collation import register_sqlite_functions
from glpi_scim.db.dbapi import embedded_path as embedded_path
from glpi_scim.db.dbapi import (
    mysql_connect_args,
    mysql_connection_class,
    prepare_sqlite,
    sqlite_connect_args,
)
from glpi_scim.db.dbapi import sqlite_url as sqlite_url
from glpi_scim.db.errors import DatabaseAuthError as DatabaseAuthError
from glpi_scim.db.errors import DatabaseConfigError as DatabaseConfigError
from glpi_scim.db.errors import DatabaseError as DatabaseError
from glpi_scim.db.errors import DatabaseUnreachable as DatabaseUnreachable
from glpi_scim.db.errors import UnknownDatabase as UnknownDatabase
from glpi_scim.db.liveness import ping_when_idle
from glpi_scim.db.pool_reset import reset_only_open_transactions
from glpi_scim.db.statement_limit import limit_statements

T = TypeVar("T")


class _RequestConnection:
    """The pooled connection one request shares, checked out on first use, and the read
    transaction its reads share until something writes."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.connection: Connection | None = None
        self.reading: Transaction | None = None

    def shared(self) -> Connection:
        """The request's connection, checked out now if it is not yet."""
        if self.connection is not None and self.connection.invalidated:
            # Its DBAPI connection died (the pool is invalidated too): start on a fresh one.
            with suppress(DBAPIError):
                self.connection.close()
            self.connection = None
        if self.connection is None or self.connection.closed:
            self.connection = self.database.engine.connect()
        return self.connection

    def end_reading(self) -> None:
        """Commit the shared read transaction, if any (a read-only COMMIT costs nothing)."""
        reading, self.reading = self.reading, None
        if reading is not None and reading.is_active:
            reading.commit()

    def abandon_reading(self) -> None:
        """Roll the shared read transaction back after a failure; its connection may be gone."""
        reading, self.reading = self.reading, None
        if reading is not None and reading.is_active:
            with suppress(DBAPIError):
                reading.rollback()


_request_connection: ContextVar[_RequestConnection | None] = ContextVar(
    "glpi_scim_request_connection", default=None
)


@dataclass
class Database:
    engine: Engine
    url: str
    url_display: str  # the URL with its password masked, for messages
    timeout: int = 10  # settings.db_timeout: the longest a request waits for the database
    statement_timeout: int = 0  # settings.statement_timeout: the longest one statement runs

    @property
    def dialect(self) -> str:
        """'sqlite' or 'mysql' (MariaDB included)."""
        name = self.engine.dialect.name
        return "mysql" if name in ("mysql", "mariadb") else name

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @contextmanager
    def request_scope(self) -> Iterator[None]:
        """Let every transaction of one request (server lookup, throttle, credentials, the
        store) run on one pooled connection: one checkout (pinged only after it sat idle,
        liveness.py) instead of one per transaction. Its reads (`read()`) share one
        transaction, committed before anything writes or when the scope ends; writing
        transactions stay separate. The connection goes back to the pool when the scope
        ends."""
        scope = _RequestConnection(self)
        token = _request_connection.set(scope)
        try:
            yield
        finally:
            _request_connection.reset(token)
            try:
                scope.end_reading()
            except DBAPIError:
                scope.abandon_reading()
            finally:
                if scope.connection is not None:
                    scope.connection.close()

    def _scope(self) -> _RequestConnection | None:
        scope = _request_connection.get()
        return scope if scope is not None and scope.database is self else None

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """The request's connection when a scope is open and it is not inside a transaction
        (a nested transaction must stay independent), else a connection of its own. What
        runs on it comes after the request's reads: their transaction is committed first."""
        scope = self._scope()
        if scope is None:
            with self.engine.connect() as connection:
                yield connection
            return
        scope.end_reading()
        shared = scope.connection
        if shared is not None and shared.in_transaction():
            with self.engine.connect() as connection:
                yield connection
            return
        yield scope.shared()

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """One transaction; committed on success, rolled back on any exception."""
        with self.connection() as connection, connection.begin():
            yield connection

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A transaction that only reads; what runs in it must not write. On SQLite it does not
        take the write lock, so reads run beside each other and beside a writer (WAL). In a
        request scope, consecutive reads share one transaction (one snapshot, one COMMIT)."""
        scope = self._scope()
        shared = scope.connection if scope is not None else None
        if scope is None or (
            scope.reading is None and shared is not None and shared.in_transaction()
        ):
            # No scope, or inside a writing transaction: a transaction of its own.
            with self.engine.connect() as connection, read_only(connection), connection.begin():
                yield connection
            return
        connection = scope.shared()
        if scope.reading is None:
            with read_only(connection):
                scope.reading = connection.begin()
        try:
            yield connection
        except BaseException:
            scope.abandon_reading()
            raise

    def reading(self, work: Callable[[Connection], T]) -> T:
        """`work(connection)` in `read()`, run once more if the connection turned out dead
        (its pooled connection is no longer pinged before use, liveness.py): it changed
        nothing, and SQLAlchemy has invalidated the dead connection, so the second run gets a
        fresh one. A second failure goes up (a 503)."""
        try:
            with self.read() as connection:
                return work(connection)
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
        with self.read() as connection:
            return work(connection)

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A connection, with connection failures turned into a `DatabaseError` that says why."""
        try:
            connection = self.engine.connect()
        except DBAPIError as exc:
            raise explain_connection_error(exc, self.url_display) from None
        with connection:
            yield connection

    def dispose(self) -> None:
        self.engine.dispose()


# MySQL/MariaDB client and server error numbers that mean "fix your settings", not "bug".
_ACCESS_DENIED = {1044, 1045, 1698}
_UNKNOWN_DATABASE = {1049}
_UNREACHABLE = {2002, 2003, 2005, 2006, 2013}


def explain_connection_error(exc: DBAPIError, url_display: str) -> DatabaseError:
    """The DatabaseError a person can act on for a failed connection attempt."""
    original = exc.orig
    code = original.args[0] if original is not None and original.args else None
    detail = str(original.args[1]) if original is not None and len(original.args) > 1 else ""
    if code in _ACCESS_DENIED:
        return DatabaseAuthError(
            f"the database server refused the credentials of {url_display}: check the user "
            f"name and password, and that this user may connect from this host ({detail})"
        )
    if code in _UNKNOWN_DATABASE:
        return UnknownDatabase(
            f"the database server has no database named in {url_display}: check the database "
            f"name (GLPI's $dbdefault), or create it ({detail})"
        )
    if code in _UNREACHABLE:
        return DatabaseUnreachable(
            f"cannot reach the database server of {url_display}: check the host and port, "
            f"and that MySQL/MariaDB is running and accepts network connections ({detail})"
        )
    message = str(original) if original is not None else str(exc)
    return DatabaseUnreachable(f"cannot connect to {url_display}: {message}")


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    prepare_sqlite(dbapi_connection)
    # The key indexes on glpi_users and glpi_useremails call glpi_key() (see collation.py).
    register_sqlite_functions(dbapi_connection)


# Set in a connection's info while it runs a read-only transaction (Database.read).
_READ_ONLY = "glpi_scim_read_only"


@contextmanager
def read_only(connection: Connection) -> Iterator[None]:
    """The next transaction begun on `connection` only reads (SQLite: no write lock)."""
    connection.info[_READ_ONLY] = True
    try:
        yield
    finally:
        connection.info.pop(_READ_ONLY, None)


def _sqlite_begin(connection: Connection) -> None:
    # Take the write lock when the transaction starts: a read-check-write sequence (unique
    # login, unique group name, single-use codes) is then atomic across processes, and schema
    # creation by two processes starting at once is serialised instead of failing. A
    # transaction that only reads takes no lock: in WAL mode it sees a consistent snapshot
    # while writers go on, instead of queueing behind them.
    deferred = connection.info.get(_READ_ONLY, False)
    connection.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")


def engine_for_url(url: str, *, timeout: int = 10, statement_timeout: int = 0) -> Engine:
    engine = _engine_for_url(url, timeout=timeout, statement_timeout=statement_timeout)
    limit_statements(
        engine, server_statement_limit(engine.dialect.name, timeout, statement_timeout)
    )
    return engine


def server_statement_limit(dialect: str, timeout: int, statement_timeout: int) -> int:
    """The limit the database enforces. A client never waits more than `timeout` for an
    answer (a partition must be a 503 within db_timeout), so MariaDB is told to stop a
    statement a second before that: it stops the statement, not the client leaving it running.
    SQLite runs in the process: its progress handler applies statement_timeout as given."""
    if statement_timeout <= 0 or dialect == "sqlite":
        return statement_timeout
    return max(1, min(statement_timeout, timeout - 1))


def _engine_for_url(url: str, *, timeout: int, statement_timeout: int) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseConfigError(
            f"{mask_url_password(url)} is not a database URL: expected e.g. "
            "mysql+pymysql://user:password@host/glpi or sqlite:///path/to/file.sqlite"
        ) from None
    try:
        if parsed.get_backend_name() == "sqlite":
            engine = create_engine(
                parsed, connect_args=sqlite_connect_args(timeout), pool_reset_on_return=None
            )
            event.listen(engine, "connect", _sqlite_connect)
            event.listen(engine, "begin", _sqlite_begin)
            reset_only_open_transactions(engine)
            return engine
        if parsed.get_backend_name() not in ("mysql", "mariadb"):
            raise DatabaseConfigError(
                f"{mask_url_password(url)}: GLPI runs on MySQL or MariaDB; use a "
                "mysql+pymysql:// URL (or sqlite:/// for the embedded database)"
            )
        engine = create_engine(
            parsed,
            pool_recycle=3600,
            # Waiting for a pooled connection is bounded by the same timeout.
            pool_timeout=timeout,
            connect_args=mysql_connect_args(
                str(parsed.password) if parsed.password else None, timeout
            ),
            pool_reset_on_return=None,  # pool_reset.py: no ROLLBACK after a COMMIT
        )
        event.listen(engine, "do_connect", _mysql_connect)
        ping_when_idle(engine)  # not pool_pre_ping: no round trip per request under load
        reset_only_open_transactions(engine)
        return engine
    except NoSuchModuleError:
        raise DatabaseConfigError(
            f"{mask_url_password(url)}: unknown database driver; use mysql+pymysql://"
        ) from None


def _mysql_connect(dialect: Any, record: Any, cargs: Any, cparams: dict[str, Any]) -> Any:
    """Every engine connection is the driver's Connection with the lighter default TLS."""
    return mysql_connection_class()(*cargs, **cparams)


def database_url(settings: Settings) -> str:
    """The URL the settings name: database_url, else GLPI's config_db.php, else embedded SQLite."""
    if settings.database_url:
        return settings.database_url
    if settings.glpi_config:
        from glpi_scim.db.configdb import read_glpi_config

        return read_glpi_config(settings.glpi_config).url()
    return sqlite_url(embedded_path(settings))


def describe_target(url: str) -> str:
    """Where a URL writes, for a person: host, port and database (or the file), never the
    password. `MySQL/MariaDB glpi on db.example.org:3306 (user glpi)`."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return mask_url_password(url)
    if parsed.get_backend_name() == "sqlite":
        return f"SQLite file {Path(parsed.database or '').expanduser().resolve()}"
    socket = parsed.query.get("unix_socket")
    place = f"{parsed.host or 'localhost'}:{parsed.port or 3306}" if not socket else str(socket)
    user = f" (user {parsed.username})" if parsed.username else ""
    return f"MySQL/MariaDB {parsed.database or '(no database)'} on {place}{user}"


def open_database(settings: Settings) -> Database:
    """The database the settings name: URL first, then GLPI's config dir, else embedded SQLite.

    No connection is made yet; the first query (or `check_schema`) reports connection problems.
    """
    url = database_url(settings)
    return Database(
        engine_for_url(
            url, timeout=settings.db_timeout, statement_timeout=settings.statement_timeout
        ),
        url,
        mask_url_password(url),
        timeout=settings.db_timeout,
        statement_timeout=settings.statement_timeout,
    )
