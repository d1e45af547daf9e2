"""Fresh GLPI databases for the benchmark: an embedded SQLite file, or a MariaDB database loaded
with GLPI 10.0's real schema and a fresh install's rows, plus the tool's own tables."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import make_url, text

from glpi_scim.config import mask_url_password
from glpi_scim.db.database import Database, engine_for_url, sqlite_url
from glpi_scim.db.schema import bootstrap_glpi, ensure_tool_schema, initialise_embedded

REPO_ROOT = Path(__file__).resolve().parent.parent
GLPI_SQL_VAR = "GLPI_SCIM_TEST_GLPI_SQL"


def glpi_sql_path() -> Path:
    """GLPI's empty-database dump (outside the project; the same one the tests load)."""
    override = os.environ.get(GLPI_SQL_VAR)
    return (
        Path(override)
        if override
        else REPO_ROOT.parent / "shared" / "glpi" / "glpi-10.0.19-empty.sql"
    )


# Creating, loading and dropping a 390-table database can take longer than a request may wait
# on a busy machine: the administrative connections wait longer.
ADMIN_TIMEOUT = 120


def open_url(url: str, timeout: int = 10) -> Database:
    return Database(engine_for_url(url, timeout=timeout), url, mask_url_password(url))


def fresh_sqlite(path: Path) -> Database:
    """A new embedded database file (an existing one, and its WAL, are replaced)."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    database = open_url(sqlite_url(path))
    initialise_embedded(database)
    return database


def fresh_mariadb(server_url: str, name: str, glpi_sql: Path | None = None) -> Database:
    """Database `name` on the server of `server_url`, dropped and rebuilt from GLPI's dump."""
    sql_file = glpi_sql or glpi_sql_path()
    if not sql_file.is_file():
        raise FileNotFoundError(f"GLPI's schema {sql_file} is missing; set {GLPI_SQL_VAR}")
    parsed = make_url(server_url)
    admin = open_url(parsed.set(database="").render_as_string(hide_password=False), ADMIN_TIMEOUT)
    try:
        with admin.begin() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
            connection.execute(
                text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
            )
    finally:
        admin.dispose()
    url = parsed.set(database=name).render_as_string(hide_password=False)
    database = open_url(url)
    try:
        _run_sql_file(url, sql_file)
        with database.begin() as connection:
            bootstrap_glpi(connection)
        ensure_tool_schema(database)
    except BaseException:
        drop_mariadb(database)  # never leave a half-built database behind
        raise
    return database


def drop_mariadb(database: Database) -> None:
    name = database.engine.url.database
    database.dispose()
    server_url = database.engine.url.set(database="").render_as_string(hide_password=False)
    admin = open_url(server_url, ADMIN_TIMEOUT)
    try:
        with admin.begin() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
    finally:
        admin.dispose()


def _run_sql_file(url: str, path: Path) -> None:
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
    )
    try:
        with connection.cursor() as cursor:
            cursor.execute(path.read_text(encoding="utf-8"))
            while cursor.nextset():
                pass
        connection.commit()
    finally:
        connection.close()
