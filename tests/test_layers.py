"""One area uses another only through the names its package exports.

import-linter (`make lint`) checks the layers; this checks what it cannot express: a
service module of one area never imports a module of another area, only names that
area's package lists in `_EXPORTS`.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

SERVICES = Path(__file__).resolve().parents[1] / "webapp" / "services"


def cross_area_imports(source: str, area: str) -> list[tuple[int, str, str]]:
    """(line, other area, imported name or module path) of each import of another area."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.ImportFrom) or node.level or not node.module:
            continue
        parts = node.module.split(".")
        if parts[:2] != ["webapp", "services"] or len(parts) < 3 or parts[2] == area:
            continue
        if len(parts) > 3:
            found.append((node.lineno, parts[2], node.module))
        else:
            found.extend((node.lineno, parts[2], alias.name) for alias in node.names)
    return found


def offences(source: str, area: str) -> list[str]:
    problems = []
    for line, other, name in cross_area_imports(source, area):
        package = importlib.import_module(f"webapp.services.{other}")
        exported = getattr(package, "_EXPORTS", {})
        if "." in name:
            problems.append(f"line {line}: imports the module {name}")
        elif name not in exported:
            problems.append(f"line {line}: {other}.{name} is not among {other}'s exported names")
    return problems


def test_it_finds_a_module_import_and_an_unexported_name():
    source = (
        "from webapp.services.activity.log import log_activity\n"
        "from webapp.services.connections import credentials\n"
        "from webapp.services.activity import log_activity\n"
    )
    assert offences(source, "leads") == [
        "line 1: imports the module webapp.services.activity.log",
        "line 2: connections.credentials is not among connections's exported names",
    ]


def test_areas_use_each_other_only_through_exported_names():
    problems = []
    for path in sorted(SERVICES.glob("*/*.py")):
        area = path.parent.name
        problems += [f"{path.relative_to(SERVICES)} {p}" for p in offences(path.read_text(), area)]
    assert problems == []


def test_every_exported_name_exists():
    for init in sorted(SERVICES.glob("*/__init__.py")):
        package = importlib.import_module(f"webapp.services.{init.parent.name}")
        for name in getattr(package, "_EXPORTS", {}):
            assert getattr(package, name) is not None, f"{init.parent.name}.{name}"
