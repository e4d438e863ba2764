"""The simulators' admin surface driven over HTTP, as an operator (or the demo) drives it.

One helper for every test that injects faults, reads call counters or resets simulators it
reaches by URL: the GraphQL tests, the delivery tests and the gateway SIGKILL test.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp


@dataclass
class SimulatorAdmin:
    """``/_admin`` of each simulator in `urls` (system name → base URL)."""

    http: aiohttp.ClientSession
    urls: Mapping[str, str]

    async def request(self, system: str, method: str, path: str, body: Any = None) -> Any:
        """Call an admin route; it must succeed. Returns its JSON (None for 204)."""
        async with self.http.request(method, self.urls[system] + path, json=body) as response:
            assert response.status in (200, 201, 204), await response.text()
            return await response.json() if response.status != 204 else None

    async def fault(self, system: str, **fault: Any) -> None:
        """Inject a fault: ``operation`` (or ``"*"``) and its ``latency_ms``, ``outage``..."""
        await self.request(system, "POST", "/_admin/faults", fault)

    async def clear_faults(self, system: str) -> None:
        await self.request(system, "DELETE", "/_admin/faults")

    async def calls(self, system: str) -> dict[str, int]:
        """How often each operation of `system` was called since the last reset."""
        calls: dict[str, int] = await self.request(system, "GET", "/_admin/calls")
        return calls

    async def reset(self, systems: Iterable[str]) -> None:
        """Counters, faults and state of each of `systems` back to the seed."""
        for system in systems:
            await self.request(system, "POST", "/_admin/reset?state=true")
