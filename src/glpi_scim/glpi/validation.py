"""What GLPI accepts as a login, an e-mail address and a text value."""

from __future__ import annotations

import ipaddress
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


# GLPI 10 checks a user's e-mail address with PHPMailer's "pcre8" validator (UserEmail's
# checkInputEmailValidity, GLPIMailer::validateAddress). Its forms, without the comments and
# folding white space RFC 5322 also allows (no IdP sends them; they are refused here):
# a dot-atom or quoted-string local part of at most 64 characters, then a host name of labels
# of at most 63 letters, digits and hyphens (one label is enough: user@localhost), or an IPv4
# or IPv6 address literal; at most 254 characters in all. One deliberate difference: letters
# and digits beyond ASCII (RFC 6531 addresses such as zoë@example.com) are accepted, as IdPs
# send them; PHPMailer's byte-wise pattern refuses them.
_GLPI_ATOM = r"(?:[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]|[^\x00-\x7f])+"
_GLPI_QUOTED = r'"(?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\[\x20-\x7e]|[^\x00-\x7f])*"'
_GLPI_LOCAL = re.compile(rf"(?:{_GLPI_ATOM}(?:\.{_GLPI_ATOM})*|{_GLPI_QUOTED})")
_GLPI_ALNUM = r"(?:[A-Za-z0-9]|[^\x00-\x7f])"
_GLPI_LABEL = re.compile(rf"{_GLPI_ALNUM}(?:(?:{_GLPI_ALNUM}|-)*{_GLPI_ALNUM})?")
_GLPI_IPV4 = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}")


def is_glpi_email_address(address: str) -> bool:
    """Whether GLPI would store this address for a user (see the patterns above)."""
    if len(address) > 254 or any(ord(char) < 32 or ord(char) == 127 for char in address):
        return False
    local, at, domain = address.rpartition("@")
    if not at or not 0 < len(local) <= 64 or not _GLPI_LOCAL.fullmatch(local):
        return False
    if any(not char.isalnum() for char in local + domain if ord(char) > 127):
        return False  # beyond ASCII, letters and digits only
    if domain.startswith("[") and domain.endswith("]"):
        return _is_address_literal(domain[1:-1])
    labels = domain.split(".")
    return len(labels) <= 127 and all(
        len(label) <= 63 and _GLPI_LABEL.fullmatch(label) for label in labels
    )


def _is_address_literal(literal: str) -> bool:
    if literal[:5].lower() == "ipv6:":
        try:
            ipaddress.IPv6Address(literal[5:])
        except ValueError:
            return False
        return True
    return _GLPI_IPV4.fullmatch(literal) is not None


def check_glpi_email(address: str) -> str:
    """The address, or InvalidValue naming it when GLPI would refuse it."""
    if not is_glpi_email_address(address):
        raise InvalidValue(
            f"emails: {address!r} is not an e-mail address GLPI accepts: use local-part@domain "
            "with letters, digits and !#$%&'*+/=?^_`{|}~- in the local part (or a quoted "
            "string), and a host name or [address literal] after the @"
        )
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
