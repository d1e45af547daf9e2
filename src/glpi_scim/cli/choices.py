"""Option types whose values come from a registry, read when the command line is parsed."""

from __future__ import annotations

from collections.abc import Sequence

import click


class SecurityMethodChoice(click.Choice[str]):
    """`--security`: the registered security methods (a method registered later is offered
    too, since the list is read at parse time, not when the command is defined)."""

    def __init__(self) -> None:
        super().__init__((), case_sensitive=False)

    @property  # type: ignore[override]
    def choices(self) -> Sequence[str]:
        # Imported when an option is parsed: the methods stand on SQLAlchemy.
        from glpi_scim.security.methods import registry

        return registry.method_names()

    @choices.setter
    def choices(self, value: Sequence[str]) -> None:
        del value  # click.Choice assigns its argument; the registry is the list
