"""Shared fixtures and the test layers.

Every test gets settings isolated from the developer's environment, and exactly one layer
marker, given here by its file (a test may name its own layer instead):

- ``unit``: in this process, no sockets: the default; a unit test that opens a network socket
  fails, so a file that needs servers must be listed in :data:`INTEGRATION` below;
- ``integration``: servers on loopback sockets in this process (gateway, simulators, stand-in);
- ``slow``: child processes: the SIGKILL tests, the command line, the demo.

``pytest -m unit`` runs the fast layer, ``pytest -m "not slow"`` everything in-process.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.environment import isolated_environment

# Fixtures of the real Redis and PostgreSQL (redis_namespace, database_url).
pytest_plugins = ("tests.services",)

LAYERS = ("unit", "integration", "slow")
TESTS = Path(__file__).parent

# Files (or folders, ending in "/") whose tests start child processes.
SLOW = (
    "delivery/test_sigkill.py",
    "graph/submission/test_gateway_sigkill.py",
    "idporten_standin/test_standin_dev_token.py",
    "minside/test_cli.py",
    "minside/test_demo.py",
    "minside/test_workers.py",
    "scaleout/",
)
# Files (or folders) whose tests start servers on loopback sockets.
INTEGRATION = (
    "auth/test_bearer.py",
    "auth/test_gateway_workers.py",
    "auth/test_browser.py",
    "auth/test_logging_privacy.py",
    "auth/test_logout_post.py",
    "auth/test_session_store.py",
    "browser/",
    "auth/test_shared_metadata.py",
    "auth/test_planted_metadata.py",
    "connectors/fees/",
    "connectors/matrikkel/test_matrikkel_client.py",
    "connectors/matrikkel/test_search_by_owner.py",
    "connectors/p360/test_p360_client.py",
    "connectors/p360/test_reads_use_lxml.py",
    "connectors/test_session.py",
    "connectors/test_soap.py",
    "connectors/visma/",
    "delivery/test_refused_attachments.py",
    "delivery/test_worker.py",
    "gateway/test_production_mode.py",
    "graph/",
    "idporten_standin/",
    "kernel/test_servers.py",
    "partners/test_partner_access.py",
    "simulators/fees/",
    "simulators/matrikkel/",
    "simulators/p360/",
    "simulators/test_admin.py",
    "simulators/test_soap.py",
    "simulators/visma/",
    "stores/test_access_log_contract.py",
    "stores/test_outbox_contract.py",
    "stores/test_outbox_postgres.py",
    "stores/test_read_cache_store.py",
    "stores/test_store_unavailable.py",
    "test_app.py",
)


def layer_of(path: Path) -> str:
    """The layer of the tests in `path` (a test file) by the tables above."""
    relative = path.resolve().relative_to(TESTS).as_posix()
    for layer, places in (("slow", SLOW), ("integration", INTEGRATION)):
        if any(relative == p or (p.endswith("/") and relative.startswith(p)) for p in places):
            return layer
    return "unit"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if not any(item.get_closest_marker(layer) for layer in LAYERS):
            item.add_marker(layer_of(item.path))


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path: Path) -> Iterator[None]:
    # A developer's MINSIDE_* variables or .env file must not change what the tests see.
    with isolated_environment(tmp_path):
        yield


@pytest.fixture(autouse=True)
def _unit_tests_stay_off_the_network(request: pytest.FixtureRequest) -> Iterator[None]:
    # Keeps the `unit` layer honest: it is the one a developer runs on every change.
    if request.node.get_closest_marker("unit") is None:
        yield
        return

    def refuse(original: Any) -> Any:
        def guarded(sock: socket.socket, address: Any) -> Any:
            if sock.family in (socket.AF_INET, socket.AF_INET6):
                raise AssertionError(
                    f"a unit test opened a network socket ({address}); list its file under "
                    "INTEGRATION in tests/conftest.py"
                )
            return original(sock, address)

        return guarded

    with pytest.MonkeyPatch.context() as monkeypatch:
        for name in ("bind", "connect", "connect_ex"):
            monkeypatch.setattr(socket.socket, name, refuse(getattr(socket.socket, name)))
        yield
