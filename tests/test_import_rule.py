"""Every rule of docs/architecture.md's "The import rule", checked on the code's own imports.

Imports are read with `ast` from every module of the package, those inside functions too: a
lazy import that runs back up is still an import that runs back up.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import glpi_scim

PACKAGE_DIR = Path(glpi_scim.__file__).parent

# Each part of the package and its floor: a part may import only parts on a lower floor (and
# itself). The table is the one docs/architecture.md draws.
FLOORS: dict[str, int] = {
    "errors": -1,
    "scim": 0,
    "config": 1,
    "metrics": 1,
    "db": 2,
    "identity": 3,
    "glpi": 4,
    "security": 5,
    "servers": 6,
    "pipeline": 7,
    "doctor": 7,
    "console": 8,
    "server": 9,
    "cli": 10,
    "__main__": 11,
}

# Third-party libraries that only some parts may import.
ONLY_IN: dict[str, set[str]] = {
    "falcon": {"server"},
    "waitress": {"server"},
    "click": {"cli"},
    "rich": {"cli", "doctor"},
    "alembic": {"db"},
    "jinja2": {"console", "server"},
    "oauthlib": {"security"},
    "jwt": {"security"},
    "pymysql": {"db"},
    "prometheus_client": {"metrics", "server"},
}


def modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        relative = path.relative_to(PACKAGE_DIR).with_suffix("")
        parts = list(relative.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield ".".join(["glpi_scim", *parts]), path


def part_of(module: str) -> str:
    pieces = module.split(".")
    return pieces[1] if len(pieces) > 1 else ""


def imports_of(path: Path, module: str) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    is_package = path.name == "__init__.py"
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base if is_package else base[:-1]
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            found.add(target)
            # `from glpi_scim.x import y` may name a module y of package x.
            for alias in node.names:
                candidate = f"{target}.{alias.name}"
                if candidate in ALL_MODULES:
                    found.add(candidate)
    return found


ALL_MODULES = {name for name, _ in modules()}
GRAPH = {name: imports_of(path, name) for name, path in modules()}


def test_every_part_has_a_floor() -> None:
    parts = {part_of(name) for name in ALL_MODULES} - {""}
    assert parts <= set(FLOORS), f"parts missing from FLOORS: {sorted(parts - set(FLOORS))}"


def test_no_import_runs_back_up() -> None:
    offenders = sorted(
        f"{name} -> {target}"
        for name, targets in GRAPH.items()
        for target in targets
        if target.startswith("glpi_scim.")
        and part_of(name) in FLOORS
        and part_of(target) != part_of(name)
        and part_of(target) in FLOORS
        and FLOORS[part_of(target)] >= FLOORS[part_of(name)]
    )
    assert not offenders


@pytest.mark.parametrize("library", sorted(ONLY_IN))
def test_library_stays_in_its_parts(library: str) -> None:
    offenders = sorted(
        name
        for name, targets in GRAPH.items()
        if any(t.split(".")[0] == library for t in targets)
        and part_of(name) not in ONLY_IN[library]
    )
    assert not offenders, f"{library} imported outside {sorted(ONLY_IN[library])}"


def test_scim_core_imports_only_the_standard_library() -> None:
    allowed = set(sys.stdlib_module_names)
    offenders = sorted(
        f"{name}: {target}"
        for name, targets in GRAPH.items()
        if part_of(name) == "scim"
        for target in targets
        if not (
            target.split(".")[0] in allowed
            or target.startswith("glpi_scim.scim")
            or target == "glpi_scim.errors"
        )
    )
    assert not offenders


def test_nothing_imports_the_cli() -> None:
    offenders = sorted(
        name
        for name, targets in GRAPH.items()
        if part_of(name) not in {"cli", "__main__"}
        and any(t.startswith("glpi_scim.cli") for t in targets)
    )
    assert not offenders


def test_no_circle_between_modules() -> None:
    internal = {
        name: {t for t in targets if t in ALL_MODULES and t != name}
        for name, targets in GRAPH.items()
    }
    # A package's __init__ is its face: importing a module runs it first, which is no circle.
    for name in internal:
        internal[name] = {t for t in internal[name] if not name.startswith(t + ".")}
    circles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(internal[node]):
            if state.get(nxt) == 1:
                circles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(internal):
        if node not in state:
            visit(node)
    assert not circles, "\n".join(" -> ".join(c) for c in circles)


def test_the_root_exception_module_imports_nothing() -> None:
    # The SCIM core may import it because it stands on nothing but the language.
    assert GRAPH["glpi_scim.errors"] <= {"__future__"}


def test_the_database_layer_imports_no_web_or_cli_library() -> None:
    offenders = sorted(
        f"{name} -> {target}"
        for name, targets in GRAPH.items()
        if part_of(name) == "db"
        for target in targets
        if target.split(".")[0] in {"falcon", "click", "waitress", "jinja2"}
    )
    assert not offenders
