"""Two gateway processes sharing the real Redis (and PostgreSQL) count one viewer's budget
together: requests spread over both are refused once the shared budget is spent, by either
process, with no back-office call for a refused one (gateway.rate_limit, RedisRateStore).

With the in-process store each process would have a budget of its own and let the viewer spend
twice as much; this test would then fail at the first refusal.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from graphql import parse
from pydantic import AnyHttpUrl

from idporten_standin import DEV_API_SCOPE, issue_access_token, standin_config
from idporten_standin.app import build_app as build_standin
from kernel.servers import ServerSpec, free_port, running_servers
from kernel.settings import Settings
from kernel.systems import SYSTEM_NAMES
from minside.stack import StackPorts, simulator_set, wire
from schema.build import build_schema
from schema.cost import measure
from simulators.population import Population, documented
from tests.gateway_process import GatewayProcess, backoffice_environment
from tests.services import RedisNamespace
from tests.simulator_admin import SimulatorAdmin

SECRET = "rate-limit-two-gateways-secret-" + "s" * 32
CASES = "query Cases { viewer { cases(first: 5) { totalCount } } }"
COST = measure(build_schema()._schema, parse(CASES)).cost  # type: ignore[union-attr]
BUDGET = 3 * COST + COST // 2  # three CASES fit, a fourth does not: on whichever process
WINDOW_S = 600


async def post(
    http: aiohttp.ClientSession, gateway: GatewayProcess, token: str
) -> tuple[int, Any, Any]:
    async with http.post(
        gateway.url + "/graphql",
        json={"query": CASES},
        headers={"Authorization": f"Bearer {token}"},
    ) as response:
        return response.status, response.headers, await response.json()


@dataclass
class BackOffice:
    """The stand-in and the simulators, in this process."""

    settings: Settings
    population: Population
    standin_app: Any
    urls: dict[str, str]


@pytest.fixture
async def back_office() -> AsyncIterator[BackOffice]:
    ports = StackPorts.free()
    urls = ports.urls()
    settings = wire(Settings(population_size=50), ports).model_copy(
        update={"public_url": AnyHttpUrl(urls["gateway"])}
    )
    simulators = simulator_set(settings)
    standin_app = build_standin(standin_config(settings))
    specs = [
        ServerSpec("idporten-standin", standin_app, "127.0.0.1", ports.standin),
        *simulators.specs,
    ]
    async with running_servers(specs):
        yield BackOffice(settings, simulators.population, standin_app, urls)


async def test_two_gateways_spend_one_viewer_budget_in_redis(
    back_office: BackOffice,
    redis_namespace: RedisNamespace,
    database_url: str,
    tmp_path: Path,
) -> None:
    settings, standin_app, urls = back_office.settings, back_office.standin_app, back_office.urls
    environment = {
        **backoffice_environment(settings),
        "MINSIDE_SECRET_KEY": SECRET,  # one secret: the same viewer pseudonym in both
        "MINSIDE_REDIS_URL": redis_namespace.url,
        "MINSIDE_REDIS_KEY_PREFIX": redis_namespace.prefix,
        "MINSIDE_DATABASE_URL": database_url,
        "MINSIDE_CACHE": "off",  # every allowed query asks Public 360
        "MINSIDE_RATE_LIMIT_VIEWER_COST": str(BUDGET),
        "MINSIDE_RATE_LIMIT_WINDOW_S": str(WINDOW_S),
    }
    gateways = [
        GatewayProcess(free_port(), environment, tmp_path, "a"),
        GatewayProcess(free_port(), environment, tmp_path, "b"),
    ]
    try:
        async with aiohttp.ClientSession() as http:
            a, b = gateways
            await asyncio.gather(a.ready(http), b.ready(http))
            admin = SimulatorAdmin(http, {name: urls[name] for name in SYSTEM_NAMES})
            token = issue_access_token(
                standin_app,
                back_office.population.person(documented.HOMEOWNER).pid,
                "idporten-loa-substantial",
                DEV_API_SCOPE,
            )
            remaining = []
            for gateway in (a, b, a):
                status, headers, body = await post(http, gateway, token)
                assert status == 200, (body, gateway.output())
                remaining.append(int(headers["RateLimit-Remaining"]))
            # One budget, whichever process answered.
            assert remaining == [BUDGET - COST, BUDGET - 2 * COST, BUDGET - 3 * COST]

            await admin.reset(SYSTEM_NAMES)
            for gateway in (b, a):
                status, headers, body = await post(http, gateway, token)
                assert status == 429, (body, gateway.output())
                assert body["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
                assert int(headers["Retry-After"]) >= 1
            calls = {system: await admin.calls(system) for system in SYSTEM_NAMES}
            assert all(sum(counts.values()) == 0 for counts in calls.values()), calls
    finally:
        for gateway in gateways:
            gateway.kill()
