"""What every declaration of a mapped User attribute says (one module per kind beside this one).

A declaration owns one SCIM attribute path (`key`: extension URN or None, attribute,
sub-attribute) and says, in one place, everything the store does with it:

- `columns` / `joins`: what the user's SELECT reads for it (statements are built once, at import,
  from the registry, with bound parameters);
- `read`: its value from such a row (texts decoded);
- `render`: where that value goes in the SCIM document;
- `split`: its value in an incoming, validated resource (InvalidValue for what GLPI cannot hold);
- `write`: the glpi_users column values for a new user, and the change of an existing one with
  its GLPI history rows;
- `target`: what `attr op value` compiles to in a filter (glpi/attributes/targets.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Connection, FromClause, Row

from glpi_scim.glpi import history
from glpi_scim.glpi.attributes.targets import Target

# (extension URN or None, attribute, sub-attribute), canonical spelling.
AttrKey = tuple[str | None, str, str | None]


@dataclass
class WriteContext:
    """What a declaration writes with: the transaction's connection, its history, its time."""

    connection: Connection
    log: history.History
    now: datetime
    user_id: int  # 0 while the user is being inserted


class UserAttribute(Protocol):
    key: AttrKey

    def columns(self, users: FromClause) -> Sequence[ColumnElement[Any]]:
        """Labelled columns the user's SELECT adds for this attribute (beyond glpi_users')."""
        ...

    def joins(self, source: FromClause, users: FromClause) -> FromClause:
        """`source` with the outer joins those columns need."""
        ...

    def read(self, row: Row[Any]) -> Any: ...

    def render(self, value: Any, out: dict[str, Any]) -> None: ...

    def split(self, resource: Mapping[str, Any]) -> Any: ...

    def insert(self, context: WriteContext, value: Any) -> dict[str, Any]:
        """glpi_users values of a new user holding `value`."""
        ...

    def update(
        self, context: WriteContext, row: Row[Any], value: Any, changes: dict[str, Any]
    ) -> None:
        """Add to `changes` what makes the glpi_users `row` hold `value`, logging it."""
        ...

    def target(self, users: FromClause, sqlite: bool) -> Target: ...
