"""The console's own package knows no web framework and no CLI: its rules are testable alone,
and the falcon resources stay thin."""

from __future__ import annotations

import ast
from pathlib import Path

import glpi_scim.console

PACKAGE = Path(glpi_scim.console.__file__).parent


def imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


def test_the_console_package_imports_neither_falcon_nor_click_nor_the_http_layer() -> None:
    sources = list(PACKAGE.rglob("*.py"))
    assert len(sources) >= 5
    offenders = {
        f"{path.name}: {module}"
        for path in sources
        for module in imported_modules(path)
        if module.split(".")[0] in {"falcon", "click", "jinja2"}
        or module in ("glpi_scim.server", "glpi_scim.cli")
        or module.startswith(("glpi_scim.server.", "glpi_scim.cli."))
    }
    assert not offenders


def test_templates_and_static_files_are_package_data() -> None:
    templates = {path.name for path in (PACKAGE / "templates").glob("*.html")}
    assert {"base.html", "signin.html", "servers.html", "history.html", "doctor.html"} <= templates
    assert (PACKAGE / "static" / "console.js").is_file()
    pyproject = (PACKAGE.parents[2] / "pyproject.toml").read_text(encoding="utf-8")
    assert '"console/templates/*.html"' in pyproject and '"console/static/*"' in pyproject
