"""The DB-API drivers (sqlite3, PyMySQL) as the tool uses them, without SQLAlchemy.

Two jobs that need the same facts about a connection:

- the settings every connection gets (`sqlite_connect_args`, `prepare_sqlite`,
  `mysql_connect_args`): database.py gives them to SQLAlchemy's engine, so they are written once;
- a direct read path for short commands (`server list`): importing SQLAlchemy alone takes longer
  than such a command may (docs/performance.md, "CLI start-up"), so they open the driver
  themselves. `direct_target` understands only the plain forms of the URL (the ones `db init`,
  the docs and GLPI's config_db.php give) and returns None for anything else, which then takes
  SQLAlchemy's path: the direct path is an optimisation, never a second interpretation.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import parse_qsl, unquote

from glpi_scim.db.errors import DatabaseUnreachable
from glpi_scim.errors import GlpiScimError

if TYPE_CHECKING:
    from glpi_scim.config import Settings


def sqlite_connect_args(timeout: int) -> dict[str, Any]:
    """sqlite3.connect() arguments: writers queue for the lock for up to `timeout` seconds."""
    return {"check_same_thread": False, "timeout": timeout}


def prepare_sqlite(dbapi_connection: Any) -> None:
    """What every SQLite connection runs first (database.py adds GLPI's collation functions)."""
    # SQLAlchemy, not the sqlite3 module, decides where transactions start.
    dbapi_connection.isolation_level = None
    # WAL lets readers run while one writer writes; foreign keys stay off as in GLPI (no FKs).
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def mysql_connect_args(password: str | None, timeout: int) -> dict[str, Any]:
    """pymysql.connect() arguments besides the address and the user."""
    args: dict[str, Any] = {}
    if password:
        # PyMySQL encodes a text password as Latin-1 (é is sent as one byte, € fails);
        # MySQL and MariaDB hash the bytes the client sent when the password was set,
        # which for GLPI (PHP) and the mysql client are UTF-8. Send those bytes.
        args["password"] = password.encode("utf-8")
    return {
        **args,
        "charset": "utf8mb4",
        # Every round trip is bounded, not only connecting: a server that stops answering
        # (network partition, frozen host) must end in an error, never in a hung request.
        "connect_timeout": timeout,
        # Longer than the server's statement limit (database.server_statement_limit), so that
        # MariaDB stops a long statement (and says so) before the client gives up.
        "read_timeout": timeout,
        "write_timeout": timeout,
        # The tool writes UTC; TIMESTAMP columns convert from the session time zone, so the
        # session must be UTC whatever the server's default zone is. A profile's rights are
        # read as one GROUP_CONCAT (policy.packed_authorization_rows): MySQL cuts its result
        # at 1,024 bytes by default, MariaDB at 1 MB.
        "init_command": f"SET time_zone = '+00:00', group_concat_max_len = {PACKED_RIGHTS_MAX}",
    }


# The longest GROUP_CONCAT a session returns whole (a profile's rights are about 2 kB).
PACKED_RIGHTS_MAX = 1048576


@functools.cache
def mysql_connection_class() -> type[Any]:
    """PyMySQL's Connection, minus a needless cost in its default TLS mode.

    Given no TLS option, PyMySQL offers TLS to a server that has it ("preferred" mode) and
    verifies nothing, as the mysql client does; yet it builds that context with
    `ssl.create_default_context()`, which loads every system CA certificate (about 50 ms)
    that the unverified handshake never reads. This class builds the same context without
    them; any explicit TLS option goes through PyMySQL's own code, unchanged. Built on first
    use: PyMySQL is imported only by commands that open MariaDB."""
    import ssl

    import pymysql

    class PreferredTlsConnection(pymysql.connections.Connection):  # type: ignore[misc]
        def _create_ssl_ctx(self, sslp: Any) -> Any:
            if sslp != {}:
                return super()._create_ssl_ctx(sslp)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            return context

    return PreferredTlsConnection


def sqlite_url(path: str | Path) -> str:
    return f"sqlite:///{path}"


def embedded_path(settings: Settings) -> Path:
    """The embedded SQLite file, its parent directory created so that first use succeeds."""
    path = Path(settings.sqlite_path).expanduser()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseUnreachable(
            f"cannot create the directory {path.parent} for the embedded database: "
            f"{exc.strerror}; set sqlite_path (GLPI_SCIM_SQLITE_PATH) to a writable place"
        ) from None
    return path


@dataclass(frozen=True)
class DirectTarget:
    """A database the direct path can open: a SQLite file, or MySQL/MariaDB through PyMySQL."""

    kind: Literal["sqlite", "mysql"]
    database: str  # the SQLite file, or the MySQL database name
    host: str | None = None
    port: int | None = None
    user: str | None = None
    password: str | None = None
    unix_socket: str | None = None

    @property
    def placeholder(self) -> str:
        """The driver's parameter marker (sqlite3: qmark, PyMySQL: format)."""
        return "?" if self.kind == "sqlite" else "%s"


# SQLAlchemy's URL grammar (sqlalchemy.engine.url._parse_url), narrowed: the user has no `:`,
# `/`, `@` or `?`; the password no `@`, `/` or `?`; the host is a name or IPv4 address (no
# brackets); the port is digits. tests/glpi/test_dbapi.py checks every accepted URL against
# SQLAlchemy's own parser.
_MYSQL_URL = re.compile(
    r"mysql\+pymysql://"
    r"(?:(?P<user>[^:/@?]*)(?::(?P<password>[^@/?]*))?@)?"
    r"(?P<host>[^/:?@\[\]]*)(?::(?P<port>[0-9]{1,5}))?"
    r"/(?P<database>[^?/]+)"
    r"(?:\?(?P<query>.*))?"
)
# Query keys whose effect the direct path reproduces (charset is always utf8mb4: the engine's
# connect arguments override the URL's).
_MYSQL_QUERY_KEYS = {"charset", "unix_socket"}


def target_from_url(url: str) -> DirectTarget | None:
    """The target of a plain URL; None for any URL this module does not fully understand."""
    if url.startswith("sqlite:///"):
        file = url.removeprefix("sqlite:///")
        if not file or "?" in file or file == ":memory:":
            return None
        # As SQLAlchemy's pysqlite dialect opens it.
        return DirectTarget("sqlite", os.path.abspath(unquote(file)))
    match = _MYSQL_URL.fullmatch(url)
    if match is None:
        return None
    query = parse_qsl(match["query"] or "", keep_blank_values=True)
    keys = [key for key, _ in query]
    if len(set(keys)) != len(keys) or not set(keys) <= _MYSQL_QUERY_KEYS:
        return None
    password = match["password"]
    return DirectTarget(
        "mysql",
        database=unquote(match["database"]),
        host=match["host"] or None,
        port=int(match["port"]) if match["port"] else None,
        # Empty ones are not passed, as SQLAlchemy's translate_connect_args drops them.
        user=unquote(match["user"] or "") or None,
        password=unquote(password or "") or None,
        unix_socket=dict(query).get("unix_socket"),
    )


def direct_target(settings: Settings) -> DirectTarget | None:
    """The database the settings name (as database.database_url chooses it), when the direct
    path can open it; None when only SQLAlchemy's path can (TLS, unusual URLs)."""
    if settings.database_url:
        return target_from_url(settings.database_url)
    if settings.glpi_config:
        from glpi_scim.db.configdb import read_glpi_config

        config = read_glpi_config(settings.glpi_config)
        if config.ssl:
            return None
        return DirectTarget(
            "mysql",
            database=config.database,
            host=config.host or None,
            port=config.port,
            user=config.user or None,
            password=config.password or None,
            unix_socket=config.socket,
        )
    return DirectTarget("sqlite", os.path.abspath(embedded_path(settings)))


class DirectReadError(GlpiScimError):
    """The driver refused a direct read; `driver_error` is its own exception."""

    def __init__(self, driver_error: Exception) -> None:
        super().__init__(str(driver_error))
        self.driver_error = driver_error


@contextmanager
def direct_reader(target: DirectTarget, timeout: int) -> Iterator[DirectReader]:
    """One read-only transaction on a connection of its own, closed at the end. Driver errors
    (unreachable, refused, missing table) come out as DirectReadError."""
    if target.kind == "sqlite":
        import sqlite3

        driver_errors: tuple[type[Exception], ...] = (sqlite3.Error,)
    else:
        import pymysql

        driver_errors = (pymysql.MySQLError,)
    try:
        with closing(_connect(target, timeout)) as connection:
            reader = DirectReader(connection, target.placeholder)
            if target.kind == "sqlite":
                # A deferred transaction takes no write lock: one snapshot for every read.
                connection.execute("BEGIN")
            try:
                yield reader
            finally:
                if target.kind == "sqlite":
                    connection.execute("COMMIT")
                else:
                    connection.rollback()
    except driver_errors as exc:
        raise DirectReadError(exc) from exc


def _connect(target: DirectTarget, timeout: int) -> Any:
    if target.kind == "sqlite":
        import sqlite3

        connection = sqlite3.connect(target.database, **sqlite_connect_args(timeout))
        prepare_sqlite(connection)
        return connection
    address: dict[str, Any] = {"database": target.database}
    for name in ("host", "port", "user", "unix_socket"):
        value = getattr(target, name)
        if value is not None:
            address[name] = value
    return mysql_connection_class()(**address, **mysql_connect_args(target.password, timeout))


class DirectReader:
    """Rows as mappings of column name to the driver's value."""

    def __init__(self, connection: Any, placeholder: str) -> None:
        self._connection = connection
        self._placeholder = placeholder

    def rows(self, sql: str, *params: object) -> list[Mapping[str, Any]]:
        """`sql` with `?` for each parameter (translated to the driver's marker)."""
        cursor = self._connection.cursor()
        try:
            cursor.execute(sql.replace("?", self._placeholder), params)
            names = [column[0] for column in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        finally:
            cursor.close()
