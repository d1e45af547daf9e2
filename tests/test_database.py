"""open_database: the embedded default, URLs, and connection errors a person can act on."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import event, make_url, select, text

from glpi_scim.config import Settings
from glpi_scim.db import tables
from glpi_scim.db.database import (
    Database,
    DatabaseAuthError,
    DatabaseConfigError,
    DatabaseError,
    DatabaseUnreachable,
    UnknownDatabase,
    open_database,
)
from glpi_scim.db.schema import check_schema, initialise_embedded


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_embedded_default_is_created_on_first_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    database = open_database(Settings())
    assert database.is_sqlite and database.url == "sqlite:///glpi-scim.sqlite"
    assert initialise_embedded(database) is True
    assert (tmp_path / "glpi-scim.sqlite").is_file()
    assert check_schema(database).usable
    database.dispose()


def test_embedded_parent_directory_is_created(tmp_path: Path) -> None:
    path = tmp_path / "var" / "lib" / "glpi-scim" / "db.sqlite"
    database = open_database(Settings(sqlite_path=str(path)))
    assert path.parent.is_dir()
    initialise_embedded(database)
    with database.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    database.dispose()


def test_embedded_parent_that_cannot_be_created(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(DatabaseUnreachable) as caught:
        open_database(Settings(sqlite_path=str(blocker / "sub" / "db.sqlite")))
    assert f"cannot create the directory {blocker / 'sub'}" in str(caught.value)
    assert "GLPI_SCIM_SQLITE_PATH" in str(caught.value)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", "is not a database URL: expected e.g. mysql+pymysql://"),
        ("postgresql://u:secret@h/glpi", "GLPI runs on MySQL or MariaDB"),
        ("mysql+nosuchdriver://u:secret@h/glpi", "unknown database driver"),
    ],
)
def test_unusable_urls(url: str, message: str) -> None:
    with pytest.raises(DatabaseConfigError) as caught:
        open_database(Settings(database_url=url))
    assert message in str(caught.value)
    assert "secret" not in str(caught.value)


def test_unreachable_server() -> None:
    port = free_port()
    database = open_database(
        Settings(database_url=f"mysql+pymysql://glpi:secret@127.0.0.1:{port}/glpi", db_timeout=2)
    )
    with pytest.raises(DatabaseUnreachable) as caught:
        check_schema(database)
    message = str(caught.value)
    assert (
        f"cannot reach the database server of mysql+pymysql://glpi:***@127.0.0.1:{port}/glpi"
        in (message)
    )
    assert "check the host and port" in message
    assert "secret" not in message


def test_unknown_host() -> None:
    database = open_database(
        Settings(database_url="mysql+pymysql://u@no-such-host.invalid/glpi", db_timeout=2)
    )
    with pytest.raises(DatabaseUnreachable, match=r"no-such-host\.invalid"):
        check_schema(database)


@pytest.mark.mysql
def test_bad_credentials(mysql_database: Database) -> None:
    url = make_url(mysql_database.url).set(password="certainly-wrong-password")
    database = open_database(Settings(database_url=url.render_as_string(hide_password=False)))
    with pytest.raises(DatabaseAuthError) as caught:
        check_schema(database)
    message = str(caught.value)
    assert "refused the credentials of" in message
    assert "check the user name and password" in message
    assert "certainly-wrong-password" not in message


@pytest.mark.mysql
def test_unknown_database(mysql_database: Database) -> None:
    url = make_url(mysql_database.url).set(database="glpiscim_no_such_database")
    database = open_database(Settings(database_url=url.render_as_string(hide_password=False)))
    with pytest.raises(UnknownDatabase) as caught:
        check_schema(database)
    assert "has no database named in" in str(caught.value)
    assert "glpiscim_no_such_database" in str(caught.value)


def test_connection_errors_are_database_errors() -> None:
    for error in (DatabaseUnreachable, DatabaseAuthError, UnknownDatabase, DatabaseConfigError):
        assert issubclass(error, DatabaseError)


def test_transaction_rolls_back_on_error(database: Database) -> None:
    with pytest.raises(RuntimeError), database.begin() as connection:
        connection.execute(tables.groups.insert().values(name="Ghost"))
        raise RuntimeError("abort")
    with database.connect() as connection:
        assert connection.execute(select(tables.groups.c.id)).all() == []


def test_a_request_scope_shares_one_connection(database: Database) -> None:
    checkouts: list[object] = []
    event.listen(database.engine, "checkout", lambda *args: checkouts.append(args[0]))
    with database.request_scope():
        # A connection asked for inside a transaction is another one: what runs on it stays
        # independent of that transaction.
        with database.begin() as first, database.connection() as nested:
            assert nested is not first
        with database.begin() as second:
            assert second is first
        with database.connection() as third:
            assert third is first
    assert len(checkouts) == 2
    pool = database.engine.pool
    assert pool.checkedout() == 0  # type: ignore[attr-defined]


def test_reads_of_a_request_share_one_transaction(database: Database) -> None:
    commits: list[str] = []
    event.listen(database.engine, "commit", lambda connection: commits.append("commit"))
    with database.request_scope():
        for _ in range(3):
            with database.read() as connection:
                connection.execute(select(tables.groups.c.id)).all()
        assert commits == []
        with database.begin() as connection:
            assert commits == ["commit"]  # the reads ended before anything writes
            connection.execute(tables.groups.insert().values(name="written"))
        with pytest.raises(RuntimeError), database.read():
            raise RuntimeError("a failed read ends the shared transaction")
        with database.read() as connection:
            names = connection.execute(select(tables.groups.c.name)).scalars().all()
        assert names == ["written"]
    assert commits == ["commit", "commit", "commit"]


def test_mysql_sessions_speak_utf8mb4(database: Database) -> None:
    name = "Zoë 🚀 Ünïcødé"
    with database.begin() as connection:
        connection.execute(tables.groups.insert().values(name=name))
    with database.connect() as connection:
        assert connection.execute(select(tables.groups.c.name)).scalar() == name


@contextmanager
def open_write_transaction(database: Database, group_name: str) -> Iterator[threading.Event]:
    """Another thread inserts a group and keeps its transaction open until the event is set."""
    writing, release = threading.Event(), threading.Event()

    def writer() -> None:
        with database.begin() as connection:
            connection.execute(tables.groups.insert().values(name=group_name))
            writing.set()
            release.wait(10)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert writing.wait(5)
        yield release
    finally:
        release.set()
        thread.join()


def test_sqlite_writers_queue_instead_of_failing(sqlite_database: Database) -> None:
    # Two connections writing at once: the second waits for the first (BEGIN IMMEDIATE and
    # busy_timeout) instead of failing with "database is locked".
    with open_write_transaction(sqlite_database, "first") as release:
        threading.Timer(0.3, release.set).start()
        with sqlite_database.begin() as connection:
            count = len(connection.execute(select(tables.groups.c.id)).all())
            connection.execute(tables.groups.insert().values(name="second"))
    assert count == 1  # the second transaction started after the first committed


def test_sqlite_reads_do_not_wait_for_a_writer(database: Database) -> None:
    """A read-only transaction sees the last committed state at once, even while another
    transaction holds the write lock (SQLite: no BEGIN IMMEDIATE for reads)."""
    with database.begin() as connection:
        connection.execute(tables.groups.insert().values(name="committed"))
    with open_write_transaction(database, "uncommitted"), database.read() as connection:
        names = connection.execute(select(tables.groups.c.name)).scalars().all()
    assert names == ["committed"]
    with database.read() as connection:
        assert len(connection.execute(select(tables.groups.c.id)).all()) == 2
