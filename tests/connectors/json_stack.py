"""A JSON connector (FeesClient or VismaClient) against its simulator on loopback.

The fixtures in ``tests/connectors/{fees,visma}/conftest.py`` are this with their system's
client and simulator.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from connectors.resilience import Resilience, ResiliencePolicy
from tests.json_simulators import PASSWORD, USER, JsonSimulator, SimulatorApp, json_simulator

# A deadline no ordinary call misses on a loaded machine (the tests that want a timeout pass
# their own: `client(deadline_s=0.5)` with a call slowed down by 1.5 s or more). A short breaker
# reset so the breaker tests can wait it out; no back-off to speak of.
POLICY = ResiliencePolicy(
    deadline_s=20.0,
    retries=2,
    backoff_base_s=0.001,
    backoff_max_s=0.01,
    breaker_failure_threshold=3,
    breaker_reset_s=0.3,
)


@dataclass
class ConnectorStack(JsonSimulator):
    """The simulator, and clients of it sharing one :class:`Resilience` (breaker included)."""

    _: dataclasses.KW_ONLY
    system: str
    client_class: Any
    resilience: Resilience = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        self.resilience = Resilience(self.system, POLICY)

    def client(self, *, deadline_s: float | None = None, **kwargs: Any) -> Any:
        """A client of the simulator; with `deadline_s`, one with that deadline (and a
        resilience of its own) for the tests that slow a call down on purpose."""
        options: dict[str, Any] = {
            "username": USER,
            "password": PASSWORD,
            "resilience": self.resilience,
        }
        if deadline_s is not None:
            policy = dataclasses.replace(POLICY, deadline_s=deadline_s)
            options["resilience"] = Resilience(self.system, policy)
        options.update(kwargs)
        return self.client_class(self.session, self.url, **options)


@contextlib.asynccontextmanager
async def connector_stack(
    system: str, client_class: Any, build_app: SimulatorApp
) -> AsyncIterator[ConnectorStack]:
    """`system`'s simulator on loopback and a factory of `client_class` clients of it."""
    async with json_simulator(system, build_app) as sim:
        yield ConnectorStack(
            sim.url,
            sim.population,
            sim.control,
            sim.session,
            system=system,
            client_class=client_class,
        )
