"""Two gateway processes sharing the real Redis (and PostgreSQL) count one viewer's budget
together: requests spread over both are refused once the shared budget is spent, by either
process, with no back-office call for a refused one (gateway.rate_limit, RedisRateStore).

With the in-process store each process would have a budget of its own and let the viewer spend
twice as much; this test would then fail at the first refusal.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp
from graphql import parse

from kernel.servers import free_port
from kernel.systems import SYSTEM_NAMES
from schema.build import build_schema
from schema.cost import measure
from simulators.population import documented
from tests.gateway_process import GatewayProcess, backoffice_environment
from tests.scaleout.back_office import BackOffice
from tests.services import RedisNamespace

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


async def test_two_gateways_spend_one_viewer_budget_in_redis(
    back_office: BackOffice,
    redis_namespace: RedisNamespace,
    database_url: str,
    tmp_path: Path,
) -> None:
    settings = back_office.settings
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
            admin = back_office.admin
            token = back_office.token(back_office.population.person(documented.HOMEOWNER).pid)
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
