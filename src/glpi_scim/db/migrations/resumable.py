"""Migration operations that a second run completes instead of failing on.

MySQL and MariaDB commit each CREATE at once, so a first `db init` stopped half-way (a lost
connection, a privilege revoked meanwhile) leaves some of the tool's tables and no revision.
Run again, the migration creates only the tables and indexes still missing.
"""

from __future__ import annotations

from typing import Any

from alembic import op
from sqlalchemy import inspect


def create_table(name: str, *columns: Any, **kwargs: Any) -> None:
    if not inspect(op.get_bind()).has_table(name):
        op.create_table(name, *columns, **kwargs)


def create_index(name: str, table: str, columns: list[str], **kwargs: Any) -> None:
    present = {index["name"] for index in inspect(op.get_bind()).get_indexes(table)}
    if name not in present:
        op.create_index(name, table, columns, **kwargs)
