"""Why the database cannot be used, as a person can act on it.

Apart from database.py so that code reading the settings (configdb.py) and the direct read
path (dbapi.py) can raise them without importing SQLAlchemy.
"""

from __future__ import annotations

from glpi_scim.errors import GlpiScimError


class DatabaseError(GlpiScimError):
    """The database cannot be used; the message says what to fix."""


class DatabaseUnreachable(DatabaseError):
    """No server answers at the given address (or the SQLite file cannot be opened)."""


class DatabaseAuthError(DatabaseError):
    """The server refused the user name or password."""


class UnknownDatabase(DatabaseError):
    """The server answers but has no database of that name."""


class DatabaseConfigError(DatabaseError):
    """The URL or GLPI's config_db.php cannot be turned into a connection."""
