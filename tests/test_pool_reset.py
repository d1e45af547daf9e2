"""A pooled connection goes back to the pool without a ROLLBACK after its transaction ended,
and with one whenever a transaction may still be open: no lock outlives its checkout."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from glpi_scim.db.database import Database, engine_for_url

PROBE = "pool_reset_probe"


@pytest.fixture
def engine(mysql_database: Database) -> Iterator[Engine]:
    url = mysql_database.engine.url.render_as_string(hide_password=False)
    engine = engine_for_url(url)
    with engine.begin() as connection:
        connection.execute(text(f"CREATE TABLE {PROBE} (id INT PRIMARY KEY)"))
        connection.execute(text(f"INSERT INTO {PROBE} VALUES (1)"))
    try:
        yield engine
    finally:
        with engine.begin() as connection:
            connection.execute(text(f"DROP TABLE {PROBE}"))
        engine.dispose()


def rollbacks(engine: Engine) -> int:
    """The ROLLBACKs the pool's one connection has received so far (it is the only one: the
    checkouts below follow one another)."""
    with engine.connect() as connection:
        count = connection.execute(text("SHOW SESSION STATUS LIKE 'Com_rollback'")).first()
        connection.commit()
    assert count is not None
    return int(count[1])


def lock_is_free(other: Database) -> bool:
    with other.engine.connect() as connection:
        try:
            connection.execute(text(f"SELECT id FROM {PROBE} WHERE id = 1 FOR UPDATE NOWAIT"))
        except DBAPIError:
            return False
        finally:
            connection.rollback()
    return True


@pytest.mark.mysql
def test_a_committed_connection_goes_back_without_a_rollback(engine: Engine) -> None:
    before = rollbacks(engine)
    for _ in range(3):
        with engine.connect() as connection:
            connection.execute(text(f"SELECT id FROM {PROBE}"))
            connection.commit()
    assert rollbacks(engine) == before
    assert engine.pool.checkedin() == 1  # one connection served every checkout


@pytest.mark.mysql
def test_a_connection_closed_inside_a_transaction_leaves_no_lock(
    engine: Engine, mysql_database: Database
) -> None:
    with engine.connect() as connection:
        connection.execute(text(f"SELECT id FROM {PROBE} WHERE id = 1 FOR UPDATE"))
        assert not lock_is_free(mysql_database)
    assert lock_is_free(mysql_database)


@pytest.mark.mysql
def test_a_raw_connection_given_back_inside_a_transaction_is_rolled_back(
    engine: Engine, mysql_database: Database
) -> None:
    before = rollbacks(engine)
    raw = engine.raw_connection()  # no event reports what runs on it
    cursor = raw.cursor()
    cursor.execute(f"SELECT id FROM {PROBE} WHERE id = 1 FOR UPDATE")
    assert not lock_is_free(mysql_database)
    raw.close()
    assert lock_is_free(mysql_database)
    assert rollbacks(engine) == before + 1


@pytest.mark.mysql
def test_a_connection_closed_after_a_failed_statement_leaves_no_lock(
    engine: Engine, mysql_database: Database
) -> None:
    with engine.connect() as connection:
        connection.execute(text(f"SELECT id FROM {PROBE} WHERE id = 1 FOR UPDATE"))
        with pytest.raises(DBAPIError):
            connection.execute(text("SELECT no_such_column FROM " + PROBE))
        assert not lock_is_free(mysql_database)  # the failure ended nothing
    assert lock_is_free(mysql_database)


def test_sqlite_gives_back_its_write_lock(tmp_path: object) -> None:
    engine = engine_for_url(f"sqlite:///{tmp_path}/probe.sqlite")
    other = engine_for_url(f"sqlite:///{tmp_path}/probe.sqlite", timeout=1)
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE probe (id INTEGER PRIMARY KEY)"))
        raw = engine.raw_connection()
        raw.cursor().execute("BEGIN IMMEDIATE")
        raw.cursor().execute("INSERT INTO probe VALUES (1)")
        raw.close()  # given back inside its transaction: rolled back, its lock released
        with other.begin() as connection:
            connection.execute(text("INSERT INTO probe VALUES (2)"))
        with other.connect() as connection:
            assert connection.execute(text("SELECT id FROM probe")).scalars().all() == [2]
    finally:
        engine.dispose()
        other.dispose()
