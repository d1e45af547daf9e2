"""A pooled connection goes back to the pool without a ROLLBACK when its transaction was ended.

SQLAlchemy's pool rolls back every connection it takes back (`pool_reset_on_return`): one
round trip more per request on MariaDB, though every transaction of the tool ends in a COMMIT
or a ROLLBACK, and a Connection closed inside one rolls it back itself. Here each pooled
connection is marked as in use when checked out and whenever a statement runs; a COMMIT or a
ROLLBACK clears the mark, a database error sets it again. The pool's reset rolls back only a
marked connection: one whose last statement may still be in an open transaction (a raw DBAPI
connection's, whose statements no event reports, always is).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, event
from sqlalchemy.engine import ExceptionContext

# In a pooled connection's info: a statement may be in an open transaction.
_OPEN = "glpi_scim_transaction_open"
# Set in a connection record's info when its return to the pool rolled back (the benchmark
# counts the trip).
ROLLED_BACK = "glpi_scim_rolled_back_on_return"


def reset_only_open_transactions(engine: Engine) -> None:
    """Make `engine`'s pool (created with `pool_reset_on_return=None`) roll a returned
    connection back only when its transaction may still be open."""

    def checked_out(_dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        record.info[_OPEN] = True

    def executed(connection: Connection, *_: Any) -> None:
        _mark(connection, True)

    def ended(connection: Connection) -> None:
        _mark(connection, False)

    def failed(context: ExceptionContext) -> None:
        if context.connection is not None and not context.is_disconnect:
            _mark(context.connection, True)

    def reset(dbapi_connection: Any, record: Any, reset_state: Any) -> None:
        if reset_state.terminate_only or record is None:
            return
        if record.info.pop(_OPEN, True):
            record.info[ROLLED_BACK] = True
            dbapi_connection.rollback()

    event.listen(engine.pool, "checkout", checked_out)
    event.listen(engine, "before_cursor_execute", executed)
    event.listen(engine, "commit", ended)
    event.listen(engine, "rollback", ended)
    event.listen(engine, "handle_error", failed)
    event.listen(engine.pool, "reset", reset)


def _mark(connection: Connection, transaction_open: bool) -> None:
    if connection.invalidated or connection.closed:
        return  # its DBAPI connection is discarded, not given back to the pool
    connection.connection.info[_OPEN] = transaction_open
