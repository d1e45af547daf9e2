"""One exception tree: every exception glpi-scim defines descends from GlpiScimError, and
docs/architecture.md ("Errors") names each of them."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import glpi_scim
from glpi_scim.errors import GlpiScimError

ARCHITECTURE = Path(__file__).resolve().parent.parent / "docs" / "architecture.md"


def defined_exceptions() -> dict[str, type[BaseException]]:
    """`module.Class` -> class, for every exception class a glpi_scim module defines."""
    found: dict[str, type[BaseException]] = {}
    for info in pkgutil.walk_packages(glpi_scim.__path__, "glpi_scim."):
        # Alembic revision scripts run only inside Alembic; __main__ runs the CLI.
        if info.name.startswith("glpi_scim.db.migrations.") or info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for name, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, BaseException) and value.__module__ == module.__name__:
                found[f"{info.name}.{name}"] = value
    return found


def test_every_public_exception_descends_from_the_root() -> None:
    found = defined_exceptions()
    assert len(found) > 40
    strays = sorted(
        path
        for path, cls in found.items()
        if not path.rsplit(".", 1)[1].startswith("_") and not issubclass(cls, GlpiScimError)
    )
    assert not strays, f"derive these from glpi_scim.errors.GlpiScimError: {strays}"


def test_the_architecture_page_names_every_exception() -> None:
    text = ARCHITECTURE.read_text(encoding="utf-8")
    section = text.split("\n## Errors\n", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"\b[A-Z][A-Za-z]+\b", section))
    missing = sorted(
        path
        for path in defined_exceptions()
        if not path.rsplit(".", 1)[1].startswith("_") and path.rsplit(".", 1)[1] not in named
    )
    assert not missing, f"docs/architecture.md, section Errors, does not name {missing}"
