"""The registry: every User attribute that has a GLPI home, declared once.

The user's SELECT (users.py), the SCIM document (mapping.py), the split of an incoming resource
and its write (mapping.py, users.py) and the filter compiler (sqlfilter.py) loop over these
tuples. Adding one is a declaration here (and its test): see docs/architecture.md, "Adding a
mapped attribute".

Phone numbers by type are their own kind (PHONES: the first number of each type has a column,
other types are kept verbatim); userName, active, e-mails, the manager and the language are
still written out in mapping.py, users.py and sqlfilter.py (each has rules of its own: login
uniqueness, the unassigned marker, GLPI's e-mail rows, a reference, a code table).
"""

from __future__ import annotations

from glpi_scim.db import tables
from glpi_scim.glpi import history
from glpi_scim.glpi.attributes.base import AttrKey
from glpi_scim.glpi.attributes.column import TextColumn
from glpi_scim.glpi.attributes.dropdown import Dropdown
from glpi_scim.scim.schemas import ENTERPRISE_USER_SCHEMA as ENTERPRISE

LOGIN = TextColumn((None, "userName", None), "name", history.USER_LOGIN)

# glpi_users text columns (the login apart: its uniqueness is users.py's).
TEXT_COLUMNS: tuple[TextColumn, ...] = (
    TextColumn((None, "name", "givenName"), "firstname", history.USER_FIRSTNAME),
    TextColumn((None, "name", "familyName"), "realname", history.USER_REALNAME),
    TextColumn((None, "nickName", None), "nickname", None),
    TextColumn((None, "timezone", None), "timezone", None, 50),
    TextColumn(
        (ENTERPRISE, "employeeNumber", None),
        "registration_number",
        history.USER_REGISTRATION_NUMBER,
    ),
)

# phoneNumbers by type -> column.
PHONES: dict[str, TextColumn] = {
    "work": TextColumn((None, "phoneNumbers", "value"), "phone", history.USER_PHONE),
    "mobile": TextColumn((None, "phoneNumbers", "value"), "mobile", history.USER_MOBILE),
    "other": TextColumn((None, "phoneNumbers", "value"), "phone2", history.USER_PHONE2),
}

DROPDOWNS: tuple[Dropdown, ...] = (
    Dropdown("title", "usertitles_id", tables.usertitles, "UserTitle", history.USER_TITLE),
    Dropdown(
        "userType",
        "usercategories_id",
        tables.usercategories,
        "UserCategory",
        history.USER_CATEGORY,
    ),
)

# Single-valued attributes a filter reaches through their declaration, by key.
SINGLE: tuple[TextColumn | Dropdown, ...] = (LOGIN, *TEXT_COLUMNS, *DROPDOWNS)
BY_KEY: dict[AttrKey, TextColumn | Dropdown] = {declared.key: declared for declared in SINGLE}
