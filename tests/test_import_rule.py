"""The SCIM protocol core imports only the standard library (and itself)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import glpi_scim.scim

FORBIDDEN = {"falcon", "sqlalchemy", "pymysql", "click"}
PACKAGE = Path(glpi_scim.scim.__file__).parent
# Outside the core, yet importable by it: they import nothing themselves (the root exception).
STANDARD_LIBRARY_ONLY = {"glpi_scim.errors"}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


def test_scim_package_has_sources() -> None:
    assert len(list(PACKAGE.rglob("*.py"))) > 5


def test_scim_core_imports_no_framework_or_database() -> None:
    offenders = {
        f"{path.relative_to(PACKAGE)}: {module}"
        for path in PACKAGE.rglob("*.py")
        for module in imported_modules(path)
        if module.split(".")[0] in FORBIDDEN
    }
    assert not offenders


def test_scim_core_imports_only_the_standard_library() -> None:
    allowed = set(sys.stdlib_module_names) | {"glpi_scim"}
    offenders = {
        f"{path.relative_to(PACKAGE)}: {module}"
        for path in PACKAGE.rglob("*.py")
        for module in imported_modules(path)
        if module.split(".")[0] not in allowed
        or (
            module.startswith("glpi_scim")
            and not module.startswith("glpi_scim.scim")
            and module not in STANDARD_LIBRARY_ONLY
        )
    }
    assert not offenders


def test_modules_the_core_may_import_import_nothing() -> None:
    root = PACKAGE.parent
    for module in STANDARD_LIBRARY_ONLY:
        path = root.joinpath(*module.split(".")[1:]).with_suffix(".py")
        assert imported_modules(path) <= {"__future__"}, path
