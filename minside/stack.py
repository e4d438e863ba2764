"""The local stack that `minside demo` runs: gateway, simulators and the ID-porten stand-in.

The four simulators share one :class:`~simulators.population.Population`, so a citizen's
properties, cases and invoices agree across systems, and each has its own admin control.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import AnyHttpUrl

from minside.servers import ServerSpec
from minside.settings import Settings
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
