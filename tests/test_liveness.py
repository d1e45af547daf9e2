"""Pooled MariaDB connections are pinged on checkout only after sitting idle; a dead idle one
is replaced before use, a recently used one is not pinged (no round trip per request)."""

from __future__ import annotations

from sqlalchemy import create_engine, event, text

from glpi_scim.db.database import Database
from glpi_scim.db.liveness import PINGED, ping_when_idle


def _connection_id(
    engine_url: str, killer_database: Database, *, idle_seconds: float
) -> tuple[list[bool], list[int]]:
    """Two checkouts with the first one's server connection killed in between: whether each
    checkout pinged, and the server connection id each one used."""
    engine = create_engine(engine_url)
    ping_when_idle(engine, idle_seconds)
    pinged: list[bool] = []
    event.listen(
        engine.pool,
        "checkout",
        lambda _dbapi, record, _proxy: pinged.append(bool(record.info.get(PINGED))),
    )
    ids: list[int] = []
    try:
        with engine.connect() as connection:
            ids.append(int(connection.execute(text("SELECT CONNECTION_ID()")).scalar_one()))
        with killer_database.engine.connect() as killer:
            killer.execute(text(f"KILL {ids[0]}"))
        with engine.connect() as connection:
            ids.append(int(connection.execute(text("SELECT CONNECTION_ID()")).scalar_one()))
    finally:
        engine.dispose()
    return pinged, ids


def test_an_idle_connection_found_dead_is_replaced_before_use(mysql_database: Database) -> None:
    url = mysql_database.engine.url.render_as_string(hide_password=False)
    pinged, ids = _connection_id(
        url, mysql_database, idle_seconds=0.0
    )  # every checkout counts as idle
    assert pinged[-1] is True
    assert ids[1] != ids[0]  # a fresh connection, and the statement on it succeeded


def test_a_connection_used_a_moment_ago_is_not_pinged(mysql_database: Database) -> None:
    url = mysql_database.engine.url.render_as_string(hide_password=False)
    engine = create_engine(url)
    ping_when_idle(engine, idle_seconds=3600.0)
    pinged: list[bool] = []
    event.listen(
        engine.pool,
        "checkout",
        lambda _dbapi, record, _proxy: pinged.append(bool(record.info.get(PINGED))),
    )
    try:
        for _ in range(3):
            with engine.connect() as connection:
                assert connection.execute(text("SELECT 1")).scalar_one() == 1
    finally:
        engine.dispose()
    assert pinged == [False, False, False]  # the first one was just opened, the others reused
