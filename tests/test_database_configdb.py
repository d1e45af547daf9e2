"""GLPI's config/config_db.php, read without PHP, and the connection it gives."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import make_url

from glpi_scim.config import Settings
from glpi_scim.db.configdb import (
    DEFAULT_SOCKETS,
    config_from_source,
    parse_properties,
    read_glpi_config,
)
from glpi_scim.db.database import Database, DatabaseConfigError, open_database
from glpi_scim.db.schema import check_schema

# As GLPI 10.0's installer writes it (Toolbox::writeConfig / DBConnection::createMainConfig).
GLPI_WRITTEN = """<?php
class DB extends DBmysql {
   public $dbhost = 'localhost';
   public $dbuser = 'glpi';
   public $dbpassword = 'p%40ss%3Aw%2Fo%25rd';
   public $dbdefault = 'glpi';
   public $use_utf8mb4 = true;
   public $allow_myisam = false;
   public $allow_datetime = false;
   public $allow_signed_keys = false;
}
"""


def php(**properties: str) -> str:
    body = "".join(f"    public ${name} = {value};\n" for name, value in properties.items())
    return f"<?php\nclass DB extends DBmysql {{\n{body}}}\n"


def test_glpi_installer_file() -> None:
    config = config_from_source(GLPI_WRITTEN)
    assert (config.user, config.database, config.password) == ("glpi", "glpi", "p@ss:w/o%rd")
    assert config.host == "localhost" and config.port is None
    url = make_url(config.url())
    assert url.password == "p@ss:w/o%rd"  # escaped in the URL, decoded by SQLAlchemy
    assert url.username == "glpi" and url.database == "glpi"
    assert url.query["charset"] == "utf8mb4"


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("'db.example.org'", ("db.example.org", None, None)),
        ("'db.example.org:3307'", ("db.example.org", 3307, None)),
        ("'127.0.0.1:3306'", ("127.0.0.1", 3306, None)),
        ("'dbhost:/var/run/mysqld/custom.sock'", ("dbhost", None, "/var/run/mysqld/custom.sock")),
        ("'localhost:/tmp/my.sock'", ("localhost", None, "/tmp/my.sock")),
        ('"db.example.org:3308"', ("db.example.org", 3308, None)),
        ("['replica1:3310', 'replica2']", ("replica1", 3310, None)),
        ("array('replica1', 'replica2')", ("replica1", None, None)),
    ],
)
def test_host_port_and_socket(host: str, expected: tuple[object, ...]) -> None:
    config = config_from_source(php(dbhost=host, dbuser="'u'", dbdefault="'g'"))
    assert (config.host, config.port, config.socket) == expected
    url = make_url(config.url())
    assert url.port == expected[1]
    assert url.query.get("unix_socket") == expected[2]


def test_localhost_without_port_uses_the_local_socket_as_mysqli_does() -> None:
    config = config_from_source(php(dbhost="'localhost'", dbuser="'u'", dbdefault="'g'"))
    present = next((path for path in DEFAULT_SOCKETS if os.path.exists(path)), None)
    assert config.socket == present


def test_too_large_port_is_refused() -> None:
    with pytest.raises(DatabaseConfigError, match="names port 99999, above 65535"):
        config_from_source(php(dbhost="'db:99999'", dbuser="'u'", dbdefault="'g'"))


@pytest.mark.parametrize(
    ("literal", "value"),
    [
        (r"'it\'s'", "it's"),
        (r"'back\\slash'", "back\\slash"),
        (r"'no\nescape'", "no\\nescape"),  # single quotes keep \n as two characters
        (r'"dq\"uote"', 'dq"uote'),
        (r'"tab\there"', "tab\there"),
        (r'"dollar\$sign"', "dollar$sign"),
        (r'"keep\qunknown"', "keep\\qunknown"),
        ("'semi;colon'", "semi;colon"),
        ("'hash # inside'", "hash # inside"),
        ("'slashes // inside'", "slashes // inside"),
    ],
)
def test_string_literals(literal: str, value: str) -> None:
    assert parse_properties(php(dbpassword=literal))["dbpassword"] == value


def test_comments_and_other_members_are_ignored() -> None:
    source = """<?php
// public $dbhost = 'commented-out';
# public $dbuser = 'hash-comment';
/* public $dbdefault = 'block';
   public $dbpassword = 'block'; */
class DB extends DBmysql {
   public   $dbhost   =   "db"  ;  // trailing comment
   var $dbuser = 'old-style';
   public $dbdefault = 'glpi'; # another
   public $dbport = 42;
   public $use_timezones = TRUE;
   public $dbenc = null;
   public function __construct() { parent::__construct(); }
}
"""
    properties = parse_properties(source)
    assert properties == {
        "dbhost": "db",
        "dbuser": "old-style",
        "dbdefault": "glpi",
        "dbport": 42,
        "use_timezones": True,
        "dbenc": None,
    }


def test_tls_settings_are_honoured() -> None:
    source = php(
        dbhost="'db:3306'",
        dbuser="'u'",
        dbdefault="'g'",
        dbssl="true",
        dbsslca="'/etc/ssl/ca.pem'",
        dbsslcert="'/etc/ssl/client.pem'",
        dbsslkey="'/etc/ssl/client.key'",
        dbsslcacipher="null",
    )
    query = make_url(config_from_source(source).url()).query
    assert query["ssl_ca"] == "/etc/ssl/ca.pem"
    assert query["ssl_cert"] == "/etc/ssl/client.pem"
    assert query["ssl_key"] == "/etc/ssl/client.key"
    assert "ssl_check_hostname" not in query and "ssl_cipher" not in query
    # TLS without a CA: encrypted, not verified (what GLPI does with $dbssl alone).
    bare = make_url(
        config_from_source(php(dbhost="'db'", dbuser="'u'", dbdefault="'g'", dbssl="true")).url()
    ).query
    assert bare["ssl_check_hostname"] == "false"
    off = make_url(
        config_from_source(
            php(dbhost="'db'", dbuser="'u'", dbdefault="'g'", dbssl="false", dbsslca="'x'")
        ).url()
    ).query
    assert not any(key.startswith("ssl_") for key in off)


@pytest.mark.parametrize(
    ("properties", "message"),
    [
        ({"dbuser": "'u'", "dbdefault": "'g'"}, "$dbhost is missing; is this GLPI's config_db"),
        ({"dbhost": "'h'", "dbdefault": "'g'"}, "$dbuser is missing"),
        ({"dbhost": "'h'", "dbuser": "'u'"}, "$dbdefault is missing"),
        (
            {"dbhost": "getenv('DB_HOST')", "dbuser": "'u'", "dbdefault": "'g'"},
            "$dbhost is not a literal value",
        ),
        (
            {"dbhost": "'h'", "dbuser": "'u'", "dbdefault": '"glpi_$env"'},
            "$dbdefault interpolates a PHP variable",
        ),
        (
            {"dbhost": "'h'", "dbuser": "'u'", "dbdefault": "'a' . 'b'"},
            "Use --database URL instead",
        ),
    ],
)
def test_unreadable_files_say_why(properties: dict[str, str], message: str) -> None:
    with pytest.raises(DatabaseConfigError) as caught:
        config_from_source(php(**properties), "/etc/glpi/config_db.php")
    assert message in str(caught.value)
    assert "/etc/glpi/config_db.php" in str(caught.value)


def test_directory_or_file_can_be_named(tmp_path: Path) -> None:
    (tmp_path / "config_db.php").write_text(GLPI_WRITTEN, encoding="utf-8")
    assert read_glpi_config(tmp_path).database == "glpi"
    assert read_glpi_config(tmp_path / "config_db.php").source == str(tmp_path / "config_db.php")


def test_missing_file_points_at_the_setting(tmp_path: Path) -> None:
    with pytest.raises(DatabaseConfigError) as caught:
        read_glpi_config(tmp_path)
    message = str(caught.value)
    assert f"{tmp_path / 'config_db.php'} does not exist" in message
    assert "--glpi-config (GLPI_CONFIG_DIR)" in message


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "config_db.php"
    path.write_text(GLPI_WRITTEN, encoding="utf-8")
    path.chmod(0)
    with pytest.raises(DatabaseConfigError, match="permission denied"):
        read_glpi_config(tmp_path)


def test_open_database_prefers_url_then_glpi_config(tmp_path: Path) -> None:
    (tmp_path / "config_db.php").write_text(GLPI_WRITTEN, encoding="utf-8")
    from_glpi = open_database(Settings(glpi_config=str(tmp_path)))
    assert from_glpi.dialect == "mysql"
    assert from_glpi.url_display.startswith("mysql+pymysql://glpi:***@localhost/glpi")
    assert "p%40ss" not in from_glpi.url_display
    from_url = open_database(
        Settings(glpi_config=str(tmp_path), database_url=f"sqlite:///{tmp_path}/x.sqlite")
    )
    assert from_url.is_sqlite


@pytest.mark.mysql
def test_config_db_php_reaches_mariadb(mysql_database: Database, tmp_path: Path) -> None:
    url = make_url(mysql_database.url)
    (tmp_path / "config_db.php").write_text(
        php(
            dbhost=f"'{url.host}:{url.port or 3306}'",
            dbuser=f"'{url.username}'",
            dbpassword=f"'{url.password or ''}'",
            dbdefault=f"'{url.database}'",
        ),
        encoding="utf-8",
    )
    database = open_database(Settings(glpi_config=str(tmp_path)))
    try:
        report = check_schema(database)
    finally:
        database.dispose()
    assert report.usable, report.problems
    assert report.glpi_version == "10.0.19"


@pytest.mark.mysql
def test_config_db_php_reaches_mariadb_through_its_socket(
    mysql_database: Database, tmp_path: Path
) -> None:
    url = make_url(mysql_database.url)
    socket = next((path for path in DEFAULT_SOCKETS if os.path.exists(path)), None)
    if socket is None or url.host not in ("127.0.0.1", "localhost"):
        pytest.skip("the test server has no local socket")
    (tmp_path / "config_db.php").write_text(
        php(
            dbhost=f"'localhost:{socket}'",
            dbuser=f"'{url.username}'",
            dbpassword=f"'{url.password or ''}'",
            dbdefault=f"'{url.database}'",
        ),
        encoding="utf-8",
    )
    database = open_database(Settings(glpi_config=str(tmp_path)))
    try:
        assert check_schema(database).usable
    finally:
        database.dispose()
