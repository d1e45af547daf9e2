"""Shared fixtures: a GLPI database as a fresh GLPI 10.0 install, on SQLite and on MariaDB.

- `database` runs a test twice: on an embedded SQLite file (ids `sqlite`) and on MariaDB loaded
  from GLPI's real schema (`mysql`, skipped unless GLPI_SCIM_TEST_MYSQL_URL is set).
- `sqlite_database` / `mysql_database`: one case only.
- `settings_for(database, **overrides)`: Settings whose database_url reaches that database.
- `glpi_database` runs a test on SQLite and on MariaDB loaded from the dump of a real GLPI
  10.0.19 install (`fresh_mysql_database`: the installer's profiles, rights, users, configs),
  where behaviour depends on GLPI's data and not only on its schema.
- `empty_mysql_database`: a new empty MariaDB database for one test; `glpi_mysql_database`: the
  same with GLPI's real schema loaded (no rows, no tool tables); `glpi_sql_file`: GLPI's schema
  dump; `mysql_server`: creates and drops this worker's databases.

MariaDB: once per session and xdist worker, a database `<URL's name>_<worker>` is created,
GLPI's real schema (glpi-10.0.19-empty.sql, 390 tables) loaded and the tool's migrations run;
each test then starts from a fresh install again by emptying only the tables the tool uses.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import make_url, text

from glpi_scim.config import Settings
from glpi_scim.db import tables
from glpi_scim.db.database import Database, engine_for_url, mask_url_password, sqlite_url
from glpi_scim.db.migrations import VERSION_TABLE, current_revision, head_revision
from glpi_scim.db.schema import bootstrap_glpi, ensure_tool_schema, initialise_embedded

REPO_ROOT = Path(__file__).resolve().parent.parent
MYSQL_URL_VAR = "GLPI_SCIM_TEST_MYSQL_URL"
GLPI_SQL_VAR = "GLPI_SCIM_TEST_GLPI_SQL"
MYSQL_SKIP_REASON = f"{MYSQL_URL_VAR} is not set"


def glpi_sql_path() -> Path:
    """GLPI's own empty-database schema (test data outside the project)."""
    override = os.environ.get(GLPI_SQL_VAR)
    if override:
        return Path(override)
    return REPO_ROOT.parent / "shared" / "glpi" / "glpi-10.0.19-empty.sql"


def make_database(url: str) -> Database:
    return Database(engine_for_url(url), url, mask_url_password(url))


def worker_suffix() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


# --------------------------------------------------------------------------------------------
# SQLite: one initialised file per session, copied for each test
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "glpi.sqlite"
    database = make_database(sqlite_url(path))
    initialise_embedded(database)
    database.dispose()  # the last connection closing folds the WAL into the main file
    return path


@pytest.fixture
def sqlite_database(_sqlite_template: Path, tmp_path: Path) -> Iterator[Database]:
    path = tmp_path / "glpi.sqlite"
    shutil.copyfile(_sqlite_template, path)
    database = make_database(sqlite_url(path))
    yield database
    database.dispose()


# --------------------------------------------------------------------------------------------
# MariaDB: GLPI's real schema loaded once per session and worker, reset per test
# --------------------------------------------------------------------------------------------


def fresh_install_path() -> Path:
    """The dump of a database made by GLPI 10.0.19's own installer (test data outside the
    project)."""
    return glpi_sql_path().with_name("glpi-10.0.19-fresh-install.sql.gz")


def load_sql_file(url: str, path: Path) -> None:
    """Run a multi-statement SQL file (GLPI's schema dump, gzipped or not) through the
    driver."""
    import gzip

    import pymysql
    from pymysql.constants import CLIENT

    parsed = make_url(url)
    connection = pymysql.connect(
        host=parsed.host or "127.0.0.1",
        port=parsed.port or 3306,
        user=parsed.username or "root",
        password=parsed.password or "",
        database=parsed.database,
        charset="utf8mb4",
        client_flag=CLIENT.MULTI_STATEMENTS,
        **(
            {"unix_socket": str(parsed.query["unix_socket"])}
            if "unix_socket" in parsed.query
            else {}
        ),
    )
    try:
        with connection.cursor() as cursor:
            if path.suffix == ".gz":
                sql = gzip.decompress(path.read_bytes()).decode("utf-8")
            else:
                sql = path.read_text(encoding="utf-8")
            cursor.execute(sql)
            while cursor.nextset():
                pass
        connection.commit()
    finally:
        connection.close()


class MysqlServer:
    """Creates and drops this worker's own databases on the test server."""

    def __init__(self, base_url: str) -> None:
        self.parsed = make_url(base_url)
        self.prefix = f"{self.parsed.database or 'glpiscim_test'}_{worker_suffix()}"
        # Creating, loading and dropping a 390-table database can take longer than a request
        # may wait on a busy machine: the administrative connection waits longer.
        server_url = self.parsed.set(database="").render_as_string(False)
        self.server = Database(
            engine_for_url(server_url, timeout=120), server_url, mask_url_password(server_url)
        )
        self.created = 0

    def create(self, suffix: str = "") -> str:
        """A new empty database (utf8mb4_unicode_ci, as GLPI's); returns its URL."""
        name = self.prefix + suffix
        with self.server.begin() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
            connection.execute(
                text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
            )
        return self.parsed.set(database=name).render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        with self.server.begin() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS `{make_url(url).database}`"))


@pytest.fixture(scope="session")
def mysql_server() -> Iterator[MysqlServer]:
    base_url = os.environ.get(MYSQL_URL_VAR)
    if not base_url:
        pytest.skip(MYSQL_SKIP_REASON)
    server = MysqlServer(base_url)
    yield server
    server.server.dispose()


@pytest.fixture(scope="session")
def glpi_sql_file() -> Path:
    sql_file = glpi_sql_path()
    if not sql_file.is_file():
        pytest.fail(f"GLPI's schema {sql_file} is missing; set {GLPI_SQL_VAR} to its path")
    return sql_file


@pytest.fixture(scope="session")
def _mysql_session_database(mysql_server: MysqlServer, glpi_sql_file: Path) -> Iterator[Database]:
    url = mysql_server.create()
    load_sql_file(url, glpi_sql_file)
    database = make_database(url)
    ensure_tool_schema(database)
    yield database
    database.dispose()
    mysql_server.drop(url)


@pytest.fixture
def empty_mysql_database(mysql_server: MysqlServer) -> Iterator[Database]:
    """A new, empty MariaDB database of this test alone (dropped afterwards)."""
    mysql_server.created += 1
    url = mysql_server.create(f"_scratch{mysql_server.created}")
    database = make_database(url)
    yield database
    database.dispose()
    mysql_server.drop(url)


@pytest.fixture
def glpi_mysql_database(empty_mysql_database: Database, glpi_sql_file: Path) -> Database:
    """A new MariaDB database of this test alone, holding GLPI's real schema and no rows: a
    real GLPI database before `glpi-scim db init` (about 2 s; prefer `mysql_database`)."""
    load_sql_file(empty_mysql_database.url, glpi_sql_file)
    return empty_mysql_database


def repair_tool_schema(database: Database) -> None:
    """Recreate the tool's tables when a test dropped or re-versioned them."""
    with database.connect() as connection:
        present = {row[0] for row in connection.execute(text("SHOW TABLES"))}
        intact = {table.name for table in tables.TOOL_TABLES} | {VERSION_TABLE} <= present
        if intact and current_revision(connection) == head_revision():
            return
    with database.begin() as connection:
        for name in [VERSION_TABLE, *(table.name for table in tables.TOOL_TABLES)]:
            connection.execute(text(f"DROP TABLE IF EXISTS `{name}`"))
    ensure_tool_schema(database)


def reset_mysql(database: Database) -> None:
    """Back to a fresh install: empty the tables the tool uses, write the install's rows."""
    repair_tool_schema(database)
    names = [table.name for table in (*tables.GLPI_TABLES, *tables.TOOL_TABLES)]
    with database.begin() as connection:
        for name in names:
            connection.execute(text(f"TRUNCATE TABLE `{name}`"))
    with database.begin() as connection:
        bootstrap_glpi(connection)


@pytest.fixture
def mysql_database(_mysql_session_database: Database) -> Iterator[Database]:
    reset_mysql(_mysql_session_database)
    yield _mysql_session_database


# The default `mysql_database` stays on GLPI's empty schema plus the embedded bootstrap rows
# (which hold the installer's profile rights too, fresh_rights.py): thousands of tests reset it
# in milliseconds. `fresh_mysql_database` is the real installer's data, for the tests of who may
# change whom.


@pytest.fixture(scope="session")
def _fresh_mysql_databases(mysql_server: MysqlServer) -> Iterator[tuple[Database, str]]:
    """This worker's database loaded from the fresh-install dump, and a pristine copy's name."""
    dump = fresh_install_path()
    if not dump.is_file():
        pytest.fail(f"GLPI's fresh-install dump {dump} is missing")
    template_url = mysql_server.create("_freshcopy")
    load_sql_file(template_url, dump)
    url = mysql_server.create("_fresh")
    load_sql_file(url, dump)
    database = make_database(url)
    ensure_tool_schema(database)
    yield database, str(make_url(template_url).database)
    database.dispose()
    mysql_server.drop(url)
    mysql_server.drop(template_url)


@pytest.fixture
def fresh_mysql_database(_fresh_mysql_databases: tuple[Database, str]) -> Iterator[Database]:
    """MariaDB as GLPI 10.0.19's installer left it, reset before each test: the tables the
    tool uses are copied back from the pristine copy, the tool's own emptied."""
    database, template = _fresh_mysql_databases
    repair_tool_schema(database)
    with database.begin() as connection:
        for table in tables.TOOL_TABLES:
            connection.execute(text(f"TRUNCATE TABLE `{table.name}`"))
        for table in tables.GLPI_TABLES:
            connection.execute(text(f"TRUNCATE TABLE `{table.name}`"))
            connection.execute(
                text(f"INSERT INTO `{table.name}` SELECT * FROM `{template}`.`{table.name}`")
            )
    yield database


# --------------------------------------------------------------------------------------------
# Both
# --------------------------------------------------------------------------------------------


@pytest.fixture(
    params=[pytest.param("sqlite"), pytest.param("mysql", marks=pytest.mark.mysql)],
    ids=["sqlite", "mysql"],
)
def database(request: pytest.FixtureRequest) -> Database:
    fixture: Database = request.getfixturevalue(f"{request.param}_database")
    return fixture


@pytest.fixture(
    params=[pytest.param("sqlite"), pytest.param("fresh_mysql", marks=pytest.mark.mysql)],
    ids=["sqlite", "mysql-fresh-install"],
)
def glpi_database(request: pytest.FixtureRequest) -> Database:
    """SQLite, and MariaDB holding a real fresh GLPI install's rows."""
    fixture: Database = request.getfixturevalue(f"{request.param}_database")
    return fixture


@pytest.fixture
def settings_for() -> Callable[..., Settings]:
    """`settings_for(database, **overrides)`: Settings reaching that database."""

    def build(database: Database, **overrides: Any) -> Settings:
        settings = Settings(database_url=database.url, sources={"database_url": "cli"})
        return dataclasses.replace(settings, **overrides) if overrides else settings

    return build


MYSQL_FIXTURES = {
    "mysql_database",
    "empty_mysql_database",
    "glpi_mysql_database",
    "mysql_server",
    "fresh_mysql_database",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # `-m "not mysql"` deselects every test that needs MariaDB, however it asks for it.
    for item in items:
        if MYSQL_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.mysql)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """How many requests the fuzzing tests generated (tests record `fuzz_cases`; under xdist
    user_properties travel from the workers with each report). Here, not in the reliability
    tests' conftest, because the xdist controller loads only this one."""
    lines = []
    for reports in terminalreporter.stats.values():
        for report in reports:
            properties = dict(getattr(report, "user_properties", ()))
            if getattr(report, "when", None) == "teardown" and "fuzz_cases" in properties:
                lines.append(
                    f"{report.nodeid}: {properties['fuzz_cases']} generated requests, "
                    f"statuses {properties.get('fuzz_statuses', {})}"
                )
    if lines:
        terminalreporter.write_sep("-", "generated requests (reliability fuzzing)")
        for line in sorted(lines):
            terminalreporter.write_line(line)


# --------------------------------------------------------------------------------------------
# Concurrency
# --------------------------------------------------------------------------------------------


def run_together(work: Callable[[int], Any], threads: int = 8) -> list[Any]:
    """Run `work(i)` in `threads` threads released together; results or raised exceptions, in
    order. Fails when a thread never finishes."""
    barrier = threading.Barrier(threads)
    results: list[Any] = [None] * threads

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as exc:  # collected for the assertions
            results[i] = exc

    workers = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(180)
    assert not any(worker.is_alive() for worker in workers), "a thread never finished"
    return results


@pytest.fixture
def race() -> Callable[..., list[Any]]:
    """`race(work, threads=8)`: see run_together."""
    return run_together


@pytest.fixture(autouse=True)
def _write_answers_match_a_fresh_read(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """A user's create, PATCH or PUT answers with what it wrote (UserReader.answer_new), or with
    the user as it read it before writing changed by what it wrote (UserReader.answer), instead
    of reading the user again; a group's change with its locked row and what it wrote
    (GlpiStore._group_answer). Every test checks that answer
    against a read of the user in the same transaction, right after the writes: they must be
    equal, meta.version included. Marked `no_answer_check`, a test skips it: one that counts
    the statements a write sends (the check's read would count), or one where a concurrent
    transaction committed a row the write's locking read found (a new title) but the check's
    read, on the transaction's older snapshot, cannot see."""
    if request.node.get_closest_marker("no_answer_check"):
        yield
        return
    from glpi_scim.glpi.users import UserReader

    answer, answer_new = UserReader.answer, UserReader.answer_new
    differences: list[tuple[Any, Any]] = []

    def compare(reader: UserReader, given: Any) -> Any:
        again = reader.one(int(given["id"]))
        if given != again:
            differences.append((given, again))
        return given

    def checked(reader: UserReader, seen: Any, written: Any) -> Any:
        return compare(reader, answer(reader, seen, written))

    def checked_new(reader: UserReader, inserted: Any) -> Any:
        return compare(reader, answer_new(reader, inserted))

    monkeypatch.setattr(UserReader, "answer", checked)
    monkeypatch.setattr(UserReader, "answer_new", checked_new)
    # A group's change answers with its locked row and what it wrote (GlpiStore._group_answer),
    # and a rebuild of a group with what it read and wrote only (its `known`).
    from glpi_scim.glpi.store import GlpiStore

    group_answer = GlpiStore._group_answer

    def checked_group(store: Any, connection: Any, reader: Any, *args: Any, **known: Any) -> Any:
        given = group_answer(store, connection, reader, *args, **known)
        again = reader.one(int(given["id"].removeprefix("g")), skip=args[-1])
        if given != again:
            differences.append((given, again))
        return given

    monkeypatch.setattr(GlpiStore, "_group_answer", checked_group)
    yield
    assert not differences, f"an answer differs from the item read again: {differences[0]}"
