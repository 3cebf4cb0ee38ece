"""Data flows http -> domain -> store; the libraries never import the service.

Parsed with ``ast`` (no imports executed), so a forbidden import anywhere fails here.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# package prefix -> module prefixes it must not import
FORBIDDEN = {
    "snapshot": ["portal", "litestar", "psycopg"],
    "policy": ["portal", "litestar", "psycopg"],
    "portal.domain": ["portal.http", "litestar"],
    "portal.store": ["portal.http", "portal.domain", "litestar"],
}
ONLY_HERE = {"litestar": ["portal.http", "portal.app", "portal.asgi", "portal.cli"],
             "psycopg": ["portal.store"]}


def modules() -> list[tuple[str, ast.Module]]:
    found = []
    for package in ("snapshot", "policy", "portal"):
        for path in (ROOT / package).rglob("*.py"):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            found.append((name, ast.parse(path.read_text(encoding="utf-8"))))
    return found


def imported(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def test_layers_import_only_downwards() -> None:
    problems = []
    for module, tree in modules():
        for target in imported(tree):
            for package, banned in FORBIDDEN.items():
                if _under(module, package) and any(_under(target, b) for b in banned):
                    problems.append(f"{module} imports {target}")
            for library, allowed in ONLY_HERE.items():
                if _under(target, library) and not any(_under(module, a) for a in allowed):
                    problems.append(f"{module} imports {library} (only {allowed} may)")
    assert problems == []
