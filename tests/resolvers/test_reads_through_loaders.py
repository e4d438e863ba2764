"""Every back-office read of the schema goes through a per-request loader.

A resolver that called a connector itself would ask the back office once per alias (500
aliases of ``viewer { name }`` once made 500 calls). So in ``schema/`` and ``resolvers/`` a
connector client is reached (``connectors.get(...)``) only inside a :class:`RequestLoader`
subclass, which makes one call per key and request whatever the number of fields asking.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Reaches the client outside a loader for no back-office call: known_numbers reads the
# connector's own in-process cache of matrikkelnummer by id.
NO_CALL = {("resolvers/property/properties.py", "_start_fees")}


def _loader_classes(tree: ast.Module) -> set[str]:
    """Classes of the module that derive from RequestLoader (directly)."""
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
        and any("RequestLoader" in ast.unparse(base) for base in node.bases)  # RequestLoader[K, V]
    }


def _connector_reaches(path: Path) -> list[tuple[str, str | None, str]]:
    """(class, function, call) of each ``….connectors.get(…)`` in the module."""
    tree = ast.parse(path.read_text())
    found: list[tuple[str, str | None, str]] = []

    def visit(node: ast.AST, cls: str | None, func: str | None) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                visit(child, child.name, func)
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                visit(child, cls, child.name)
            else:
                if (
                    isinstance(child, ast.Call)
                    and isinstance(child.func, ast.Attribute)
                    and child.func.attr == "get"
                    and isinstance(child.func.value, ast.Attribute)
                    and child.func.value.attr == "connectors"
                ):
                    found.append((cls or "", func, ast.unparse(child)))
                visit(child, cls, func)

    visit(tree, None, None)
    loaders = _loader_classes(tree)
    return [reach for reach in found if reach[0] not in loaders]


def test_resolvers_reach_connectors_only_in_loaders() -> None:
    offenders = []
    checked = 0
    for package in ("schema", "resolvers"):
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = str(path.relative_to(ROOT))
            for cls, func, call in _connector_reaches(path):
                checked += 1
                if (relative, func) not in NO_CALL:
                    offenders.append(f"{relative}: {cls or '-'}.{func}: {call}")
    assert checked > 0  # the walk sees the allowed reach, so it reads the real files
    assert offenders == []


def test_the_check_finds_a_direct_call(tmp_path: Path) -> None:
    module = tmp_path / "direct.py"
    module.write_text(
        "class Citizen:\n"
        "    async def name(self, info):\n"
        "        p360 = info.context.services.connectors.get(P360Client)\n"
        "        return await p360.private_person(self.pid)\n"
        "class PersonLoader(RequestLoader[str, str]):\n"
        "    async def fetch(self, pids):\n"
        "        return self.context.services.connectors.get(P360Client)\n"
    )
    assert [(cls, func) for cls, func, _ in _connector_reaches(module)] == [("Citizen", "name")]
