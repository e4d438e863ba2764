"""The GraphQL tests' stack: one back office for the session, a fresh gateway for each test.

The ID-porten stand-in and the four simulators start once (:func:`back_office`) and are reset
to their seed before every test. Each test gets its own gateway, with its own caches, circuit
breakers, outbox and delivery worker, so no state of the gateway crosses tests. Everything
talks over real loopback sockets, as in production.

Settings of a test's gateway: :data:`GRAPH_SETTINGS` (deadlines generous enough for a busy
machine), changed per test with ``@pytest.mark.gateway(visma_deadline_s=0.5)`` — the deadline
tests shorten the deadline of the system they slow down. ``@pytest.mark.own_stack`` gives a
test a whole stack of its own (a browser login needs the stand-in to know the gateway's
address, and the shared stand-in knows only its own stack's).
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from pydantic import AnyHttpUrl, SecretStr

from kernel.servers import ServerSpec, free_port, running_servers
from kernel.settings import Settings
from kernel.systems import SYSTEM_NAMES
from minside.stack import RunningStack, running_stack
from tests.environment import isolated_environment
from tests.simulator_admin import SimulatorAdmin

# Deadlines far above any reply's time on a loaded machine (a 120-case reply from Public 360
# took over 2 s when two suites shared two cores), and no retries; a breaker threshold that
# one test's injected outage does not reach; delivery back-off short, so a pending write is
# delivered soon after its system recovers.
GRAPH_SETTINGS: dict[str, Any] = {
    **{f"{name}_deadline_s": 20.0 for name in SYSTEM_NAMES},
    "system_retries": 0,
    "breaker_failure_threshold": 50,
    "delivery_backoff_max_s": 2.0,
    "secret_key": SecretStr("graph-tests-secret-" + "g" * 32),
}


@dataclass
class GraphClient:
    """Posts GraphQL to the gateway as one citizen (or anonymously)."""

    stack: RunningStack
    http: aiohttp.ClientSession

    async def query(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        pid: str | None = None,
        acr: str = "idporten-loa-substantial",
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        sent = dict(headers or {})
        if pid is not None:
            sent["Authorization"] = f"Bearer {self.stack.token(pid, acr)}"
        body = {"query": query, "variables": variables or {}}
        async with self.http.post(
            f"{self.stack.gateway_url}/graphql", json=body, headers=sent
        ) as response:
            assert response.status == 200, await response.text()
            result: dict[str, Any] = await response.json()
            return result

    def pid(self, index: int) -> str:
        """The pid of documented test person `index` (see `minside population`)."""
        return self.stack.population.person(index).pid

    @property
    def admin(self) -> SimulatorAdmin:
        return SimulatorAdmin(self.http, self.stack.urls)

    async def reset(self) -> None:
        """Counters, faults and state of every simulator back to the seed."""
        await self.admin.reset(SYSTEM_NAMES)

    async def calls(self, system: str) -> dict[str, int]:
        return await self.admin.calls(system)

    async def fault(self, system: str, **fault: Any) -> None:
        await self.admin.fault(system, **fault)


def graph_settings(tmp_path: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    """The test's gateway settings: the shared ones, its own outbox, its `gateway` marker."""
    marker = request.node.get_closest_marker("gateway")
    return {
        **GRAPH_SETTINGS,
        "outbox_url": f"sqlite:///{tmp_path / 'outbox.sqlite3'}",
        **(marker.kwargs if marker is not None else {}),
    }


@pytest.fixture(scope="session")
async def back_office(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningStack]:
    """Stand-in and simulators for the whole session (and a gateway no test uses: each test
    starts its own beside it, wired the same way)."""
    home = tmp_path_factory.mktemp("back-office")
    with isolated_environment(home):
        unused_outbox = f"sqlite:///{home / 'unused.sqlite3'}"
        settings = Settings(**{**GRAPH_SETTINGS, "outbox_url": unused_outbox})
    async with running_stack(settings) as stack:
        yield stack


async def own_gateway(
    back_office: RunningStack, overrides: dict[str, Any]
) -> tuple[RunningStack, ServerSpec]:
    """The back office with a new gateway in front of it, on a port of its own."""
    from app import build_app

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = back_office.settings.model_copy(
        update={**overrides, "port": port, "public_url": AnyHttpUrl(url)}
    )
    app = build_app(settings)
    stack = dataclasses.replace(
        back_office,
        settings=settings,
        urls={**back_office.urls, "gateway": url},
        gateway_app=app,
    )
    return stack, ServerSpec("gateway", app, "127.0.0.1", port)


@pytest.fixture
async def graph(
    request: pytest.FixtureRequest, tmp_path: Path, back_office: RunningStack
) -> AsyncIterator[GraphClient]:
    settings = graph_settings(tmp_path, request)
    if request.node.get_closest_marker("own_stack") is not None:
        async with running_stack(Settings(**settings)) as stack, aiohttp.ClientSession() as http:
            yield GraphClient(stack, http)
        return
    stack, spec = await own_gateway(back_office, settings)
    async with aiohttp.ClientSession() as http:
        client = GraphClient(stack, http)
        await client.reset()
        async with running_servers([spec]):
            yield client
