"""The back-office connectors of one gateway process, built once in the app's lifespan.

One connector per system registered in :mod:`kernel.systems`, each constructed from that
system's settings. All share the app's aiohttp session; each has its own :class:`Resilience`
(deadline, retries, breaker, concurrency limit), whose snapshot feeds ``viewer.sources`` and
``/readyz``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import aiohttp

from connectors.base import Connector
from connectors.observe import NO_OBSERVER, CallObserver
from connectors.resilience import Resilience, ResiliencePolicy
from kernel.settings import Settings, SystemSettings
from kernel.systems import SYSTEMS, load

__all__ = ["ConnectorProbe", "Connectors", "open_connectors"]


C = TypeVar("C")


@dataclass(frozen=True)
class Connectors:
    """The connectors of the registered systems, by system name, and their resilience state."""

    by_system: dict[str, Connector]
    resilience: dict[str, Resilience]

    def get(self, kind: type[C]) -> C:
        """The process's connector of class ``kind`` (resolvers ask by type, typed)."""
        for connector in self.by_system.values():
            if isinstance(connector, kind):
                return connector
        raise LookupError(f"no connector of type {kind.__name__} is registered")

    def of(self, system: str) -> Connector:
        """The connector of system ``system``."""
        return self.by_system[system]


@dataclass(frozen=True)
class ConnectorProbe:
    """Readiness of a back-office system: its connector's ``ping`` answers."""

    name: str
    connectors: Connectors

    async def check(self) -> None:
        await self.connectors.of(self.name).ping()


def _policy(settings: Settings, system: SystemSettings) -> ResiliencePolicy:
    return ResiliencePolicy(
        deadline_s=system.deadline_s,
        retries=settings.system_retries,
        breaker_failure_threshold=settings.breaker_failure_threshold,
        breaker_reset_s=settings.breaker_reset_s,
        max_concurrency=settings.system_max_concurrency,
    )


def open_connector(
    system: SystemSettings, session: aiohttp.ClientSession, resilience: Resilience
) -> Connector:
    """The connector of one system, constructed from its settings (loads its WSDLs once)."""
    cls: Callable[..., Connector] = load(system.system.connector)
    extra = () if system.batch_size is None else (system.batch_size,)
    return cls(
        session,
        system.url,
        system.username,
        system.password.get_secret_value(),
        resilience,
        *extra,
    )


def open_connectors(
    settings: Settings, session: aiohttp.ClientSession, observer: CallObserver = NO_OBSERVER
) -> Connectors:
    """Connectors for every registered system; ``observer`` is told of each call (metrics)."""
    by_system: dict[str, Connector] = {}
    resilience: dict[str, Resilience] = {}
    for entry in SYSTEMS:
        system = settings.system(entry.name)
        resilience[entry.name] = Resilience(
            entry.name, _policy(settings, system), observer=observer
        )
        by_system[entry.name] = open_connector(system, session, resilience[entry.name])
    return Connectors(by_system=by_system, resilience=resilience)
