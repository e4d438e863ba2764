"""Overload without cascades, over loopback: shedding with 503, a bounded queue, the request
time budget, and /metrics. Each test runs its own stack with the overload settings it needs.

Nothing here asserts on elapsed time: the tests wait for states (a request executing, one
queued) and check status codes, typed errors, call counts and breaker states.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from gateway.admission import Admission
from kernel.settings import Settings
from minside.stack import RunningStack, running_stack

DASHBOARD = (Path(__file__).resolve().parents[2] / "bench" / "dashboard.graphql").read_text()
CASES = "{ viewer { cases(first: 5) { totalCount } } }"


@dataclass
class Overload:
    """A running stack and a plain HTTP session to it."""

    stack: RunningStack
    http: aiohttp.ClientSession

    @property
    def admission(self) -> Admission:
        admission: Admission = self.stack.gateway_app.state.admission
        return admission

    def breaker(self, system: str) -> Any:
        services = self.stack.gateway_app.state.gateway.shared()
        return services.connectors.resilience[system].snapshot()

    async def post(self, query: str, person: int = 1) -> tuple[int, dict[str, str], Any]:
        pid = self.stack.population.person(person).pid
        headers = {"Authorization": f"Bearer {self.stack.token(pid)}"}
        async with self.http.post(
            f"{self.stack.gateway_url}/graphql", json={"query": query}, headers=headers
        ) as response:
            return response.status, dict(response.headers), await response.json()

    async def fault(self, system: str, **fault: Any) -> None:
        async with self.http.post(
            f"{self.stack.urls[system]}/_admin/faults", json=fault
        ) as response:
            assert response.status in (200, 201, 204), await response.text()

    async def until(self, condition: Any, what: str) -> None:
        """Wait (a bounded number of short sleeps) until `condition()` holds."""
        for _ in range(1000):
            if condition():
                return
            await asyncio.sleep(0.01)
        raise AssertionError(f"never happened: {what}")


@asynccontextmanager
async def overload_stack(tmp_path: Path, **changes: Any) -> AsyncIterator[Overload]:
    settings = Settings(
        system_retries=0,
        breaker_failure_threshold=1,  # one counted failure would open it: none may be counted
        outbox_url=f"sqlite:///{tmp_path / 'outbox.sqlite3'}",
        **changes,
    )
    async with running_stack(settings) as stack, aiohttp.ClientSession() as http:
        yield Overload(stack, http)


async def test_past_the_cap_a_request_is_shed_at_once_with_503_and_retry_after(tmp_path):
    async with overload_stack(
        tmp_path, graphql_max_concurrency=1, graphql_queue_wait_s=0, overload_retry_after_s=3
    ) as gw:
        await gw.fault("p360", operation="*", latency_ms=1500)
        first = asyncio.create_task(gw.post(CASES))
        await gw.until(lambda: gw.admission.active == 1, "the first request executing")

        status, headers, body = await gw.post(CASES, person=2)

        assert status == 503
        assert headers["Retry-After"] == "3"
        assert body == {
            "errors": [
                {
                    "message": "Min side is very busy right now; try again shortly",
                    "extensions": {"code": "OVERLOADED"},
                }
            ]
        }
        status, _, body = await first
        assert status == 200
        assert "errors" not in body, body["errors"]
        assert body["data"]["viewer"]["cases"]["totalCount"] == 3
        assert gw.admission.shed == 1
        assert gw.breaker("p360").breaker_state == "closed"


async def test_a_request_that_waits_less_than_the_bound_is_served(tmp_path):
    async with overload_stack(tmp_path, graphql_max_concurrency=1, graphql_queue_wait_s=60) as gw:
        await gw.fault("p360", operation="*", latency_ms=500)
        first = asyncio.create_task(gw.post(CASES))
        await gw.until(lambda: gw.admission.active == 1, "the first request executing")
        second = asyncio.create_task(gw.post(CASES, person=2))
        await gw.until(lambda: gw.admission.queued == 1, "the second request queued")

        async with gw.http.get(f"{gw.stack.gateway_url}/metrics") as response:
            metrics = await response.text()
        assert "minside_graphql_queue_length 1.0" in metrics
        assert "minside_graphql_executing 1.0" in metrics

        for task in (first, second):
            status, _, body = await task
            assert status == 200
            assert "errors" not in body, body["errors"]
        assert gw.admission.shed == 0
        assert gw.admission.queued == 0 and gw.admission.active == 0


async def test_the_request_budget_serves_the_rest_and_nulls_the_slow_system(tmp_path):
    # P360 answers within its own deadline, but after the request's budget: its fields are
    # null with SOURCE_TIMEOUT, everything else is served, and its breaker saw nothing.
    # The budget leaves the other systems ample time even on a busy machine.
    async with overload_stack(tmp_path, graphql_request_budget_s=5.0, p360_deadline_s=60.0) as gw:
        await gw.fault("p360", operation="*", latency_ms=120_000)

        status, _, body = await gw.post(DASHBOARD)

        assert status == 200
        viewer = body["data"]["viewer"]
        assert {e["extensions"]["source"] for e in body["errors"]} == {"P360"}
        assert {e["extensions"]["code"] for e in body["errors"]} == {"SOURCE_TIMEOUT"}
        assert viewer["cases"] is None and viewer["name"] is None
        assert viewer["properties"]["nodes"][0]["feeBasis"]["total"]["amount"]
        assert viewer["invoices"] is not None
        snapshot = gw.breaker("p360")
        assert snapshot.breaker_state == "closed"
        assert snapshot.consecutive_failures == 0
        assert snapshot.last_failure_at is None


async def test_a_slot_wait_past_the_deadline_is_a_timeout_not_a_back_office_failure(tmp_path):
    # One P360 slot; two dashboards: one holds the slot past the other's whole deadline.
    # The holder answers with a second to spare; the waiter gets the slot with a second left
    # of its deadline and needs two.
    async with overload_stack(tmp_path, system_max_concurrency=1, p360_deadline_s=3.0) as gw:
        await gw.fault("p360", operation="*", latency_ms=2000)
        results = await asyncio.gather(gw.post(CASES), gw.post(CASES, person=2))

        codes = {
            error["extensions"]["code"]
            for _, _, body in results
            for error in body.get("errors", [])
        }
        assert codes == {"SOURCE_TIMEOUT"}  # the one that waited for the slot
        assert sum("errors" not in body for _, _, body in results) == 1
        assert gw.breaker("p360").breaker_state == "closed"
        assert gw.breaker("p360").consecutive_failures == 0


async def test_metrics_show_the_event_loop_lag_and_the_queue(tmp_path):
    async with (
        overload_stack(tmp_path) as gw,
        gw.http.get(f"{gw.stack.gateway_url}/metrics") as response,
    ):
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        text = await response.text()
    for name in (
        "minside_event_loop_lag_seconds",
        "minside_event_loop_lag_max_seconds",
        "minside_graphql_queue_length 0.0",
        "minside_graphql_executing 0.0",
        "minside_graphql_execution_limit 256.0",
        "minside_graphql_shed_total 0.0",
        'minside_backoffice_calls_in_flight{system="p360"} 0.0',
        'minside_backoffice_calls_waiting{system="matrikkel"} 0.0',
    ):
        assert name in text, name
