"""The back-office connectors of one gateway process, built once in the app's lifespan.

All four share the app's aiohttp session; each has its own :class:`Resilience` (deadline,
retries, breaker, concurrency limit), whose snapshot feeds ``viewer.sources`` and ``/readyz``.
"""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp

from connectors.fees.client import FeesClient
from connectors.matrikkel.client import MatrikkelClient
from connectors.p360.client import P360Client
from connectors.resilience import Resilience, ResiliencePolicy
from connectors.visma.client import VismaClient
from kernel.settings import Settings

SYSTEMS = ("matrikkel", "fees", "p360", "visma")


@dataclass(frozen=True)
class Connectors:
    """The connectors and their resilience state."""

    matrikkel: MatrikkelClient
    fees: FeesClient
    p360: P360Client
    visma: VismaClient
    resilience: dict[str, Resilience]


@dataclass(frozen=True)
class ConnectorProbe:
    """Readiness of a back-office system: its connector's ``ping`` answers."""

    name: str
    connectors: Connectors

    async def check(self) -> None:
        await getattr(self.connectors, self.name).ping()


def _policy(settings: Settings, deadline_s: float) -> ResiliencePolicy:
    return ResiliencePolicy(
        deadline_s=deadline_s,
        retries=settings.system_retries,
        breaker_failure_threshold=settings.breaker_failure_threshold,
        breaker_reset_s=settings.breaker_reset_s,
        max_concurrency=settings.system_max_concurrency,
    )


def open_connectors(settings: Settings, session: aiohttp.ClientSession) -> Connectors:
    """Connectors for the configured systems (loading the vendored WSDLs once)."""
    resilience = {
        "matrikkel": Resilience("matrikkel", _policy(settings, settings.matrikkel_deadline_s)),
        "fees": Resilience("fees", _policy(settings, settings.fees_deadline_s)),
        "p360": Resilience("p360", _policy(settings, settings.p360_deadline_s)),
        "visma": Resilience("visma", _policy(settings, settings.visma_deadline_s)),
    }
    return Connectors(
        matrikkel=MatrikkelClient(
            session,
            str(settings.matrikkel_url),
            settings.matrikkel_username,
            settings.matrikkel_password.get_secret_value(),
            resilience["matrikkel"],
            settings.matrikkel_store_batch_size,
        ),
        fees=FeesClient(
            session,
            str(settings.fees_url),
            settings.fees_username,
            settings.fees_password.get_secret_value(),
            resilience["fees"],
        ),
        p360=P360Client(
            session,
            str(settings.p360_url),
            settings.p360_username,
            settings.p360_password.get_secret_value(),
            resilience["p360"],
        ),
        visma=VismaClient(
            session,
            str(settings.visma_url),
            settings.visma_username,
            settings.visma_password.get_secret_value(),
            resilience["visma"],
        ),
        resilience=resilience,
    )
