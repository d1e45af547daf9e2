"""Known failures of an administration command as one readable line, not a traceback."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from glpi_scim.cli.context import EXIT_UNUSABLE, CliError, get_context
from glpi_scim.servers.errors import ServerError

F = TypeVar("F", bound=Callable[..., Any])


@contextmanager
def admin_errors() -> Iterator[None]:
    """Known failures as one readable line: exit 1 for bad input, 3 for an unusable database."""
    from sqlalchemy.exc import DBAPIError, SQLAlchemyError

    try:
        yield
    except ServerError as exc:
        raise CliError(str(exc)) from None
    except SQLAlchemyError as exc:
        if get_context().debug:
            raise
        reason = str(exc.orig) if isinstance(exc, DBAPIError) and exc.orig else type(exc).__name__
        hint = ""
        if "no such table" in reason or "doesn't exist" in reason:
            hint = "; create the tool's tables with `glpi-scim db init`"
        database = get_context().database().url_display
        raise CliError(f"database error on {database}: {reason}{hint}", EXIT_UNUSABLE) from None


def handles_admin_errors(func: F) -> F:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with admin_errors():
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
