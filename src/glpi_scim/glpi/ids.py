"""SCIM ids of GLPI items: the one place that formats and parses them.

RFC 7643 §3.1 wants an id unique across all the resources of the service provider, while
glpi_users.id and glpi_groups.id are two independent sequences. Users keep GLPI's number ("7");
groups get it behind a prefix ("g12"), so that no user and group ever share an id.
"""

from __future__ import annotations

from glpi_scim.glpi.validation import is_id_text
from glpi_scim.scim.store import GROUP

GROUP_PREFIX = "g"


def prefix(resource_type: str) -> str:
    """What comes before GLPI's number in the SCIM id of a resource of this type."""
    return GROUP_PREFIX if resource_type == GROUP else ""


def user_id(item_id: int) -> str:
    return str(item_id)


def group_id(item_id: int) -> str:
    return f"{GROUP_PREFIX}{item_id}"


def parse(resource_type: str, text: str) -> int | None:
    """GLPI's id named by a SCIM id in its canonical form, or None when it names no item."""
    head = prefix(resource_type)
    if not text.startswith(head):
        return None
    number = text[len(head) :]
    if not is_id_text(number) or str(int(number)) != number:
        return None
    return int(number)
