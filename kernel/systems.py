"""The registry of back-office systems: one :class:`System` entry per system.

Everything else finds a system through its entry, by its ``name``:

- its settings, ``MINSIDE_<NAME>_URL``, ``_USERNAME``, ``_PASSWORD``, ``_DEADLINE_S``,
  ``_SIM_PORT`` (and ``_BATCH_SIZE`` where it batches), generated into
  :class:`kernel.settings.Settings` from the defaults here;
- its connector (``connector``: a class in ``connectors/<name>/``), which
  :mod:`connectors.registry` opens in the lifespan and ``/readyz`` probes;
- its simulator (``simulator``: an app factory in ``simulators/<name>/``), which the local stack
  (:mod:`minside.stack`), the demo, the tests and the benchmark start;
- its contracts in ``contracts/<name>/``;
- its entry in ``viewer.sources`` (``Source.<NAME>``, labelled with ``labels``).

Connector and simulator are named by import path, not imported: this module sits in the kernel,
below the connectors, and production code never imports a simulator. Adding a system is the
checklist in the README ("Adding a back-office system").
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class System:
    """One back-office system the gateway reads from."""

    name: str
    """Its id: lower-case, a valid Python identifier (settings prefix, folders, source)."""
    title: str
    """Its name in messages: errors (``… is unavailable``), the settings table."""
    labels: tuple[str, str, str]
    """What a citizen is told it is, in nb, nn and en (``viewer.sources``)."""
    connector: str
    """``module:Class`` of its connector; constructed as
    ``Class(session, url, username, password, resilience[, batch_size])``."""
    simulator: str
    """``module:function`` building its simulator's ASGI app:
    ``function(population, control, *, username=..., password=...)``."""
    port: int
    """Port of its simulator in the local stack (the demo)."""
    path: str = ""
    """Where its API sits below the server's root, e.g. ``/SI.WS.Core/SIF``."""
    url_hint: str = ""
    """What the base URL addresses, for the settings table."""
    deadline_s: float = 3.0
    """Default deadline of one call."""
    batch_size: int | None = None
    """Default keys per batched call; ``None`` for a system that is not asked in batches."""
    batch_hint: str = "keys per batched call."

    def local_url(self, port: int) -> str:
        """The base URL of this system's simulator on ``port`` of the loopback interface."""
        return f"http://127.0.0.1:{port}{self.path}"


SYSTEMS: tuple[System, ...] = (
    System(
        name="matrikkel",
        title="Matrikkelen (eiendomsregisteret)",
        labels=("Eiendomsregisteret", "Eigedomsregisteret", "Property register"),
        connector="connectors.matrikkel.client:MatrikkelClient",
        simulator="simulators.matrikkel.app:build_app",
        port=8101,
        path="/matrikkelapi/wsapi/v1",
        url_hint="services are <base>/<Name>ServiceWS",
        deadline_s=4.0,
        batch_size=1000,
        batch_hint="ids per StoreServiceWS.getObjects call.",
    ),
    System(
        name="fees",
        title="Gebyr-, skatte- og vannmålerregisteret",
        labels=(
            "Gebyr- og vannmålerregisteret",
            "Gebyr- og vassmålarregisteret",
            "Fee and meter register",
        ),
        connector="connectors.fees.client:FeesClient",
        simulator="simulators.fees.app:build_app",
        port=8102,
        deadline_s=3.0,
        batch_size=500,
        batch_hint="matrikkelnummer per queryProperties call.",
    ),
    System(
        name="p360",
        title="Public 360 (sak og arkiv)",
        labels=("Sak og arkiv", "Sak og arkiv", "Case and archive system"),
        connector="connectors.p360.client:P360Client",
        simulator="simulators.p360.app:build_app",
        port=8103,
        path="/SI.WS.Core/SIF",
        url_hint="services are <base>/<Name>Service.svc",
        deadline_s=5.0,
    ),
    System(
        name="visma",
        title="Visma Enterprise (faktura)",
        labels=("Faktura", "Faktura", "Invoicing"),
        connector="connectors.visma.client:VismaClient",
        simulator="simulators.visma.app:build_app",
        port=8104,
        deadline_s=3.0,
        batch_size=500,
        batch_hint="invoice numbers per lookup call.",
    ),
)

SYSTEM_NAMES: tuple[str, ...] = tuple(system.name for system in SYSTEMS)


def system(name: str) -> System:
    """The registered system called ``name`` (``KeyError`` for an unknown name)."""
    for entry in SYSTEMS:
        if entry.name == name:
            return entry
    raise KeyError(name)


def load(reference: str) -> Any:
    """The object a ``module:attribute`` reference names (imported on first use)."""
    module, _, attribute = reference.partition(":")
    return getattr(importlib.import_module(module), attribute)
