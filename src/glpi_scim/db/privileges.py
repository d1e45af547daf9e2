"""The MySQL/MariaDB privileges `db init` needs, checked before it creates anything.

MySQL and MariaDB commit every CREATE at once: a migration that fails half-way (a CREATE INDEX
refused) leaves tables behind. So the grants are read first (`SHOW GRANTS`, which also lists
the privileges of the session's active role) and nothing is created while one is missing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Connection, text

from glpi_scim.db.database import DatabaseError

# What `db init` needs on GLPI's database, and why: CREATE and INDEX make the tool's tables and
# their indexes, ALTER upgrades them in later versions; SELECT, INSERT, UPDATE, DELETE record
# the schema revision, and are what `serve` then needs on GLPI's and the tool's tables.
REQUIRED_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE", "CREATE", "ALTER", "INDEX")

_GRANT = re.compile(r"^GRANT\s+(?P<privileges>.+?)\s+ON\s+(?P<target>.+?)\s+TO\s", re.I | re.S)
_QUOTED = re.compile(r"`((?:[^`]|``)*)`|'((?:[^']|'')*)'|\"((?:[^\"]|\"\")*)\"|([^.`'\"\s]+)")


class MissingPrivileges(DatabaseError):
    """The database user lacks privileges `db init` needs; nothing was created."""


@dataclass(frozen=True)
class Grant:
    privileges: frozenset[str]
    database_pattern: str  # `*` for every database
    table: str  # `*` for every table of it


def parse_grant(line: str) -> Grant | None:
    """One line of SHOW GRANTS; None for role grants, PROXY and anything else without ON."""
    match = _GRANT.match(line.strip())
    if match is None:
        return None
    names = [name.strip().upper() for name in _split_privileges(match.group("privileges"))]
    privileges: set[str] = set()
    for name in names:
        name = name.split("(")[0].strip()  # SELECT (col): only on table grants, ignored below
        if name in ("ALL", "ALL PRIVILEGES"):
            privileges.update(REQUIRED_PRIVILEGES)
        else:
            privileges.add(name)
    parts = [
        next(g for g in m.groups() if g is not None)
        for m in _QUOTED.finditer(match.group("target"))
    ]
    if len(parts) != 2 or match.group("target").strip().upper().startswith(
        ("PROCEDURE", "FUNCTION")
    ):
        return None
    return Grant(frozenset(privileges), parts[0], parts[1])


def _split_privileges(text_: str) -> list[str]:
    # Commas inside a column list, SELECT (a, b), do not separate privileges.
    items, depth, current = [], 0, ""
    for char in text_:
        depth += char == "("
        depth -= char == ")"
        if char == "," and depth == 0:
            items.append(current)
            current = ""
        else:
            current += char
    items.append(current)
    return items


def database_matches(pattern: str, database: str) -> bool:
    """A database-level grant's name: `_` and `%` are wildcards unless escaped with `\\`."""
    if pattern == "*":
        return True
    regex = ""
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            regex += re.escape(pattern[index + 1])
            index += 2
            continue
        regex += ".*" if char == "%" else "." if char == "_" else re.escape(char)
        index += 1
    return re.fullmatch(regex, database, re.S) is not None


def granted_on(grants: list[Grant], database: str) -> set[str]:
    """Privileges that hold on every table of `database` (global or database-level grants)."""
    held: set[str] = set()
    for grant in grants:
        if grant.table == "*" and database_matches(grant.database_pattern, database):
            held |= grant.privileges
    return held


def missing_privileges(connection: Connection) -> list[str]:
    """The REQUIRED_PRIVILEGES the session's user lacks on its current database, in order."""
    database = connection.execute(text("SELECT DATABASE()")).scalar()
    lines = [str(row[0]) for row in connection.execute(text("SHOW GRANTS"))]
    grants = [grant for grant in map(parse_grant, lines) if grant is not None]
    held = granted_on(grants, str(database or ""))
    return [name for name in REQUIRED_PRIVILEGES if name not in held]


def require_privileges(connection: Connection, where: str) -> None:
    """Raise MissingPrivileges, naming each missing privilege and the GRANT that fixes it."""
    missing = missing_privileges(connection)
    if not missing:
        return
    user = str(connection.execute(text("SELECT CURRENT_USER()")).scalar() or "")
    name, _, host = user.rpartition("@")
    database = connection.execute(text("SELECT DATABASE()")).scalar()
    raise MissingPrivileges(
        f"the database user {user} lacks {', '.join(missing)} on {where}; `glpi-scim db init` "
        f"needs {', '.join(REQUIRED_PRIVILEGES)} and created nothing. As an administrator: "
        f"GRANT {', '.join(missing)} ON `{database}`.* TO '{name}'@'{host}';"
    )
