"""The back office of the scale-out tests: the ID-porten stand-in and the simulators in the
test's process, wired for gateway processes of the test's own (``tests/gateway_process.py``).
The ``back_office`` fixture (``conftest.py``) gives each test a fresh one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
from pydantic import AnyHttpUrl

from idporten_standin import DEV_API_SCOPE, issue_access_token, standin_config
from idporten_standin.app import build_app as build_standin
from kernel.servers import ServerSpec, running_servers
from kernel.settings import Settings
from kernel.systems import SYSTEM_NAMES
from minside.stack import StackPorts, simulator_set, wire
from simulators.population import Population
from tests.auth.stack import browser
from tests.simulator_admin import SimulatorAdmin


@dataclass
class BackOffice:
    """The stand-in and the simulators (in this process) and a client for the gateways."""

    settings: Settings
    population: Population
    standin_app: Any
    urls: dict[str, str]
    http: aiohttp.ClientSession
    admin: SimulatorAdmin

    def token(self, pid: str) -> str:
        return issue_access_token(self.standin_app, pid, "idporten-loa-substantial", DEV_API_SCOPE)


@asynccontextmanager
async def running_back_office() -> AsyncIterator[BackOffice]:
    ports = StackPorts.free()
    urls = ports.urls()
    # The public URL (what the stand-in redirects to) is the first gateway's port.
    settings = wire(Settings(population_size=50), ports).model_copy(
        update={"public_url": AnyHttpUrl(urls["gateway"])}
    )
    simulators = simulator_set(settings)
    standin_app = build_standin(standin_config(settings))
    specs = [
        ServerSpec("idporten-standin", standin_app, "127.0.0.1", ports.standin),
        *simulators.specs,
    ]
    async with running_servers(specs), browser() as http:
        system_urls = {name: urls[name] for name in SYSTEM_NAMES}
        yield BackOffice(
            settings,
            simulators.population,
            standin_app,
            urls,
            http,
            SimulatorAdmin(http, system_urls),
        )
