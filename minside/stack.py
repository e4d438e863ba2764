"""The local stack that `minside demo` runs: gateway, simulators and the ID-porten stand-in.

The four simulators share one :class:`~simulators.population.Population`, so a citizen's
properties, cases and invoices agree across systems, and each has its own admin control.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from pydantic import AnyHttpUrl

from kernel.servers import ServerSpec, free_port, running_servers
from kernel.settings import Settings
from simulators.admin import SimulatorControl
from simulators.population import Population

SIMULATED_SYSTEMS = ("matrikkel", "fees", "p360", "visma")


@dataclass(frozen=True)
class SimulatorSet:
    """The simulators of one stack: their population, controls and server specs."""

    population: Population
    controls: dict[str, SimulatorControl]
    specs: list[ServerSpec]


def gateway_spec(settings: Settings) -> ServerSpec:
    """The gateway on its configured host and port."""
    from app import build_app

    return ServerSpec("gateway", build_app(settings), settings.host, settings.port)


def simulator_set(settings: Settings, *, free_ports: bool = False) -> SimulatorSet:
    """The four back-office simulators on their configured ports (or free ones, for tests)."""
    from simulators.fees.app import build_app as fees_app
    from simulators.matrikkel.app import build_app as matrikkel_app
    from simulators.p360.app import build_app as p360_app
    from simulators.visma.app import build_app as visma_app

    population = Population(seed=settings.population_seed, size=settings.population_size)
    builders = {
        "matrikkel": (
            matrikkel_app,
            settings.matrikkel_sim_port,
            settings.matrikkel_username,
            settings.matrikkel_password,
        ),
        "fees": (fees_app, settings.fees_sim_port, settings.fees_username, settings.fees_password),
        "p360": (p360_app, settings.p360_sim_port, settings.p360_username, settings.p360_password),
        "visma": (
            visma_app,
            settings.visma_sim_port,
            settings.visma_username,
            settings.visma_password,
        ),
    }
    controls: dict[str, SimulatorControl] = {}
    specs: list[ServerSpec] = []
    for system, (build, port, username, password) in builders.items():
        control = SimulatorControl(system, population)
        controls[system] = control
        app = build(population, control, username=username, password=password.get_secret_value())
        specs.append(ServerSpec(f"{system} simulator", app, "127.0.0.1", 0 if free_ports else port))
    return SimulatorSet(population, controls, specs)


def standin_spec(settings: Settings) -> ServerSpec:
    """The local ID-porten stand-in."""
    from idporten_standin import standin_spec as build_standin_spec

    return build_standin_spec(settings)


def demo_settings(settings: Settings) -> Settings:
    """The gateway's settings in the demo: back-office URLs point at the local simulators."""
    local = "http://127.0.0.1"
    return settings.model_copy(
        update={
            "idporten_issuer": AnyHttpUrl(f"{local}:{settings.idporten_standin_port}"),
            "matrikkel_url": AnyHttpUrl(
                f"{local}:{settings.matrikkel_sim_port}/matrikkelapi/wsapi/v1"
            ),
            "fees_url": AnyHttpUrl(f"{local}:{settings.fees_sim_port}"),
            "p360_url": AnyHttpUrl(f"{local}:{settings.p360_sim_port}/SI.WS.Core/SIF"),
            "visma_url": AnyHttpUrl(f"{local}:{settings.visma_sim_port}"),
        }
    )


def demo_specs(settings: Settings) -> list[ServerSpec]:
    """Everything the demo runs, dependencies first so the gateway finds them ready."""
    settings = demo_settings(settings)
    return [standin_spec(settings), *simulator_set(settings).specs, gateway_spec(settings)]


@dataclass
class RunningStack:
    """A whole local stack on free loopback ports (tests and the benchmark)."""

    settings: Settings
    simulators: SimulatorSet
    urls: dict[str, str]
    standin_app: Any
    gateway_app: Any

    @property
    def gateway_url(self) -> str:
        return self.urls["gateway"]

    @property
    def population(self) -> Population:
        return self.simulators.population

    def control(self, system: str) -> SimulatorControl:
        """The admin control of one simulator (counters, faults)."""
        return self.simulators.controls[system]

    def token(self, pid: str, acr: str = "idporten-loa-substantial") -> str:
        """A valid access token for `pid`, as ID-porten (the stand-in) would issue it."""
        from idporten_standin import DEV_API_SCOPE, issue_access_token

        return issue_access_token(self.standin_app, pid, acr, DEV_API_SCOPE)


@contextlib.asynccontextmanager
async def running_stack(
    settings: Settings | None = None, log_level: str = "WARNING"
) -> AsyncIterator[RunningStack]:
    """Stand-in, four simulators and the gateway on free ports, wired to each other."""
    from app import build_app
    from idporten_standin import standin_config
    from idporten_standin.app import build_app as build_standin

    base = settings or Settings()
    ports = {name: free_port() for name in ("gateway", "standin")}
    simulators = simulator_set(base, free_ports=True)
    sim_specs = [spec.with_port(free_port()) for spec in simulators.specs]
    sim_url = {
        system: f"http://127.0.0.1:{spec.port}"
        for system, spec in zip(SIMULATED_SYSTEMS, sim_specs, strict=True)
    }
    public_url = f"http://127.0.0.1:{ports['gateway']}"
    wired = base.model_copy(
        update={
            "port": ports["gateway"],
            "public_url": AnyHttpUrl(public_url),
            "idporten_standin_port": ports["standin"],
            "idporten_issuer": AnyHttpUrl(f"http://127.0.0.1:{ports['standin']}"),
            "matrikkel_url": AnyHttpUrl(sim_url["matrikkel"] + "/matrikkelapi/wsapi/v1"),
            "fees_url": AnyHttpUrl(sim_url["fees"]),
            "p360_url": AnyHttpUrl(sim_url["p360"] + "/SI.WS.Core/SIF"),
            "visma_url": AnyHttpUrl(sim_url["visma"]),
        }
    )
    standin_app = build_standin(standin_config(wired))
    gateway_app = build_app(wired)
    specs = [
        ServerSpec("idporten-standin", standin_app, "127.0.0.1", ports["standin"]),
        *sim_specs,
        ServerSpec("gateway", gateway_app, "127.0.0.1", ports["gateway"]),
    ]
    async with running_servers(specs, log_level):
        yield RunningStack(
            settings=wired,
            simulators=simulators,
            urls={"gateway": public_url, "idporten": str(wired.idporten_issuer), **sim_url},
            standin_app=standin_app,
            gateway_app=gateway_app,
        )
