"""A database URL's secrets stay hidden wherever glpi-scim prints it, the query string too."""

from __future__ import annotations

import json

from click.testing import CliRunner

from glpi_scim.cli.main import cli
from glpi_scim.config import mask_url_password

# Nothing listens on port 1: every command fails to connect and says where it tried.
URL = "mysql+pymysql://glpi@127.0.0.1:1/glpi?password=hunter2&charset=utf8mb4"


def test_config_show_masks_a_password_in_the_query() -> None:
    result = CliRunner().invoke(cli, ["--database", URL, "config", "show", "--json"])
    assert result.exit_code == 0, result.output
    assert "hunter2" not in result.output
    shown = json.loads(result.output)
    settings = {row["name"]: row["value"] for row in shown["settings"]}
    masked = "mysql+pymysql://glpi@127.0.0.1:1/glpi?password=***&charset=utf8mb4"
    assert settings["database_url"] == masked
    assert shown["database"]["url"] == masked


def test_db_check_failure_masks_a_password_in_the_query() -> None:
    result = CliRunner().invoke(cli, ["--database", URL, "db", "check"])
    assert result.exit_code != 0
    assert "hunter2" not in result.output
    assert "127.0.0.1:1" in result.output


def test_every_secret_query_parameter_and_ambiguous_credentials_are_hidden() -> None:
    assert mask_url_password("mysql://h/d?passwd=a&PWD=b&token=c&charset=utf8mb4") == (
        "mysql://h/d?passwd=***&PWD=***&token=***&charset=utf8mb4"
    )
    # An "@" inside the query: the credentials cannot be told apart, so all of it is hidden.
    assert "s3cret" not in mask_url_password("mysql://glpi@h/d?password=s3cret@x")
    assert "pa" not in mask_url_password("mysql://glpi:pa?ss@h/d").split("://")[1]
