"""The real falcon app with the console on, on the `database` fixture (SQLite and MariaDB)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from glpi_scim.config import Settings
from glpi_scim.db.database import Database
from glpi_scim.server.app import ScimApp, create_app
from glpi_scim.server.context import AppContext

from .support import ConsoleClient


@pytest.fixture
def make_console(
    database: Database, settings_for: Callable[..., Settings]
) -> Iterator[Callable[..., ConsoleClient]]:
    apps: list[ScimApp] = []

    def build(**overrides: Any) -> ConsoleClient:
        settings = settings_for(database, **{"console_enabled": True, **overrides})
        app = create_app(settings, context=AppContext.create(settings, database))
        apps.append(app)
        return ConsoleClient(app)

    yield build
    for app in apps:
        app.context.log_writer.close()
        if app.context.retention is not None:
            app.context.retention.wait()
        app.context.stats.close()


@pytest.fixture
def console(make_console: Callable[..., ConsoleClient]) -> ConsoleClient:
    return make_console()


@pytest.fixture
def signed_in(console: ConsoleClient) -> ConsoleClient:
    result = console.sign_in()
    assert result.status_code == 303, result.text
    return console


@pytest.fixture
def isolated_cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """No settings file or GLPI_SCIM_* variable of the machine leaks into a CLI run."""
    import os

    for name in list(os.environ):
        if name.startswith("GLPI_SCIM_") and name != "GLPI_SCIM_TEST_MYSQL_URL":
            monkeypatch.delenv(name)
    monkeypatch.delenv("GLPI_CONFIG_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
