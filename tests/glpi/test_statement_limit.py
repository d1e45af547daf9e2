"""statement_timeout on a real database: the database stops a long statement, schema work runs
without the limit, and the limit is back once it is done."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from glpi_scim.config import Settings
from glpi_scim.db.database import Database, open_database
from glpi_scim.db.schema import ensure_tool_schema
from glpi_scim.db.statement_limit import is_statement_timeout, unlimited_statements

# About two seconds of work on either database.
SLOW = {
    "sqlite": "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) "
    "SELECT COUNT(*) FROM (SELECT i FROM n LIMIT 100000000)",
    "mysql": "SELECT SLEEP(2)",
}


def test_a_long_statement_is_stopped_and_schema_work_is_not(
    database: Database, settings_for: Callable[..., Settings]
) -> None:
    limited = open_database(settings_for(database, statement_timeout=1))
    try:
        with limited.connect() as connection, unlimited_statements(connection):
            connection.execute(text("SELECT 1"))
        ensure_tool_schema(limited)
        for _ in range(2):  # the connection that ran schema work is limited again
            with pytest.raises(OperationalError) as caught, limited.begin() as connection:
                connection.execute(text(SLOW[limited.dialect])).all()
            assert is_statement_timeout(caught.value), caught.value
    finally:
        limited.dispose()
