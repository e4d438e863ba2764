"""A whole local stack per test module, and a GraphQL client with a viewer's bearer token."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from kernel.settings import Settings
from minside.stack import RunningStack, running_stack


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

    async def reset(self) -> None:
        """Counters, faults and state of every simulator back to the seed."""
        for system in ("matrikkel", "fees", "p360", "visma"):
            async with self.http.post(
                f"{self.stack.urls[system]}/_admin/reset", params={"state": "true"}
            ) as response:
                assert response.status in (200, 204), await response.text()

    async def calls(self, system: str) -> dict[str, int]:
        async with self.http.get(f"{self.stack.urls[system]}/_admin/calls") as response:
            calls: dict[str, int] = await response.json()
            return calls

    async def fault(self, system: str, **fault: Any) -> None:
        async with self.http.post(
            f"{self.stack.urls[system]}/_admin/faults", json=fault
        ) as response:
            assert response.status in (200, 201, 204), await response.text()


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def graph(tmp_path: Path) -> AsyncIterator[GraphClient]:
    # Short deadlines and no retries so failure tests are quick; breaker threshold high so one
    # test's injected outage does not leave a breaker open for the next query.
    settings = Settings(
        matrikkel_deadline_s=2.0,
        fees_deadline_s=2.0,
        p360_deadline_s=2.0,
        visma_deadline_s=2.0,
        system_retries=0,
        breaker_failure_threshold=50,
        outbox_url=f"sqlite:///{tmp_path / 'outbox.sqlite3'}",
        delivery_backoff_max_s=2.0,
    )
    async with running_stack(settings) as stack, aiohttp.ClientSession() as http:
        yield GraphClient(stack, http)
