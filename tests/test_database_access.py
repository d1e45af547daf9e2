"""Real MariaDB users: non-ASCII passwords, and `db init` with too few privileges.

Each test creates its own MariaDB user and drops it afterwards.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import inspect, make_url, text

from glpi_scim.cli.main import cli
from glpi_scim.db import tables
from glpi_scim.db.database import Database, engine_for_url
from glpi_scim.db.migrations import VERSION_TABLE, upgrade_to_head

pytestmark = pytest.mark.mysql

MakeUser = Callable[..., str]
_numbers = itertools.count(1)


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env={"COLUMNS": "200", "GLPI_CONFIG_DIR": None})


def tool_tables(database: Database) -> set[str]:
    with database.connect() as connection:
        present = set(inspect(connection).get_table_names())
    return present & ({table.name for table in tables.TOOL_TABLES} | {VERSION_TABLE})


@pytest.fixture
def make_user(mysql_server: Any) -> Iterator[MakeUser]:
    """`make_user(database, password, privileges)`: a MariaDB user holding `privileges` on
    that database only; returns the URL that logs in as it."""
    created: list[str] = []

    def make(database: Database, password: str, privileges: str = "ALL PRIVILEGES") -> str:
        user = f"{mysql_server.prefix}_u{next(_numbers)}"
        name = make_url(database.url).database
        with mysql_server.server.begin() as connection:
            connection.execute(text(f"DROP USER IF EXISTS '{user}'@'%'"))
            connection.execute(
                text(f"CREATE USER '{user}'@'%' IDENTIFIED BY :pw"), {"pw": password}
            )
            connection.execute(text(f"GRANT {privileges} ON `{name}`.* TO '{user}'@'%'"))
        created.append(user)
        return (
            make_url(database.url)
            .set(username=user, password=password)
            .render_as_string(hide_password=False)
        )

    yield make
    with mysql_server.server.begin() as connection:
        for user in created:
            connection.execute(text(f"DROP USER IF EXISTS '{user}'@'%'"))


def grant(mysql_server: Any, url: str, privileges: str) -> None:
    parsed = make_url(url)
    with mysql_server.server.begin() as connection:
        connection.execute(
            text(f"GRANT {privileges} ON `{parsed.database}`.* TO '{parsed.username}'@'%'")
        )


# -- non-ASCII passwords --------------------------------------------------------------------

PASSWORDS = pytest.mark.parametrize(
    "password", ["mot-de-passé", "prix-100€"], ids=["e-acute", "euro"]
)


@PASSWORDS
def test_a_non_ascii_password_in_a_url(
    mysql_database: Database, make_user: MakeUser, password: str
) -> None:
    url = make_user(mysql_database, password)
    parsed = make_url(url)
    # The form a person writes: the password percent-encoded as UTF-8.
    written = (
        f"mysql+pymysql://{parsed.username}:{quote(password, safe='')}@{parsed.host}:"
        f"{parsed.port or 3306}/{parsed.database}"
    )
    result = run("--database", written, "db", "check")
    assert result.exit_code == 0, result.output
    assert "Usable." in result.output
    assert password not in result.output
    # `server list` connects through the driver itself (servers/listing.py): the same bytes.
    listed = run("--database", written, "server", "list")
    assert listed.exit_code == 0, listed.output
    assert "No identity server yet" in listed.output


@PASSWORDS
def test_a_non_ascii_password_in_config_db_php(
    mysql_database: Database, make_user: MakeUser, password: str, tmp_path: Path
) -> None:
    parsed = make_url(make_user(mysql_database, password))
    # GLPI's installer stores the password rawurlencoded (DBConnection::createMainConfig).
    (tmp_path / "config_db.php").write_text(
        "<?php\nclass DB extends DBmysql {\n"
        f"   public $dbhost = '{parsed.host}:{parsed.port or 3306}';\n"
        f"   public $dbuser = '{parsed.username}';\n"
        f"   public $dbpassword = '{quote(password, safe='')}';\n"
        f"   public $dbdefault = '{parsed.database}';\n"
        "}\n",
        encoding="utf-8",
    )
    result = run("--glpi-config", str(tmp_path), "db", "check")
    assert result.exit_code == 0, result.output
    assert "Usable." in result.output
    assert password not in result.output
    listed = run("--glpi-config", str(tmp_path), "server", "list")
    assert listed.exit_code == 0, listed.output
    assert "No identity server yet" in listed.output


# -- db init and privileges -------------------------------------------------------------------


@pytest.fixture
def glpi_database(glpi_mysql_database: Database) -> Database:
    """A real GLPI 10.0.19 database before `glpi-scim db init`."""
    with glpi_mysql_database.begin() as connection:
        connection.execute(
            tables.configs.insert().values(context="core", name="version", value="10.0.19")
        )
    return glpi_mysql_database


def test_init_without_index_creates_nothing_and_names_it(
    glpi_database: Database, make_user: MakeUser, mysql_server: Any
) -> None:
    url = make_user(glpi_database, "s3cret-pw", "SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER")
    user = make_url(url).username
    refused = run("--database", url, "db", "init")
    assert refused.exit_code == 3, refused.output
    assert f"the database user {user}@% lacks INDEX on" in refused.output
    assert "created nothing" in refused.output
    assert f"GRANT INDEX ON `{glpi_database.engine.url.database}`.* TO '{user}'@'%';" in (
        refused.output
    )
    assert "s3cret-pw" not in refused.output
    assert tool_tables(glpi_database) == set()

    grant(mysql_server, url, "INDEX")
    done = run("--database", url, "db", "init")
    assert done.exit_code == 0, done.output
    assert "Created the tool's tables" in done.output
    assert run("--database", url, "db", "check").exit_code == 0


def test_init_finishes_what_an_interrupted_init_left(
    glpi_database: Database, make_user: MakeUser, mysql_server: Any
) -> None:
    url = make_user(glpi_database, "s3cret-pw", "SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER")
    # What an earlier glpi-scim did without checking: the migration stops at its first
    # CREATE INDEX, and the tables created before it stay (MariaDB commits each CREATE).
    limited = Database(engine_for_url(url), url, url)
    try:
        with limited.connect() as connection, pytest.raises(Exception, match="INDEX"):
            upgrade_to_head(connection)
    finally:
        limited.dispose()
    left = tool_tables(glpi_database)
    assert left - {VERSION_TABLE}  # some tables, and no revision recorded

    grant(mysql_server, url, "INDEX")
    done = run("--database", url, "db", "init")
    assert done.exit_code == 0, done.output
    assert "Finished the tool's tables an interrupted `db init` had begun" in done.output
    assert tool_tables(glpi_database) == {t.name for t in tables.TOOL_TABLES} | {VERSION_TABLE}
    check = run("--database", url, "db", "check")
    assert check.exit_code == 0, check.output
    assert "Missing columns: none" in check.output
