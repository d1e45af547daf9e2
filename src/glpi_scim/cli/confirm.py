"""Asking before an operation breaks an IdP connection that works today."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click
from rich.markup import escape

from glpi_scim.cli.context import fail, warn

F = TypeVar("F", bound=Callable[..., Any])


def yes_option(func: F) -> F:
    return click.option(
        "--yes",
        "-y",
        is_flag=True,
        help="Go ahead without asking when the change breaks a working IdP connection.",
    )(func)


def confirm_breaks(breaks: list[str], yes: bool) -> None:
    """Say what will break; unless --yes, ask, and change nothing when the answer is no or
    there is no one to ask (a script without --yes)."""
    if not breaks:
        return
    for sentence in breaks:
        warn(escape(sentence))
    if yes:
        return
    try:
        go_ahead = click.confirm("Go ahead?", default=False, err=True)
    except click.Abort:
        go_ahead = False
    if not go_ahead:
        fail("nothing changed; pass --yes to go ahead without asking")
