"""A user's multi-valued parts, for one user or a whole page, in one statement.

Its e-mails (kind 0: row id, address, is_default, is_dynamic: a write compares with these
rows) and its group memberships (kind 1: link id, group name, group id). The memberships give
the groups and the version fingerprint (count and highest link id) alike, so the same
statement serves a read that skips `groups`.

A write's statement also carries both users' authorizations (kind 2), which GLPI's rules
compare, and the rows of the dropdown names its request gives (kind 3, locked: scim.preview),
which a title's change would otherwise look up in a statement of its own.

A GET on MariaDB reads the user's row in the same statement (kind 4, packed as one JSON array,
db/packed.py): one round trip fewer. SQLite has no round trips to save, and would need the
row's columns as text.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Connection,
    bindparam,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import BindParameter

from glpi_scim.db import tables
from glpi_scim.db.collation import collation_key, sqlite_equal_key
from glpi_scim.db.packed import PackedSelect, pack
from glpi_scim.glpi import memberships
from glpi_scim.glpi import text as glpi_text
from glpi_scim.glpi.attributes import registry
from glpi_scim.glpi.attributes.base import EmailRow
from glpi_scim.glpi.attributes.dropdown import stored_name
from glpi_scim.glpi.policy import AuthorizationRow, packed_authorization_rows
from glpi_scim.scim.store import Preview

EMAILS = tables.useremails
LINKS = tables.groups_users
_IDS: BindParameter[list[int]] = bindparam("ids", expanding=True)
_EMAIL_PART, _GROUP_PART, _RIGHTS_PART, _DROPDOWN_PART, _USER_PART = 0, 1, 2, 3, 4
# Names read ahead per write at most: a request naming more looks the others up itself.
MAX_DROPDOWN_NAMES = 4


def _user_parts(
    owners: Callable[[ColumnElement[int]], ColumnElement[bool]],
    *,
    with_rights: bool = False,
    dropdowns: tuple[int, ...] = (),
    sqlite: bool = False,
    user_row: Select[Any] | None = None,
) -> CompoundSelect[Any]:
    """The parts statement; `with_rights`, a write's: the user's and the applied user's
    (`actor`) authorizations too (policy.AuthorizationRow's columns); `dropdowns`, the
    registry.DROPDOWNS position of each name read ahead (parameter `dropdown_<i>`);
    `user_row`, a GET's: the user's row packed (`one_user_with_parts`)."""
    pad = [null(), null(), null()] if with_rights else []
    members = [
        select(
            EMAILS.c.users_id.label("owner"),
            literal(_EMAIL_PART).label("kind"),
            EMAILS.c.id.label("row_id"),
            EMAILS.c.email.label("text"),
            EMAILS.c.is_default.label("number"),
            EMAILS.c.is_dynamic.label("flag"),
            *pad,
        ).where(owners(EMAILS.c.users_id)),
        select(
            LINKS.c.users_id,
            literal(_GROUP_PART),
            LINKS.c.id,
            tables.groups.c.name,
            tables.groups.c.id,
            literal(0),
            *pad,
        )
        .join(tables.groups, tables.groups.c.id == LINKS.c.groups_id)
        .where(owners(LINKS.c.users_id)),
    ]
    if with_rights:
        rows = packed_authorization_rows(
            lambda user: user.in_([bindparam("id"), bindparam("actor")])
        ).subquery("scim_rights")
        members.append(
            select(
                rows.c.users_id,
                literal(_RIGHTS_PART),
                rows.c.profiles_id,
                rows.c.name,
                rows.c.entities_id,
                rows.c.is_recursive,
                rows.c.interface,
                rows.c.right_name,
                rows.c.rights,
            )
        )
    if user_row is not None:
        members.append(user_row)
    locked: list[Any] = [
        _dropdown_part(index, position, pad, sqlite) for index, position in enumerate(dropdowns)
    ]
    if not sqlite:  # MariaDB wants a locked part of a UNION in parentheses; SQLite refuses them
        locked = [part.self_group() for part in locked]
    return union_all(*locked, *members).order_by("owner", "kind", "row_id")


def _dropdown_part(index: int, position: int, pad: list[Any], sqlite: bool) -> Select[Any]:
    """The rows called name `index` in dropdown `position`'s table, locked: two writes adding
    the same new title serialise on the index gap, as dropdowns.find_or_create's own read."""
    table = registry.DROPDOWNS[position].table
    name: BindParameter[str] = bindparam(f"dropdown_{index}")
    # SQLite: the parameter is the name's collation key (sqlite_equal_key).
    same = sqlite_equal_key(table.c.name, name) if sqlite else table.c.name == name
    return (
        select(  # labelled: the UNION takes its column names from its first part
            bindparam("id").label("owner"),
            literal(_DROPDOWN_PART).label("kind"),
            table.c.id.label("row_id"),
            table.c.name.label("text"),
            literal(index).label("number"),
            literal(0).label("flag"),
            *pad,
        )
        .where(same)
        .with_for_update()
    )


USER_PARTS = _user_parts(lambda owner: owner.in_(_IDS))
# One user's (a GET, a write's answer): a plain parameter, which SQLAlchemy need not expand.
ONE_USER_PARTS = _user_parts(lambda owner: owner == bindparam("id"))


@functools.lru_cache(maxsize=64)  # per statement of the user's row: built once, its values bound
def one_user_with_parts(one_user: Select[Any]) -> tuple[CompoundSelect[Any], PackedSelect]:
    """A GET's one statement on MariaDB: the parts of user `id`, and `one_user`'s row (the
    user, if the server sees it) packed as a part of its own; and how to unpack that row."""
    packed = pack(one_user)
    user_id = one_user.selected_columns["id"]
    row = packed.statement.with_only_columns(
        user_id, literal(_USER_PART), null(), packed.statement.selected_columns[0], null(), null()
    )
    statement = _user_parts(lambda owner: owner == bindparam("id"), user_row=row)
    return statement, packed


@functools.lru_cache(maxsize=64)  # per dropdowns read ahead: their names are bound
def written_user_parts(dropdowns: tuple[int, ...], sqlite: bool) -> CompoundSelect[Any]:
    """A write's read of the user it changes: with both users' authorizations and the rows of
    the dropdown names read ahead."""
    return _user_parts(
        lambda owner: owner == bindparam("id"), with_rights=True, dropdowns=dropdowns, sqlite=sqlite
    )


# A dropdown name read ahead: its registry.DROPDOWNS position and its stored (encoded) text.
DropdownName = tuple[int, str]


def dropdown_names(preview: Preview | None) -> tuple[DropdownName, ...]:
    """The dropdown names a write's request gives (a PUT's or PATCH's preview), trimmed and
    encoded as dropdowns.find_or_create stores them, at most MAX_DROPDOWN_NAMES."""
    if preview is None:
        return ()
    names: list[DropdownName] = []
    for position, declared in enumerate(registry.DROPDOWNS):
        for text in preview.of(declared.preview_key):
            stored = stored_name(text)
            if stored is not None and (position, stored) not in names:
                names.append((position, stored))
    return tuple(names[:MAX_DROPDOWN_NAMES])


@dataclass
class UserParts:
    """A page's e-mails and memberships by user id."""

    emails: dict[int, list[tuple[str, bool]]]
    groups: dict[int, list[tuple[int, str]]]
    prints: dict[int, tuple[int, int]]
    # The glpi_useremails rows as stored, for a write to compare with.
    email_rows: dict[int, list[EmailRow]]
    # A write's read (`actor` given): the user's and the applied user's authorizations.
    authorizations: list[AuthorizationRow] = field(default_factory=list)
    # A write's: the rows of each dropdown name read ahead (none: no such row), lowest id
    # first, by the dropdown's label and the name as stored (WriteContext.dropdown_rows).
    dropdown_rows: dict[tuple[str, str], list[tuple[int, str]]] = field(default_factory=dict)


def read_parts(
    connection: Connection,
    ids: Sequence[int],
    actor: int | None = None,
    dropdowns: Sequence[DropdownName] = (),
) -> UserParts:
    """The parts of the users `ids`; with `actor` (a write of one user): both users' rights
    and the rows of the `dropdowns` names."""
    parts = UserParts({i: [] for i in ids}, {i: [] for i in ids}, {}, {i: [] for i in ids})
    keys: list[tuple[str, str]] = []
    if actor is not None and len(ids) == 1:
        sqlite = connection.dialect.name == "sqlite"
        statement = written_user_parts(tuple(position for position, _ in dropdowns), sqlite)
        parameters: dict[str, Any] = {"id": ids[0], "actor": actor}
        keys = [(registry.DROPDOWNS[position].label, name) for position, name in dropdowns]
        for index, (_, name) in enumerate(dropdowns):
            parameters[f"dropdown_{index}"] = collation_key(name) if sqlite else name
            parts.dropdown_rows[keys[index]] = []
        statements: Iterable[Any] = [connection.execute(statement, parameters)]
    elif len(ids) == 1:
        statements = [connection.execute(ONE_USER_PARTS, {"id": ids[0]})]
    else:
        statements = (
            connection.execute(USER_PARTS, {"ids": list(chunk)})
            for chunk in memberships.chunks(ids)
        )
    _collect(parts, statements, keys)
    return parts


def read_user_with_parts(
    connection: Connection, one_user: Select[Any], parameters: dict[str, Any]
) -> tuple[Any | None, UserParts]:
    """MariaDB: the row `one_user` reads for user `parameters["user_id"]` (None: not
    visible), with its parts, in one statement."""
    user_id = parameters["user_id"]
    statement, packed = one_user_with_parts(one_user)
    parts = UserParts({user_id: []}, {user_id: []}, {}, {user_id: []})
    row = _collect(parts, [connection.execute(statement, {**parameters, "id": user_id})], [])
    return (None if row is None else packed.row(row)), parts


def _collect(
    parts: UserParts, statements: Iterable[Any], keys: Sequence[tuple[str, str]]
) -> str | None:
    """The parts statements' rows into `parts`; the user's packed row, if one was read."""
    user_row = None
    for result in statements:
        for owner, kind, row_id, text, number, flag, *rights in result:
            if kind == _USER_PART:
                user_row = text
                continue
            if kind == _RIGHTS_PART:
                parts.authorizations.append(
                    AuthorizationRow(owner, row_id, number, flag, text, *rights)
                )
                continue
            if kind == _DROPDOWN_PART:
                parts.dropdown_rows[keys[int(number)]].append((row_id, text or ""))
                continue
            if kind == _EMAIL_PART:
                email = EmailRow(int(row_id), text, bool(number), bool(flag))
                parts.email_rows[owner].append(email)
                if text:
                    parts.emails[owner].append((glpi_text.decode(text), bool(number)))
                continue
            # int(): beside the user's row (NULLs), MariaDB may type the column DECIMAL.
            parts.groups[owner].append((int(number), glpi_text.decode(text or "")))
            count, highest = parts.prints.get(owner, (0, 0))
            parts.prints[owner] = (count + 1, max(highest, int(row_id)))
    return user_row
