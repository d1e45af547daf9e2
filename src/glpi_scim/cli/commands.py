"""Discovery of sub-commands: every module of this package may export `COMMANDS`."""

from __future__ import annotations

import importlib
import pkgutil

import click

import glpi_scim.cli as package

_INFRASTRUCTURE = {"main", "context", "commands"}


def all_commands() -> list[click.Command]:
    found: list[click.Command] = []
    for module_info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if module_info.name in _INFRASTRUCTURE or module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package.__name__}.{module_info.name}")
        found.extend(getattr(module, "COMMANDS", ()))
    return found
