"""Two gateway processes sharing the real Redis and PostgreSQL, as two replicas behind a load
balancer: what one process does, the other sees.

The stand-in and the simulators run in the test's process (no gateway of their own); the two
gateways are ``minside serve`` children on ports of their own with one public URL (the load
balancer's, here the first one's), one server secret, one Redis key prefix and one PostgreSQL
schema (the fixtures of :mod:`tests.services` give both a namespace of this test's own).

- a login started on one worker and finished on the other (the pending login is shared), and
  the session it made used on both;
- a logout on one ends the session on the other;
- a dashboard read through one is served to the other from the shared cache: no back-office
  call;
- with Public 360 down, both serve the kept copy as ``STALE``, and each one's ``/metrics``
  shows the stale serves and its open breaker;
- a worker SIGKILLed while it delivers a meter reading: the other delivers it after the lease
  expires, once (the same idempotency key), and the record ends ``DELIVERED``; a worker
  stopped with SIGTERM while it delivers exits 0 and hands the record back at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import psycopg
from yarl import URL

from kernel.servers import free_port
from kernel.settings import PROJECT_ROOT
from kernel.systems import SYSTEM_NAMES
from simulators.population import documented
from tests.auth.stack import browser, browser_login
from tests.gateway_process import GatewayProcess, backoffice_environment
from tests.graph.submission.helpers import SUBMISSIONS, SUBMIT_READING, reading_input, wait_until
from tests.scaleout.back_office import BackOffice
from tests.services import RedisNamespace

DASHBOARD = (PROJECT_ROOT / "bench" / "dashboard.graphql").read_text()
SECRET = "two-gateways-test-secret-" + "t" * 32
LEASE_S = 2
LATENCY_MS = 3000


@contextlib.contextmanager
def two_gateways(
    back_office: BackOffice,
    redis: RedisNamespace,
    database_url: str,
    tmp_path: Path,
    **settings: str,
) -> Iterator[list[GatewayProcess]]:
    """Gateways "a" (on the public URL's port) and "b", sharing Redis and PostgreSQL; a
    process the test starts later goes into the same list, so none outlives the test."""
    public_url = back_office.urls["gateway"]
    environment = {
        **backoffice_environment(back_office.settings),
        "MINSIDE_PUBLIC_URL": public_url,
        "MINSIDE_SECRET_KEY": SECRET,
        "MINSIDE_REDIS_URL": redis.url,
        "MINSIDE_REDIS_KEY_PREFIX": redis.prefix,
        "MINSIDE_DATABASE_URL": database_url,
        "MINSIDE_SESSION_COOKIE_SECURE": "false",
        **settings,
    }
    port_a = int(public_url.rsplit(":", 1)[1])
    gateways = [
        GatewayProcess(port_a, environment, tmp_path, "a"),
        GatewayProcess(free_port(), environment, tmp_path, "b"),
    ]
    try:
        yield gateways
    finally:
        for gateway in gateways:
            gateway.kill()


async def graphql(
    back_office: BackOffice,
    gateway: GatewayProcess,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    pid: str | None = None,
    client: aiohttp.ClientSession | None = None,
) -> Any:
    headers = {"Authorization": f"Bearer {back_office.token(pid)}"} if pid else {}
    async with (client or back_office.http).post(
        gateway.url + "/graphql",
        json={"query": query, "variables": variables or {}},
        headers=headers,
    ) as response:
        assert response.status == 200, await response.text()
        return await response.json()


async def all_calls(back_office: BackOffice) -> dict[str, dict[str, int]]:
    return {system: await back_office.admin.calls(system) for system in SYSTEM_NAMES}


def statuses(viewer: dict[str, Any]) -> dict[str, str]:
    return {source["source"]: source["status"] for source in viewer["sources"]}


async def metrics(http: aiohttp.ClientSession, gateway: GatewayProcess) -> dict[str, float]:
    """The gateway's /metrics as {"name{labels}": value}."""
    async with http.get(gateway.url + "/metrics") as response:
        assert response.status == 200
        text = await response.text()
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            samples[name] = float(value)
    return samples


async def login_on_b_finishing_on_a(
    back_office: BackOffice, a: GatewayProcess, b: GatewayProcess
) -> str:
    """A browser login started at b; ID-porten sends the browser back to the public URL (a).

    Returns the session id the browser holds."""
    http = back_office.http
    pid = back_office.population.person(documented.HOMEOWNER).pid
    urls = await browser_login(http, b.url + "/auth/login", pid)
    assert urls["callback"].startswith(a.url + "/auth/callback")
    (session_id,) = [c.value for c in http.cookie_jar if c.key == "minside_session"]
    return session_id


async def test_two_workers_share_sessions_logout_and_cached_reads_and_both_serve_stale(
    back_office: BackOffice, redis_namespace: RedisNamespace, database_url: str, tmp_path: Path
) -> None:
    http = back_office.http
    with two_gateways(
        back_office,
        redis_namespace,
        database_url,
        tmp_path,
        # Public 360's answers expire at once, so the next query asks it (and finds it down).
        MINSIDE_CACHE_TTL_S='{"p360.cases": 0, "p360.documents": 0, "p360.person": 0}',
        MINSIDE_P360_DEADLINE_S="1",
        MINSIDE_BREAKER_FAILURE_THRESHOLD="2",
    ) as started:
        a, b = started
        await asyncio.gather(a.ready(http), b.ready(http))

        # A login begun on b and finished on a; the session works on both.
        session_id = await login_on_b_finishing_on_a(back_office, a, b)
        viewer_query = "{ viewer { levelOfAssurance } }"
        for gateway in (b, a):
            answer = await graphql(back_office, gateway, viewer_query)
            assert (
                answer["data"] == {"viewer": {"levelOfAssurance": "SUBSTANTIAL"}}
                and "errors" not in answer
            ), gateway.name

        # Logout on b ends it on a too (even for someone who kept the cookie).
        async with http.post(
            b.url + "/auth/logout", headers={"Origin": a.url}, allow_redirects=False
        ) as response:
            # The end-session form page (the ID token goes by POST, not in a URL).
            assert response.status == 200, await response.text()
        async with browser() as kept:
            kept.cookie_jar.update_cookies({"minside_session": session_id}, response_url=URL(a.url))
            answer = await graphql(back_office, a, viewer_query, client=kept)
        assert answer["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

        # One read through a serves b: the same dashboard, and no system asked again.
        pid = back_office.population.person(documented.DECISION).pid
        first = await graphql(back_office, a, DASHBOARD, pid=pid)
        assert "errors" not in first, first["errors"]
        before = await all_calls(back_office)
        second = await graphql(back_office, b, DASHBOARD, pid=pid)
        assert "errors" not in second, second["errors"]
        after = await all_calls(back_office)
        for system in ("matrikkel", "fees", "visma"):
            assert after[system] == before[system], system
        assert second["data"]["viewer"]["properties"] == first["data"]["viewer"]["properties"]

        # Public 360 down: each worker serves its kept copy (kept by a) as STALE.
        await back_office.admin.fault("p360", operation="*", outage=True)
        for gateway in (a, b, a, b):
            served = await graphql(back_office, gateway, DASHBOARD, pid=pid)
            viewer = served["data"]["viewer"]
            assert viewer["cases"] == first["data"]["viewer"]["cases"], gateway.name
            assert statuses(viewer)["P360"] == "STALE", gateway.name
        for gateway in (a, b):
            samples = await metrics(http, gateway)
            stale = sum(
                value
                for name, value in samples.items()
                if name.startswith("minside_read_cache_reads_total{")
                and 'policy="p360.' in name
                and 'result="stale"' in name
            )
            assert stale >= 2, (gateway.name, stale)  # two dashboards on each
            assert samples['minside_backoffice_breaker_state{system="p360"}'] == 2, gateway.name

        assert await b.stop() == 0, b.output()
        assert await a.stop() == 0, a.output()


async def test_a_worker_killed_mid_delivery_its_record_is_delivered_once_by_the_other(
    back_office: BackOffice, redis_namespace: RedisNamespace, database_url: str, tmp_path: Path
) -> None:
    http = back_office.http
    population = back_office.population
    pid = population.person(documented.HOMEOWNER).pid
    (owned,) = population.properties_of(pid)
    (meter,) = population.meters(owned.property.matrikkelnummer)
    readings_before = len(meter.readings)
    with two_gateways(
        back_office,
        redis_namespace,
        database_url,
        tmp_path,
        MINSIDE_DELIVERY_LEASE_S=str(LEASE_S),
        MINSIDE_DELIVERY_BACKOFF_MAX_S="2",
        MINSIDE_FEES_DEADLINE_S="15",
        MINSIDE_SUBMISSION_WAIT_S="0",
    ) as started:
        a, b = started
        await asyncio.gather(a.ready(http), b.ready(http))
        # b stops (gracefully: exit 0), so the delivery below is certainly a's.
        assert await b.stop() == 0, b.output()
        await back_office.admin.fault("fees", operation="submitReading", latency_ms=LATENCY_MS)
        accepted = await graphql(
            back_office, a, SUBMIT_READING, {"input": reading_input(meter, "7")}, pid=pid
        )
        receipt = accepted["data"]["submitMeterReading"]
        assert receipt["status"] == "PENDING", receipt

        async def in_flight() -> bool:
            return (await back_office.admin.calls("fees")).get("submitReading", 0) >= 1

        await wait_until(in_flight, every_s=0.05)
        # b starts again and a is killed at once, while its call (3 s at the register) is
        # surely in flight; b then finds the record with an expired lease and delivers it.
        b = b.again("b-again")
        started.append(b)
        assert await a.stop(signal.SIGKILL) == -signal.SIGKILL
        await back_office.admin.clear_faults("fees")
        await b.ready(http)

        async def delivered() -> dict[str, Any] | None:
            answer = await graphql(back_office, b, SUBMISSIONS, pid=pid)
            (item,) = answer["data"]["viewer"]["submissions"]
            return item if item["status"] == "DELIVERED" else None

        item = await wait_until(delivered, within_s=60)
        assert item["receiptId"] == receipt["receiptId"]
        # The killed worker's call may still be running at the simulator: let it land.
        await asyncio.sleep(LATENCY_MS / 1000 + 0.5)
        assert (await back_office.admin.calls("fees"))["submitReading"] == 2  # a's, then b's
        readings = population.meter_by_number(meter.meter_number).readings
        assert len(readings) == readings_before + 1
        with psycopg.connect(database_url) as db:
            rows = db.execute("SELECT status, attempts FROM outbox").fetchall()
        assert rows == [("DELIVERED", 2)]

        # A graceful stop (SIGTERM) in the middle of a delivery hands the lease back at once:
        # the record is due again, not held until its lease expires, and no lease was lost.
        await back_office.admin.fault("fees", operation="submitReading", latency_ms=LATENCY_MS)
        meter = population.meter_by_number(meter.meter_number)
        second = await graphql(
            back_office, b, SUBMIT_READING, {"input": reading_input(meter, "3")}, pid=pid
        )
        assert second["data"]["submitMeterReading"]["status"] == "PENDING"

        async def second_in_flight() -> bool:
            return (await back_office.admin.calls("fees")).get("submitReading", 0) >= 3

        await wait_until(second_in_flight, every_s=0.05)
        assert await b.stop() == 0, b.output()
        with psycopg.connect(database_url) as db:
            handed_back = db.execute(
                "SELECT status, last_error, lost_leases, lease_token FROM outbox "
                "WHERE status <> 'DELIVERED'"
            ).fetchall()
        assert handed_back == [("PENDING", "interrupted: worker stopped", 0, None)]
