"""What GLPI accepts as a login, an e-mail address and a text value."""

from __future__ import annotations

import re

from glpi_scim.glpi import text
from glpi_scim.scim.errors import InvalidValue

# GLPI's VARCHAR(255) columns (glpi_users.name, realname, ..., glpi_groups.name).
MAX_TEXT = 255
# GLPI's ids are INT UNSIGNED: a larger number names no row (and SQLite cannot even bind it).
MAX_ID = 4_294_967_295

_LOGIN_EXTRA = frozenset("'@.-_ ")
# An address PHP's FILTER_VALIDATE_EMAIL accepts: dot-atom local part of at most 64 characters,
# then a host name whose last label is not all digits, or an IPv4 literal in brackets.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
_EMAIL_LOGIN = re.compile(
    rf"^(?={_ATEXT}{{1,64}}@|[^@]{{1,64}}@){_ATEXT}+(?:\.{_ATEXT}+)*@"
    rf"(?:(?:{_LABEL}\.)+(?![0-9]+$){_LABEL}|\[{_OCTET}(?:\.{_OCTET}){{3}}\])$"
)
# E-mail rows: one `@`, no white space or control character, something on both sides.
_EMAIL_ADDRESS = re.compile(r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+$")


def is_valid_login(login: str) -> bool:
    """GLPI's Auth::isValidLogin: letters, digits, `' @ . - _` and space, or an e-mail address."""
    if not login:
        return False
    if all(ch.isalnum() or ch in _LOGIN_EXTRA for ch in login):
        return True
    return len(login) <= 320 and _EMAIL_LOGIN.match(login) is not None


def check_login(login: str) -> str:
    """The login, or InvalidValue saying what GLPI would refuse."""
    if not login.strip():
        raise InvalidValue("userName must not be empty")
    # GLPI checks the login after encoding it, so `&`, `<` and `>` are refused even in an
    # e-mail address.
    if not is_valid_login(text.encode(login)):
        raise InvalidValue(
            f"userName {login!r} is not a valid GLPI login: use letters, digits, the characters "
            "' @ . - _ and spaces, or an e-mail address"
        )
    check_length("userName", login)
    return login


def check_email(value: str) -> str:
    address = value.strip()
    if not _EMAIL_ADDRESS.match(address):
        raise InvalidValue(f"emails: {value!r} is not an e-mail address")
    check_length("emails.value", address)
    return address


def is_id_text(text: str) -> bool:
    """True when `text` is decimal digits naming a possible GLPI id (1 to MAX_ID)."""
    return text.isascii() and text.isdigit() and 0 < int(text) <= MAX_ID


def check_length(attribute: str, value: str, limit: int = MAX_TEXT) -> None:
    """GLPI stores the encoded text: `&` takes five characters of the column."""
    stored = len(text.encode(value))
    if stored > limit:
        raise InvalidValue(
            f"{attribute} is too long for GLPI: at most {limit} characters "
            f"(`&`, `<` and `>` count as 5), got {stored}"
        )
