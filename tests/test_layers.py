"""app.py's own imports: import-linter (``make lint``) cannot take a single module as a root."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOOLING = {"minside", "bench", "simulators", "idporten_standin"}


def imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_app_imports_no_development_tooling() -> None:
    roots = imported_roots(ROOT / "app.py")
    assert "gateway" in roots  # the check reads the real file
    assert roots.isdisjoint(TOOLING), roots & TOOLING


def test_no_production_package_imports_app() -> None:
    # The old cycle was app ↔ minside/downloads; import-linter's forbidden contract covers the
    # packages, this covers a lazy import inside a function body too.
    production = ["kernel", "contracts", "connectors", "auth", "stores", "delivery", "resolvers"]
    production += ["schema", "gateway"]
    offenders = [
        str(path.relative_to(ROOT))
        for package in production
        for path in (ROOT / package).rglob("*.py")
        if "app" in imported_roots(path)
    ]
    assert offenders == []
