"""Known failures of an administration command as one readable line, not a traceback."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from glpi_scim.cli.context import EXIT_UNUSABLE, CliError, get_context
from glpi_scim.identity.errors import ServerError

F = TypeVar("F", bound=Callable[..., Any])


@contextmanager
def admin_errors() -> Iterator[None]:
    """Known failures as one readable line: exit 1 for bad input, 3 for an unusable database."""
    try:
        yield
    except ServerError as exc:
        raise CliError(str(exc)) from None
    except Exception as exc:
        reason = _database_failure(exc)
        if reason is None or get_context().debug:
            raise
        hint = ""
        if "no such table" in reason or "doesn't exist" in reason:
            hint = "; create the tool's tables with `glpi-scim db init`"
        database = get_context().database().url_display
        raise CliError(f"database error on {database}: {reason}{hint}", EXIT_UNUSABLE) from None


def _database_failure(exc: Exception) -> str | None:
    """What the driver said, for a failure of the database (through SQLAlchemy or the direct
    read path); None for any other exception."""
    from glpi_scim.db.dbapi import DirectReadError

    if isinstance(exc, DirectReadError):
        return str(exc.driver_error)
    if "sqlalchemy" not in sys.modules:  # then no SQLAlchemy error can have been raised
        return None
    from sqlalchemy.exc import DBAPIError, SQLAlchemyError

    if not isinstance(exc, SQLAlchemyError):
        return None
    return str(exc.orig) if isinstance(exc, DBAPIError) and exc.orig else type(exc).__name__


def handles_admin_errors(func: F) -> F:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with admin_errors():
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
