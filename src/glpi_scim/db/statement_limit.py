"""A time limit on every SQL statement, enforced by the database itself.

A request whose statement runs too long (a filter of many `co` clauses over many users) must
end in a 503, and the database must stop working on it: a client-side read timeout alone leaves
MariaDB executing after the client has gone.

- MariaDB: `max_statement_time` for the session (MySQL: `max_execution_time`, which bounds
  SELECT only); the server aborts the statement with error 1969 (MySQL 3024).
- SQLite: a progress handler, called every few thousand virtual machine steps, interrupts the
  statement once its deadline has passed ("interrupted").

`0` seconds means no limit.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, event
from sqlalchemy.exc import DBAPIError

# MariaDB ER_STATEMENT_TIMEOUT, MySQL ER_QUERY_TIMEOUT.
_TIMEOUT_CODES = {1969, 3024}
# VM steps between two deadline checks: frequent enough to stop within milliseconds, rare
# enough to cost nothing measurable.
_SQLITE_CHECK_EVERY = 5000
_DEADLINE = "glpi_scim_statement_deadline"
_UNLIMITED = "glpi_scim_statements_unlimited"
# (session variable, its limited value) of a MySQL/MariaDB connection.
_SESSION_LIMIT = "glpi_scim_statement_limit"


class _Deadline:
    """When the running statement of one SQLite connection must stop (monotonic seconds)."""

    def __init__(self) -> None:
        self.at = math.inf

    def passed(self) -> int:
        # A non-zero return makes SQLite abort the statement with SQLITE_INTERRUPT.
        return 1 if time.monotonic() > self.at else 0


def limit_statements(engine: Engine, seconds: int) -> None:
    """Bound every statement `engine` runs to `seconds` (nothing when 0)."""
    if seconds <= 0:
        return
    if engine.dialect.name == "sqlite":
        _limit_sqlite(engine, seconds)
    else:
        _limit_mysql(engine, seconds)


def _limit_mysql(engine: Engine, seconds: int) -> None:
    def on_connect(dbapi_connection: Any, record: Any) -> None:
        version = str(getattr(dbapi_connection, "server_version", ""))
        if "mariadb" in version.lower():
            limit = ("max_statement_time", seconds)
        else:
            limit = ("max_execution_time", seconds * 1000)
        record.info[_SESSION_LIMIT] = limit
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"SET SESSION {limit[0]} = %s", (limit[1],))
        finally:
            cursor.close()

    event.listen(engine, "connect", on_connect)


def _limit_sqlite(engine: Engine, seconds: int) -> None:
    def on_connect(dbapi_connection: Any, record: Any) -> None:
        deadline = _Deadline()
        record.info[_DEADLINE] = deadline
        dbapi_connection.set_progress_handler(deadline.passed, _SQLITE_CHECK_EVERY)

    def before_statement(connection: Connection, *_args: Any) -> None:
        deadline = connection.info.get(_DEADLINE)
        if deadline is not None and not connection.info.get(_UNLIMITED):
            # The rows of a SELECT are computed while they are fetched: the deadline stays
            # until the next statement or the end of the transaction.
            deadline.at = time.monotonic() + seconds

    def after_transaction(connection: Connection) -> None:
        # COMMIT and ROLLBACK must never be interrupted, however long the work before them.
        deadline = connection.info.get(_DEADLINE)
        if deadline is not None:
            deadline.at = math.inf

    event.listen(engine, "connect", on_connect)
    event.listen(engine, "before_cursor_execute", before_statement)
    event.listen(engine, "commit", after_transaction)
    event.listen(engine, "rollback", after_transaction)


@contextmanager
def unlimited_statements(connection: Connection) -> Iterator[None]:
    """Lift the limit on `connection` for a while: schema changes (an index built on a large
    table) and the migration lock may rightly take longer than a request may."""
    limit = connection.info.get(_SESSION_LIMIT)
    connection.info[_UNLIMITED] = True
    deadline = connection.info.get(_DEADLINE)
    if deadline is not None:
        deadline.at = math.inf
    if limit is not None:
        connection.exec_driver_sql(f"SET SESSION {limit[0]} = 0")
    try:
        yield
    finally:
        connection.info.pop(_UNLIMITED, None)
        if limit is not None:
            # Back to the limit before the connection serves requests again.
            connection.exec_driver_sql(f"SET SESSION {limit[0]} = {int(limit[1])}")


def is_statement_timeout(exc: BaseException) -> bool:
    """Whether a database error is a statement stopped by its time limit."""
    original = exc.orig if isinstance(exc, DBAPIError) else exc
    args = getattr(original, "args", ())
    if args and isinstance(args[0], int):
        return args[0] in _TIMEOUT_CODES
    return type(original).__name__ == "OperationalError" and str(original) == "interrupted"
