"""How moments and issued tokens are printed by every command group."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from glpi_scim.servers.service import IssuedServerToken


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def shown_time(moment: datetime | None) -> str:
    return "-" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def shown_date(moment: datetime | None) -> str:
    return "-" if moment is None else moment.strftime("%Y-%m-%d")


def token_json(issued: IssuedServerToken) -> dict[str, Any]:
    return {**issued.record.as_json(), "token": issued.token}
