"""The direct read path of `server list` gives what the repository gives, on SQLite and MariaDB."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import make_url, update

from glpi_scim.config import Settings, load_settings
from glpi_scim.db import tables
from glpi_scim.db.database import Database
from glpi_scim.db.dbapi import DirectReadError, direct_target
from glpi_scim.servers import listing
from glpi_scim.servers.glpirefs import GlpiReferences
from glpi_scim.servers.listing import list_servers_directly
from glpi_scim.servers.repository import ServerRepository
from glpi_scim.servers.service import ServerInput, ServerService


def settings_for(url: str) -> Settings:
    return load_settings(None, environ={}, overrides={"database_url": url})


def through_sqlalchemy(database: Database) -> list[tuple[Any, Any]]:
    references = GlpiReferences(database)
    return [
        (server, references.describe_user(server.users_id_applied))
        for server in ServerRepository(database).list_all()
    ]


def test_the_queries_name_the_tables_of_the_schema() -> None:
    assert f" FROM {tables.identity_servers.name} " in listing.SERVERS_QUERY
    assert f" FROM {tables.users.name} " in listing.APPLIED_USER_QUERY
    assert {"name", "is_deleted", "id"} <= set(tables.users.c.keys())


def test_every_server_and_its_applied_user_as_the_repository_reads_them(
    database: Database,
) -> None:
    service = ServerService(database)
    assert list_servers_directly(settings_for(database.url)) == []
    service.add(ServerInput(name="Entra ID", applied_user="glpi", default=True))
    service.add(
        ServerInput(
            name="R&D <okta>",
            applied_user="tech",
            active=False,
            log_requests=True,
            security="basic",
            username="okta-scim",
            password="correct horse battery",
            add_networks=("203.0.113.0/24",),
            entity="Root entity",
            profile="Technician",
            set_options={"userName": "email"},
            public_url="https://glpi.example.org",
        )
    )
    gone = service.add(ServerInput(name="orphan", applied_user="normal")).server
    trashed = service.add(ServerInput(name="trashed", applied_user="post-only")).server
    with database.begin() as connection:
        connection.execute(
            update(tables.users).where(tables.users.c.id == gone.users_id_applied).values(id=9999)
        )
        connection.execute(
            update(tables.users)
            .where(tables.users.c.id == trashed.users_id_applied)
            .values(is_deleted=1)
        )

    listed = list_servers_directly(settings_for(database.url))

    assert listed == through_sqlalchemy(database)
    assert [str(user) for _, user in listed] == [
        "glpi (2)",
        "tech (4)",
        f"(missing GLPI user) ({gone.users_id_applied})",
        f"post-only (in GLPI's trash) ({trashed.users_id_applied})",
    ]
    assert (
        listed[1][0].date_creation is not None
        and listed[1][0].options.as_json()["userName"] == "email"
    )


def test_a_missing_table_is_the_drivers_own_error(tmp_path: Path) -> None:
    with pytest.raises(DirectReadError) as caught:
        list_servers_directly(settings_for(f"sqlite:///{tmp_path}/empty.sqlite"))
    assert "no such table: glpi_plugin_glpiscim_servers" in str(caught.value.driver_error)


@pytest.mark.mysql
def test_a_refused_password_is_the_drivers_own_error(mysql_database: Database) -> None:
    url = make_url(mysql_database.url).set(password="not-the-password")
    with pytest.raises(DirectReadError) as caught:
        list_servers_directly(settings_for(url.render_as_string(hide_password=False)))
    assert caught.value.driver_error.args[0] == 1045  # access denied


def test_a_tls_connection_from_config_db_php_is_left_to_sqlalchemy(tmp_path: Path) -> None:
    (tmp_path / "config_db.php").write_text(
        "<?php\nclass DB extends DBmysql {\n   public $dbhost = 'db.example.org';\n"
        "   public $dbuser = 'glpi';\n   public $dbpassword = 'pw';\n"
        "   public $dbdefault = 'glpi';\n   public $dbssl = true;\n}\n",
        encoding="utf-8",
    )
    settings = load_settings(None, environ={}, overrides={"glpi_config": str(tmp_path)})
    assert direct_target(settings) is None
    assert list_servers_directly(settings) is None
