"""Fixtures: the Visma invoice simulator on loopback and a VismaClient pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import aiohttp
import pytest

from connectors.resilience import Resilience, ResiliencePolicy
from connectors.visma import VismaClient
from kernel.servers import ServerSpec, running_servers
from simulators.admin import Fault, SimulatorControl
from simulators.population import Population
from simulators.visma.app import build_app

USER, PASSWORD = "minside", "s3cret"
TODAY = date(2026, 6, 15)
# Short deadline and breaker reset so fault tests run quickly; no back-off to speak of.
POLICY = ResiliencePolicy(
    deadline_s=0.5,
    retries=2,
    backoff_base_s=0.001,
    backoff_max_s=0.01,
    breaker_failure_threshold=3,
    breaker_reset_s=0.3,
)


@dataclass
class Stack:
    url: str
    population: Population
    control: SimulatorControl
    session: aiohttp.ClientSession
    resilience: Resilience

    def client(self, **kwargs: Any) -> VismaClient:
        options = {"username": USER, "password": PASSWORD, "resilience": self.resilience}
        options.update(kwargs)
        return VismaClient(self.session, self.url, **options)

    def fault(self, operation: str, **kwargs: Any) -> None:
        self.control.set_fault(operation, Fault(**kwargs))

    async def admin_json(self, path: str, method: str = "GET", **kwargs: Any) -> Any:
        async with self.session.request(method, self.url + path, **kwargs) as response:
            assert response.status == 200
            return await response.json()


@pytest.fixture
async def stack() -> AsyncIterator[Stack]:
    population = Population(seed=2026, size=50, today=TODAY)
    control = SimulatorControl("visma", population)
    app = build_app(population, control, username=USER, password=PASSWORD)
    async with running_servers([ServerSpec("visma", app)]) as servers, aiohttp.ClientSession() as s:
        yield Stack(servers[0].url, population, control, s, Resilience("visma", POLICY))
