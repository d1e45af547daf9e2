"""The direct (DB-API) path reads a URL or config_db.php exactly as SQLAlchemy's engine would."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import make_url

from glpi_scim.config import load_settings
from glpi_scim.db.configdb import read_glpi_config
from glpi_scim.db.database import Database
from glpi_scim.db.dbapi import DirectTarget, direct_target, target_from_url

PLAIN_MYSQL_URLS = [
    "mysql+pymysql://glpi:secret@db.example.org/glpi",
    "mysql+pymysql://glpi:secret@db.example.org:3307/glpi",
    "mysql+pymysql://glpi@127.0.0.1/glpi",
    "mysql+pymysql://root@127.0.0.1:3306/glpiscim_test?charset=utf8mb4",
    f"mysql+pymysql://glpi:{quote('prix-100€ é:@/?', safe='')}@db/glpi",
    f"mysql+pymysql://{quote('jean-rené', safe='')}:pw@db/my%20glpi",
    "mysql+pymysql://glpi:pw@localhost/glpi?charset=utf8mb4&unix_socket=/run/mysqld/mysqld.sock",
    "mysql+pymysql://glpi:@db/glpi",
]
# Left to SQLAlchemy: its meaning needs more than the direct path reproduces.
OTHER_URLS = [
    "mysql://glpi:pw@db/glpi",  # SQLAlchemy's default MySQL driver
    "mariadb+pymysql://glpi:pw@db/glpi",
    "mysql+pymysql://glpi:pw@db/glpi?ssl_ca=/etc/ssl/ca.pem",
    "mysql+pymysql://glpi:pw@db/glpi?charset=utf8mb4&charset=latin1",
    "mysql+pymysql://glpi:pw@[::1]:3306/glpi",
    "mysql+pymysql://glpi:p/w@db/glpi",
    "mysql+pymysql://glpi:pw@db",
    "postgresql://glpi:pw@db/glpi",
    "sqlite://",
    "sqlite:///:memory:",
    "sqlite:///file.sqlite?mode=ro",
    "not a url",
]


@pytest.mark.parametrize("url", PLAIN_MYSQL_URLS)
def test_a_plain_mysql_url_means_what_sqlalchemy_makes_of_it(url: str) -> None:
    target = target_from_url(url)
    parsed = make_url(url)
    assert target is not None
    assert target.kind == "mysql"
    assert target.user == (parsed.username or None)
    assert target.password == (parsed.password or None)
    assert target.host == parsed.host
    assert target.port == parsed.port
    assert target.database == parsed.database
    assert target.unix_socket == parsed.query.get("unix_socket")


@pytest.mark.parametrize("url", OTHER_URLS)
def test_any_other_url_is_left_to_sqlalchemy(url: str) -> None:
    assert target_from_url(url) is None


def test_a_sqlite_url_opens_the_file_sqlalchemy_opens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for path in ("glpi-scim.sqlite", "data/../x y.sqlite", f"{tmp_path}/abs.sqlite"):
        target = target_from_url(f"sqlite:///{path}")
        assert target == DirectTarget("sqlite", os.path.abspath(path))


def test_the_embedded_default_and_config_db_php(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    embedded = direct_target(load_settings(None, environ={}))
    assert embedded == DirectTarget("sqlite", str(tmp_path / "glpi-scim.sqlite"))

    (tmp_path / "config_db.php").write_text(
        "<?php\nclass DB extends DBmysql {\n   public $dbhost = 'db.example.org:3307';\n"
        "   public $dbuser = 'glpi';\n"
        f"   public $dbpassword = '{quote('prix-100€', safe='')}';\n"
        "   public $dbdefault = 'glpi';\n}\n",
        encoding="utf-8",
    )
    settings = load_settings(None, environ={}, overrides={"glpi_config": str(tmp_path)})
    target = direct_target(settings)
    # The same connection as the URL database.py builds from the file.
    assert target == target_from_url(read_glpi_config(str(tmp_path)).url())
    assert target is not None and target.password == "prix-100€" and target.port == 3307


def test_the_default_tls_context_is_pymysqls_without_the_unread_ca_store() -> None:
    import ssl

    import pymysql

    from glpi_scim.db.dbapi import mysql_connection_class

    ours = mysql_connection_class()(defer_connect=True)
    theirs = pymysql.connections.Connection(defer_connect=True)
    assert ours.ssl and theirs.ssl  # TLS offered to a server that has it, not required
    assert not ours._ssl_required and not theirs._ssl_required
    for context in (ours.ctx, theirs.ctx):
        assert context.verify_mode == ssl.CERT_NONE
        assert context.check_hostname is False
    assert ours.ctx.protocol == theirs.ctx.protocol
    assert ours.ctx.options == theirs.ctx.options
    assert ours.ctx.minimum_version == theirs.ctx.minimum_version
    assert ours.ctx.cert_store_stats()["x509_ca"] == 0


def test_an_explicit_tls_option_keeps_pymysqls_verification() -> None:
    import ssl

    from glpi_scim.db.dbapi import mysql_connection_class

    connection = mysql_connection_class()(defer_connect=True, ssl_verify_cert=True)
    assert connection._ssl_required
    assert connection.ctx.verify_mode == ssl.CERT_REQUIRED
    assert connection.ctx.cert_store_stats()["x509_ca"] > 0  # the system's CA certificates


@pytest.mark.mysql
def test_the_engine_and_the_direct_path_both_connect_with_it(mysql_database: Database) -> None:
    from glpi_scim.db.dbapi import _connect, mysql_connection_class

    raw = mysql_database.engine.raw_connection()
    try:
        assert isinstance(raw.dbapi_connection, mysql_connection_class())
    finally:
        raw.close()
    target = target_from_url(mysql_database.url)
    assert target is not None
    direct = _connect(target, timeout=5)
    try:
        assert isinstance(direct, mysql_connection_class())
    finally:
        direct.close()
