"""Click options several command groups share (`--json`, `--public-url`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def json_option(func: F) -> F:
    return click.option(
        "--json", "as_json", is_flag=True, help="Print the result as JSON (for scripts)."
    )(func)


def public_url_option(func: F) -> F:
    return click.option(
        "--public-url",
        default=None,
        metavar="URL",
        help="External base URL the IdP reaches (https://glpi.example.com) for the printed "
        "URLs; add and edit store it with the server. Default: the server's, else the "
        "public_url setting, else http://host:port.",
    )(func)
