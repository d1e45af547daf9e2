"""Fixtures for the GLPI store: an identity server, a store on each backend, row readers."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from glpi_scim.db.database import Database
from glpi_scim.glpi.store import GlpiStore
from glpi_scim.identity.models import IdentityServer

from .support import APPLIED, Clock, Rows


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def server() -> IdentityServer:
    return IdentityServer(id=1, name="idp", users_id_applied=APPLIED)


@pytest.fixture
def make_store(database: Database, clock: Clock) -> Callable[..., GlpiStore]:
    """`make_store(**server_fields)`: a store for a test server with those settings."""

    def build(**fields: Any) -> GlpiStore:
        server = IdentityServer(id=1, name="idp", users_id_applied=APPLIED)
        return GlpiStore(database, dataclasses.replace(server, **fields), now=clock)

    return build


@pytest.fixture
def store(make_store: Callable[..., GlpiStore]) -> GlpiStore:
    return make_store()


@pytest.fixture
def rows(database: Database) -> Rows:
    return Rows(database)
