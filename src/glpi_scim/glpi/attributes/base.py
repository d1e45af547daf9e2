"""What every declaration of a mapped User attribute says (one module per kind beside this one).

A declaration owns SCIM attribute paths (`keys`: extension URN or None, attribute,
sub-attribute) and says, in one place, everything the store does with them:

- `name`: where its value sits in UserValues.values and UserRecord.values;
- `columns` / `joins`: what the user's SELECT reads for it (statements are built once, at import,
  from the registry, with bound parameters);
- `read`: its value from such a row (texts decoded);
- `render`: where that value goes in the SCIM document (the verbatim row at hand);
- `split`: its value in an incoming, validated resource (InvalidValue for what GLPI cannot hold),
  and `mark`: what it notes in the verbatim row about that value;
- `check`, `insert`, `update`, `write_rows`: the glpi_users column values for a new user, the
  change of an existing one with its GLPI history rows, and the rows of other tables it keeps;
- `target`: what `attr op value` compiles to in a filter (glpi/attributes/targets.py);
- `renders_sent`: attributes kept as sent in the tool's row that it merges into its rendering.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from sqlalchemy import ColumnElement, Connection, FromClause, Row

from glpi_scim.glpi import history
from glpi_scim.identity.models import IdentityServer

if TYPE_CHECKING:
    from glpi_scim.glpi.attributes.targets import Frame

# (extension URN or None, attribute, sub-attribute), canonical spelling.
AttrKey = tuple[str | None, str, str | None]


class EmailRow(NamedTuple):
    """A glpi_useremails row as a write compares with it (e-mail text as GLPI stores it)."""

    id: int
    email: str | None
    is_default: bool
    is_dynamic: bool


@dataclass
class WriteContext:
    """What a declaration writes with: the transaction's connection, its history, its time."""

    connection: Connection
    log: history.History
    now: datetime
    user_id: int  # 0 while the user is being inserted
    server: IdentityServer
    sqlite: bool
    # The verbatim attributes the tool's row will hold (a declaration may mark in it).
    stored: dict[str, Any] = field(default_factory=dict)
    new: bool = False  # the user row was inserted by this write: it has no other rows yet
    # The user's row as its read this transaction returned it (UserReader.locked), when the
    # write has one: the columns a declaration reads there need no statement of their own.
    seen: Mapping[str, Any] | None = None
    # Its e-mail rows, read in the same snapshot with the user (users.py's parts statement).
    seen_emails: Sequence[EmailRow] | None = None
    # What the write changed in the user's SELECT beyond glpi_users' own columns (a dropdown's
    # name, the manager's): with them the store answers without reading the user again.
    after: dict[str, Any] = field(default_factory=dict)
    # The e-mails (address, default) as the write left them, in row order; None: unchanged.
    emails_after: list[tuple[str, bool]] | None = None
    # The rows of each dropdown name the write read ahead, locked, lowest id first (none: no
    # such row), by the dropdown's label and the name as stored: a create's with its facts
    # (creation.py), an update's with the user's parts (user_parts.py). A name absent here
    # is looked up on its own.
    dropdown_rows: Mapping[tuple[str, str], Sequence[tuple[int, str]]] = field(default_factory=dict)


class UserAttribute(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def renders_sent(self) -> tuple[str, ...]: ...

    @property
    def keys(self) -> Sequence[AttrKey]:
        """The SCIM paths a filter reaches through this declaration."""
        ...

    def columns(self, users: FromClause) -> Sequence[ColumnElement[Any]]:
        """Labelled columns the user's SELECT adds for this attribute."""
        ...

    def joins(self, source: FromClause, users: FromClause) -> FromClause:
        """`source` with the outer joins those columns need."""
        ...

    def correlated(self, users: FromClause) -> Sequence[ColumnElement[Any]]:
        """The columns of `columns` that its joins bring, as scalar subqueries correlated to
        `users`, under the same labels: a write's locking read of the user (users.py's
        LOCKED_USER) reads them so, since a join would lock the joined rows too."""
        ...

    def read(self, row: Row[Any]) -> Any: ...

    def render(self, value: Any, out: dict[str, Any], stored: Mapping[str, Any]) -> None: ...

    def split(self, resource: Mapping[str, Any]) -> Any: ...

    def mark(self, value: Any, stored: dict[str, Any]) -> None: ...

    def check(self, context: WriteContext, value: Any) -> None:
        """Refuse, before anything is written, a value GLPI would not hold for a new user."""
        ...

    def insert(self, context: WriteContext, value: Any) -> dict[str, Any]:
        """glpi_users values of a new user holding `value`."""
        ...

    def update(
        self, context: WriteContext, row: Row[Any], value: Any, changes: dict[str, Any]
    ) -> None:
        """Add to `changes` what makes the glpi_users `row` hold `value`, logging it."""
        ...

    def write_rows(self, context: WriteContext, value: Any) -> bool:
        """Rows of other tables, once the glpi_users row exists; True when any changed."""
        ...

    def target(self, frame: Frame, key: AttrKey) -> Any: ...


class Declared:
    """What a declaration does not do unless it says so."""

    # Top-level attributes kept verbatim as sent that this declaration renders itself (their
    # type, display... merged with what GLPI holds).
    renders_sent: tuple[str, ...] = ()

    def mark(self, value: Any, stored: dict[str, Any]) -> None:
        return None

    def check(self, context: WriteContext, value: Any) -> None:
        return None

    def write_rows(self, context: WriteContext, value: Any) -> bool:
        return False

    def correlated(self, users: FromClause) -> Sequence[ColumnElement[Any]]:
        return ()  # glpi_users' own columns only


def no_joins(source: FromClause, users: FromClause) -> FromClause:
    return source
