"""The registry: every User attribute that has a GLPI home, declared once.

The user's SELECT (users.py), the SCIM document and the split of an incoming resource
(mapping.py), the write (users.py) and the filter compiler (sqlfilter.py) loop over USER.
Adding one is a declaration here (and its test): see docs/architecture.md, "Adding a mapped
attribute".
"""

from __future__ import annotations

from glpi_scim.db import tables
from glpi_scim.glpi import history
from glpi_scim.glpi.attributes.active import Active
from glpi_scim.glpi.attributes.base import AttrKey, UserAttribute
from glpi_scim.glpi.attributes.column import Login, TextColumn
from glpi_scim.glpi.attributes.dropdown import Dropdown
from glpi_scim.glpi.attributes.emails import Emails
from glpi_scim.glpi.attributes.language import Language
from glpi_scim.glpi.attributes.manager import Manager
from glpi_scim.glpi.attributes.phones import Phones
from glpi_scim.scim.schemas import ENTERPRISE_USER_SCHEMA as ENTERPRISE

LOGIN = Login((None, "userName", None), "name", history.USER_LOGIN)

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

ACTIVE = Active()
LANGUAGE = Language()
MANAGER = Manager()
EMAILS = Emails()
PHONE_NUMBERS = Phones(PHONES)

# Every declaration, in the order a write logs its changes in GLPI's history.
USER: tuple[UserAttribute, ...] = (
    LOGIN,
    *TEXT_COLUMNS,
    PHONE_NUMBERS,
    LANGUAGE,
    ACTIVE,
    *DROPDOWNS,
    MANAGER,
    EMAILS,
)
# The declaration a filter reaches each SCIM path through.
BY_KEY: dict[AttrKey, UserAttribute] = {key: declared for declared in USER for key in declared.keys}
# Top-level attributes kept verbatim that a declaration renders itself.
RENDERS_SENT = frozenset(attr for declared in USER for attr in declared.renders_sent)
