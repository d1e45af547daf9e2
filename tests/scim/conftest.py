from __future__ import annotations

from datetime import datetime, timezone

import pytest

from glpi_scim.scim.memory import InMemoryStore
from glpi_scim.scim.service import ScimService, ServiceSettings

from .helpers import BASE


def fixed_clock() -> datetime:
    return datetime(2024, 5, 1, 12, 0, 0, tzinfo=timezone.utc)


@pytest.fixture
def store() -> InMemoryStore:
    return InMemoryStore(clock=fixed_clock)


@pytest.fixture
def service(store: InMemoryStore) -> ScimService:
    return ScimService(store, ServiceSettings(max_results=50), base_url=BASE)
