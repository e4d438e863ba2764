"""The per-request context and its test builder: a schema-only test needs no gateway."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from auth.acr import Acr
from auth.viewer import AuthMethod, Viewer
from connectors.visma.client import VismaClient
from kernel.i18n import Language
from kernel.server_secret import ServerSecret
from resolvers.testing import TEST_SECRET, context_for_test, services_for_test
from schema.build import build_schema
from schema.relay import global_id

PID = "01817700369"  # synthetic
VIEWER = Viewer(pid=PID, sub="s", acr=Acr.SUBSTANTIAL, method=AuthMethod.BEARER)


async def test_a_schema_only_query_runs_on_a_built_context() -> None:
    context = context_for_test(viewer=VIEWER, headers={"Accept-Language": "en"})
    result = await build_schema().execute(
        "{ viewer { id levelOfAssurance } applicationTypes { code name } }",
        context_value=context,
    )
    assert result.errors is None
    assert result.data is not None
    # The Citizen's id is the viewer's pseudonym under the context's server secret.
    key = ServerSecret(TEST_SECRET).viewer_key(PID)
    assert result.data["viewer"] == {
        "id": global_id("Citizen", key),
        "levelOfAssurance": "SUBSTANTIAL",
    }
    assert context.language is Language.EN
    assert result.data["applicationTypes"], "the shipped catalogue"


def test_a_missing_service_fails_the_test_by_name() -> None:
    context = context_for_test(services_for_test())
    with pytest.raises(AssertionError, match="no outbox"):
        context.services.outbox.find  # noqa: B018
    with pytest.raises(AssertionError, match="no connectors"):
        context.services.connectors.get(VismaClient)
    assert context.services.connectors.resilience == {}


def test_loaders_are_per_context() -> None:
    first, second = context_for_test(), context_for_test()

    class Probe:
        def __init__(self, context: object) -> None:
            self.context = context

    assert first.loader(Probe) is first.loader(Probe)
    assert first.loader(Probe) is not second.loader(Probe)


def test_no_production_module_imports_the_test_builder() -> None:
    root = Path(__file__).resolve().parents[2]
    # The production packages (pyproject.toml's import-linter layers) and app.py.
    packages = ["gateway", "schema", "resolvers", "delivery", "auth", "stores", "connectors"]
    packages += ["contracts", "kernel"]
    paths = [root / "app.py"] + [
        path
        for package in packages
        for path in (root / package).rglob("*.py")
        if path != root / "resolvers" / "testing.py"
    ]
    importers = [
        path.relative_to(root).as_posix()
        for path in paths
        if any(
            (isinstance(node, ast.ImportFrom) and node.module == "resolvers.testing")
            or (
                isinstance(node, ast.Import)
                and any(alias.name == "resolvers.testing" for alias in node.names)
            )
            for node in ast.walk(ast.parse(path.read_text()))
        )
    ]
    assert importers == []
