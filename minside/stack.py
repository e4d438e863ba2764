"""The local stack: gateway, one simulator per registered system and the ID-porten stand-in.

One place wires them to each other, for every way they run: ``minside demo`` (one process, the
configured ports), the tests (one process, free ports: :func:`running_stack`), and the
benchmark and the demo test (separate processes, free ports: :func:`stack_environment`).
The simulators share one :class:`~simulators.population.Population`, so a citizen's properties,
cases and invoices agree across systems, and each has its own admin control. The systems are
the ones registered in :mod:`kernel.systems`.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from pydantic import AnyHttpUrl

from kernel.servers import ServerSpec, free_port, running_servers
from kernel.settings import Settings, SettingsError
from kernel.systems import SYSTEM_NAMES, SYSTEMS, load
from simulators.admin import SimulatorControl, TraceparentLog
from simulators.population import Population

LOOPBACK = "http://127.0.0.1"


@dataclass(frozen=True)
class StackPorts:
    """The ports of one local stack: gateway, stand-in and each system's simulator."""

    gateway: int
    standin: int
    systems: dict[str, int]

    @classmethod
    def configured(cls, settings: Settings) -> StackPorts:
        """The ports the settings name (``MINSIDE_PORT``, ``MINSIDE_<SYSTEM>_SIM_PORT``…)."""
        return cls(
            settings.port,
            settings.idporten_standin_port,
            {name: settings.system(name).sim_port for name in SYSTEM_NAMES},
        )

    @classmethod
    def free(cls) -> StackPorts:
        """Free loopback ports for every server (tests, the benchmark)."""
        return cls(free_port(), free_port(), {name: free_port() for name in SYSTEM_NAMES})

    def urls(self) -> dict[str, str]:
        """Root URL of each server: "gateway", "idporten" and one per system."""
        return {
            "gateway": f"{LOOPBACK}:{self.gateway}",
            "idporten": f"{LOOPBACK}:{self.standin}",
            **{name: f"{LOOPBACK}:{port}" for name, port in self.systems.items()},
        }


def wire(settings: Settings, ports: StackPorts) -> Settings:
    """``settings`` with the gateway, stand-in and simulators on ``ports``, pointing at each
    other: the issuer is the stand-in, each system's URL is its simulator. The local stack runs
    in development mode (the stand-in's tokens carry no audience) unless ``mode`` was given."""
    urls = ports.urls()
    wired = settings.model_copy(
        update={
            "mode": settings.mode if "mode" in settings.model_fields_set else "development",
            "port": ports.gateway,
            "idporten_standin_port": ports.standin,
            "idporten_issuer": AnyHttpUrl(urls["idporten"]),
        }
    )
    for system in SYSTEMS:
        port = ports.systems[system.name]
        wired = wired.with_system(system.name, sim_port=port, url=system.local_url(port))
    return wired


def stack_environment(ports: StackPorts) -> dict[str, str]:
    """The variables that make ``minside serve``, ``simulators``, ``idporten`` or ``demo``
    processes run on ``ports`` and find each other (the benchmark, the demo test)."""
    env = {
        # The local stack is development: the stand-in's tokens carry no audience.
        "MINSIDE_MODE": "development",
        "MINSIDE_PORT": str(ports.gateway),
        "MINSIDE_PUBLIC_URL": f"{LOOPBACK}:{ports.gateway}",
        "MINSIDE_IDPORTEN_STANDIN_PORT": str(ports.standin),
        "MINSIDE_IDPORTEN_ISSUER": f"{LOOPBACK}:{ports.standin}",
    }
    for system in SYSTEMS:
        port = ports.systems[system.name]
        prefix = f"MINSIDE_{system.name.upper()}"
        env[f"{prefix}_SIM_PORT"] = str(port)
        env[f"{prefix}_URL"] = system.local_url(port)
    return env


@dataclass(frozen=True)
class SimulatorSet:
    """The simulators of one stack: their population, controls and server specs."""

    population: Population
    controls: dict[str, SimulatorControl]
    specs: list[ServerSpec]  # in the order of kernel.systems.SYSTEMS


def gateway_spec(settings: Settings) -> ServerSpec:
    """The gateway on its configured host and port."""
    from app import build_app

    return ServerSpec("gateway", build_app(settings), settings.host, settings.port)


def simulator_set(settings: Settings, *, free_ports: bool = False) -> SimulatorSet:
    """One simulator per registered system, on its configured ``<system>_sim_port`` (or on
    port 0, for a caller that picks free ports itself)."""
    population = Population(seed=settings.population_seed, size=settings.population_size)
    controls: dict[str, SimulatorControl] = {}
    specs: list[ServerSpec] = []
    for system in SYSTEMS:
        configured = settings.system(system.name)
        control = SimulatorControl(system.name, population)
        controls[system.name] = control
        build = load(system.simulator)
        app = TraceparentLog(
            build(
                population,
                control,
                username=configured.username,
                password=configured.password.get_secret_value(),
            ),
            control,
        )
        port = 0 if free_ports else configured.sim_port
        specs.append(ServerSpec(f"{system.name} simulator", app, "127.0.0.1", port))
    return SimulatorSet(population, controls, specs)


def standin_spec(settings: Settings) -> ServerSpec:
    """The local ID-porten stand-in."""
    from idporten_standin import standin_spec as build_standin_spec

    return build_standin_spec(settings)


def external_issuer(settings: Settings) -> str | None:
    """``MINSIDE_IDPORTEN_ISSUER`` when it names a provider other than the demo's stand-in
    (test.idporten.no, say), else None."""
    if "idporten_issuer" not in settings.model_fields_set:
        return None
    issuer = str(settings.idporten_issuer).rstrip("/")
    return None if issuer == f"{LOOPBACK}:{settings.idporten_standin_port}" else issuer


def check_standin_client(settings: Settings) -> None:
    """Raise :class:`SettingsError` when the gateway's client settings are not the stand-in's
    registration of it: the demo's logins would fail at the stand-in, or silently use another
    client than the one configured."""
    from idporten_standin import GATEWAY_CLIENT_ID, GATEWAY_CLIENT_SECRET

    differing = [
        name
        for name, differs in (
            ("MINSIDE_IDPORTEN_CLIENT_ID", settings.idporten_client_id != GATEWAY_CLIENT_ID),
            (
                "MINSIDE_IDPORTEN_CLIENT_SECRET",
                settings.idporten_client_secret.get_secret_value() != GATEWAY_CLIENT_SECRET,
            ),
            ("MINSIDE_IDPORTEN_CLIENT_KEY_FILE", settings.idporten_client_key_file is not None),
            ("MINSIDE_IDPORTEN_CLIENT_KEY_ID", settings.idporten_client_key_id is not None),
        )
        if differs
    ]
    if differing:
        raise SettingsError(
            f"`minside demo` runs the local ID-porten stand-in, which knows the gateway as "
            f"client {GATEWAY_CLIENT_ID!r} with the development secret; "
            f"{', '.join(differing)} would not log in there. Unset them, or set "
            "MINSIDE_IDPORTEN_ISSUER to the provider that registered this client (the demo "
            "then logs in there instead of at the stand-in)."
        )


def demo_settings(settings: Settings) -> Settings:
    """The gateway's settings in the demo: development mode (unless ``MINSIDE_MODE`` says
    otherwise), back-office URLs pointing at the local simulators, and the issuer the stand-in,
    or the provider ``MINSIDE_IDPORTEN_ISSUER`` names (:func:`external_issuer`) with the
    configured client. Client settings the stand-in would refuse are refused here
    (:class:`SettingsError`)."""
    wired = wire(settings, StackPorts.configured(settings))
    if external_issuer(settings) is not None:
        return wired.model_copy(update={"idporten_issuer": settings.idporten_issuer})
    check_standin_client(settings)
    return wired


def demo_specs(settings: Settings) -> list[ServerSpec]:
    """Everything the demo runs, dependencies first so the gateway finds them ready: the
    stand-in (unless the issuer is another provider), the simulators and the gateway."""
    wired = demo_settings(settings)
    return [
        *([] if external_issuer(settings) is not None else [standin_spec(wired)]),
        *simulator_set(wired).specs,
        gateway_spec(wired),
    ]


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
    """Stand-in, the simulators and the gateway on free ports, wired to each other."""
    from app import build_app
    from idporten_standin import standin_config
    from idporten_standin.app import build_app as build_standin

    ports = StackPorts.free()
    urls = ports.urls()
    wired = wire(settings or Settings(), ports).model_copy(
        update={"public_url": AnyHttpUrl(urls["gateway"])}
    )
    simulators = simulator_set(wired)
    standin_app = build_standin(standin_config(wired))
    gateway_app = build_app(wired)
    specs = [
        ServerSpec("idporten-standin", standin_app, "127.0.0.1", ports.standin),
        *simulators.specs,
        ServerSpec("gateway", gateway_app, "127.0.0.1", ports.gateway),
    ]
    async with running_servers(specs, log_level):
        yield RunningStack(
            settings=wired,
            simulators=simulators,
            urls=urls,
            standin_app=standin_app,
            gateway_app=gateway_app,
        )
