"""emails <-> glpi_useremails rows: SCIM owns the rows it wrote (is_dynamic=1), rows added by
hand in GLPI are kept; the primary address is GLPI's default one. The list as sent is kept
verbatim, so an address's type, display and `primary` come back as the client sent them.

A user's addresses are read with its memberships in users.py's second statement (USER_PARTS),
not from the user's row; a filter reaches them as elements (sqlfilter.py's e-mail rows).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, FromClause, Row, delete, select

from glpi_scim.db import dml, tables
from glpi_scim.db.collation import collation_key
from glpi_scim.db.transaction import inserted_id
from glpi_scim.glpi import history
from glpi_scim.glpi import text as glpi_text
from glpi_scim.glpi.attributes.base import AttrKey, Declared, EmailRow, WriteContext, no_joins
from glpi_scim.glpi.attributes.column import text_value
from glpi_scim.glpi.attributes.targets import Frame
from glpi_scim.glpi.validation import check_email, check_glpi_email
from glpi_scim.scim.values import get_ci

EMAILS = tables.useremails


@dataclass(frozen=True)
class EmailValue:
    address: str
    primary: bool


@dataclass(frozen=True)
class Emails(Declared):
    name = "emails"
    renders_sent = ("emails",)
    keys = ()

    def columns(self, users: FromClause) -> Sequence[ColumnElement[Any]]:
        return []

    def joins(self, source: FromClause, users: FromClause) -> FromClause:
        return no_joins(source, users)

    def read(self, row: Row[Any]) -> list[tuple[str, bool]]:
        return []  # users.py puts the addresses of the second statement here

    def render(self, value: Any, out: dict[str, Any], stored: Mapping[str, Any]) -> None:
        sent = {
            str(e.get("value")).lower(): e
            for e in stored.get("emails", [])
            if isinstance(e, Mapping) and isinstance(e.get("value"), str)
        }
        emails: list[dict[str, Any]] = []
        for address, is_default in value:
            entry: dict[str, Any] = {"value": address}
            original = sent.get(address.lower())
            if original is not None:
                for key in ("type", "display"):
                    if original.get(key) is not None:
                        entry[key] = original[key]
                # `primary` as the client sent it; GLPI's is_default may differ (GLPI needs one).
                if isinstance(original.get("primary"), bool):
                    entry["primary"] = original["primary"]
            elif is_default:
                entry["primary"] = True
            emails.append(entry)
        if emails:
            out["emails"] = emails

    def split(self, resource: Mapping[str, Any]) -> list[EmailValue]:
        values = get_ci(resource, "emails")
        emails: list[EmailValue] = []
        seen: set[str] = set()
        for entry in values if isinstance(values, list) else []:
            raw = entry.get("value") if isinstance(entry, Mapping) else entry
            address = text_value(raw, "emails.value")
            if address is None:
                continue
            address = check_email(address)
            if address.lower() in seen:
                continue
            seen.add(address.lower())
            primary = bool(isinstance(entry, Mapping) and entry.get("primary") is True)
            emails.append(EmailValue(address, primary))
        return emails

    def insert(self, context: WriteContext, value: list[EmailValue]) -> dict[str, Any]:
        return {}

    def update(
        self, context: WriteContext, row: Row[Any], value: Any, changes: dict[str, Any]
    ) -> None:
        return None

    def write_rows(self, context: WriteContext, value: list[EmailValue]) -> bool:
        rows = [] if context.new else _rows(context)
        return sync(context, value, rows)

    def target(self, frame: Frame, key: AttrKey) -> Any:
        return None


def _rows(context: WriteContext) -> Sequence[EmailRow]:
    """The user's rows: as read with the user in this transaction, else read now.

    Read with the user, after its row's lock, they need no lock of their own: every SCIM write
    of the user takes that lock first.
    """
    if context.seen_emails is not None:
        return context.seen_emails
    query = select(EMAILS.c.id, EMAILS.c.email, EMAILS.c.is_default, EMAILS.c.is_dynamic).where(
        EMAILS.c.users_id == context.user_id
    )
    found = context.connection.execute(query.order_by(EMAILS.c.id).with_for_update())
    return [
        EmailRow(row.id, row.email, bool(row.is_default), bool(row.is_dynamic)) for row in found
    ]


def sync(context: WriteContext, wanted: list[EmailValue], rows: Sequence[EmailRow]) -> bool:
    """Make the SCIM-owned e-mails (is_dynamic=1) what the resource lists.

    Rows added by hand in GLPI (is_dynamic=0) are kept; a listed address they already hold
    is not added again. The primary address becomes the only default one.
    """
    log, connection, user_id = context.log, context.connection, context.user_id
    changed = False

    def key(address: str) -> str:
        return collation_key(glpi_text.encode(address))

    wanted_keys = {key(e.address): e for e in wanted}
    # Addresses GLPI would refuse are refused; those already stored (written before this
    # check, or by hand in GLPI) stay acceptable, so that the user can still be updated.
    stored_keys = {key(glpi_text.decode(row.email or "")) for row in rows}
    for email in wanted:
        if key(email.address) not in stored_keys:
            check_glpi_email(email.address)
    kept: list[dict[str, Any]] = []
    for row in rows:
        address = glpi_text.decode(row.email or "")
        if key(address) in wanted_keys or not row.is_dynamic:
            kept.append({"id": row.id, "email": row.email, "is_default": bool(row.is_default)})
            continue
        connection.execute(delete(EMAILS).where(EMAILS.c.id == row.id))
        log.add(
            history.USER, user_id, history.DELETE_SUBITEM, itemtype_link=history.USER_EMAIL,
            old=history.with_id(row.email or "", row.id),
        )  # fmt: skip
        changed = True
    for entry in kept:
        wanted_entry = wanted_keys.get(key(glpi_text.decode(entry["email"] or "")))
        encoded = glpi_text.encode(wanted_entry.address) if wanted_entry else None
        if encoded and encoded != entry["email"] and _is_dynamic(rows, entry["id"]):
            dml.update_row(connection, EMAILS, entry["id"], {"email": encoded})
            log.add(
                history.USER, user_id, history.UPDATE_SUBITEM,
                itemtype_link=history.USER_EMAIL, old=entry["email"], new=encoded,
            )  # fmt: skip
            entry["email"] = encoded
            changed = True
    present = {key(glpi_text.decode(e["email"] or "")) for e in kept}
    default_key = _default_key(wanted, kept, key)
    left: list[tuple[int, str, bool]] = []  # (row id, stored address, default) once written
    for entry in kept:
        is_default = key(glpi_text.decode(entry["email"] or "")) == default_key
        left.append((entry["id"], entry["email"] or "", is_default))
        if is_default != entry["is_default"]:
            dml.update_row(connection, EMAILS, entry["id"], {"is_default": int(is_default)})
            if is_default:
                log.add(
                    history.USER, user_id, history.UPDATE_SUBITEM,
                    itemtype_link=history.USER_EMAIL, old="0", new="1",
                )  # fmt: skip
            changed = True
    for email in wanted:
        if key(email.address) in present:
            continue
        encoded = glpi_text.encode(email.address)
        result = connection.execute(
            dml.insert(EMAILS),
            {
                "users_id": user_id,
                "email": encoded,
                "is_dynamic": 1,
                "is_default": int(key(email.address) == default_key),
            },
        )
        new_id = inserted_id(result)
        log.add(
            history.USER, user_id, history.ADD_SUBITEM, itemtype_link=history.USER_EMAIL,
            new=history.with_id(encoded, new_id),
        )  # fmt: skip
        left.append((new_id, encoded, key(email.address) == default_key))
        present.add(key(email.address))
        changed = True
    # As the user's parts statement would read them back: in row order, empty ones left out.
    context.emails_after = [
        (glpi_text.decode(address), is_default)
        for _, address, is_default in sorted(left)
        if address
    ]
    return changed


def _is_dynamic(rows: Sequence[EmailRow], row_id: int) -> bool:
    return any(row.id == row_id and row.is_dynamic for row in rows)


def _default_key(wanted: list[EmailValue], kept: list[dict[str, Any]], key: Any) -> str | None:
    """The address that ends up default: the primary one, else the current default, else
    the first one (GLPI makes a user's first address the default)."""
    primary = next((e for e in wanted if e.primary), None)
    if primary is not None:
        return str(key(primary.address))
    current = next((e for e in kept if e["is_default"]), None)
    if current is not None:
        return str(key(glpi_text.decode(current["email"] or "")))
    if kept:
        return str(key(glpi_text.decode(kept[0]["email"] or "")))
    if wanted:
        return str(key(wanted[0].address))
    return None
