"""/metrics over the real stack: GraphQL operations by name and outcome, back-office calls and
their latency per system and operation, read-cache hits and stale serves, the outbox's depth,
breaker states; /metrics on a port of its own; the request id of every response."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from kernel.logs import RequestContextFilter, json_formatter
from kernel.servers import free_port, running_servers
from minside.stack import RunningStack
from simulators.population import documented
from tests.graph.conftest import GRAPH_SETTINGS, GraphClient, own_gateway
from tests.graph.submission.helpers import SUBMIT_READING, homeowner_meter, reading_input, receipt
from tests.graph.test_defer import APOLLO_ACCEPT, DEFERRED_DASHBOARD, post

DASHBOARD = (Path(__file__).parents[2] / "bench" / "dashboard.graphql").read_text()
INVOICES = "query Invoices { viewer { invoices { totalCount } } }"


class Scrape:
    """One /metrics text, read by sample name and labels."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.samples = [
            sample for family in text_string_to_metric_families(text) for sample in family.samples
        ]

    def value(self, name: str, **labels: str) -> float | None:
        """The sample's value (None if there is none): labels must match those given."""
        for sample in self.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
        return None

    def total(self, name: str, **labels: str) -> float:
        """The sum of every matching sample."""
        return sum(
            float(sample.value)
            for sample in self.samples
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items())
        )

    def label_values(self, name: str, label: str) -> set[str]:
        return {s.labels[label] for s in self.samples if s.name == name and label in s.labels}


async def scrape(graph: GraphClient, url: str | None = None) -> Scrape:
    async with graph.http.get(f"{url or graph.stack.gateway_url}/metrics") as response:
        assert response.status == 200
        return Scrape(await response.text())


async def test_a_dashboard_is_counted_with_its_calls_and_the_second_hits_the_cache(graph):
    pid = graph.pid(1)
    for _ in range(2):
        result = await graph.query(DASHBOARD, pid=pid)
        assert "errors" not in result, result["errors"]
    metrics = await scrape(graph)

    assert metrics.value("minside_graphql_requests_total", operation="Dashboard", outcome="ok") == 2
    assert (
        metrics.value("minside_graphql_request_duration_seconds_count", operation="Dashboard") == 2
    )
    # Every system was asked, each operation counted with its latency.
    calls = "minside_backoffice_calls_total"
    assert metrics.label_values(calls, "system") == {"matrikkel", "fees", "p360", "visma"}
    assert metrics.value(calls, system="p360", operation="GetCases", outcome="ok") == 1
    assert (
        metrics.value(
            "minside_backoffice_call_duration_seconds_count", system="p360", operation="GetCases"
        )
        == 1
    )
    assert metrics.total(calls) == metrics.total("minside_backoffice_call_duration_seconds_count")
    # The second dashboard came from the read cache.
    reads = "minside_read_cache_reads_total"
    assert metrics.value(reads, policy="p360.cases", result="miss") == 1
    assert metrics.value(reads, policy="p360.cases", result="hit") == 1
    assert metrics.total(reads, result="stale") == 0
    # Nothing waits in the outbox; every breaker is closed; the old gauges are still there.
    assert metrics.value("minside_outbox_stats_up") == 1
    assert metrics.value("minside_outbox_pending") == 0
    assert metrics.value("minside_outbox_oldest_age_seconds") == 0
    for system in ("matrikkel", "fees", "p360", "visma"):
        assert metrics.value("minside_backoffice_breaker_state", system=system) == 0
    assert metrics.value("minside_event_loop_lag_seconds") is not None
    assert metrics.value("minside_graphql_shed_total") == 0


async def test_rejected_requests_are_counted_without_executing(graph):
    async with graph.http.post(
        f"{graph.stack.gateway_url}/graphql",
        json={"query": "{ viewer { name "},  # does not parse
    ) as response:
        assert response.status == 200
        assert (await response.json())["errors"]
    async with graph.http.post(
        f"{graph.stack.gateway_url}/graphql",
        json={"query": "query Bad { noSuchField }"},  # does not validate
    ) as response:
        assert (await response.json())["errors"]
    async with graph.http.post(
        f"{graph.stack.gateway_url}/graphql",
        json={"query": "query Who { viewer { name { fullName } } }"},
        headers={"Authorization": "Bearer not-a-token"},  # refused before GraphQL runs
    ) as response:
        assert response.status == 401
    anonymous = await graph.query("query Public { __typename }")
    assert anonymous["data"] == {"__typename": "Query"}

    metrics = await scrape(graph)
    requests = "minside_graphql_requests_total"
    assert metrics.value(requests, operation="anonymous", outcome="rejected") == 1
    assert metrics.value(requests, operation="Bad", outcome="rejected") == 1
    assert metrics.value(requests, operation="unknown", outcome="rejected") == 1
    assert metrics.value(requests, operation="Public", outcome="ok") == 1
    assert metrics.total(requests) == 4  # the scrape itself and no page view count
    assert metrics.total("minside_backoffice_calls_total") == 0


@pytest.mark.gateway(breaker_failure_threshold=1, cache="off")
async def test_an_outage_shows_as_failed_calls_and_an_open_breaker(graph):
    await graph.fault("visma", operation="*", outage=True)
    result = await graph.query(INVOICES, pid=graph.pid(4))
    assert {e["extensions"]["code"] for e in result["errors"]} == {"SOURCE_UNAVAILABLE"}

    metrics = await scrape(graph)
    assert metrics.value("minside_backoffice_breaker_state", system="visma") == 2
    assert metrics.value("minside_backoffice_breaker_state", system="p360") == 0
    assert (
        metrics.total("minside_backoffice_calls_total", system="visma", outcome="SystemUnavailable")
        >= 1
    )
    requests = "minside_graphql_requests_total"
    assert metrics.value(requests, operation="Invoices", outcome="errors") == 1


# Public 360's reads expire at once, so the next query asks it; the copies are kept.
@pytest.mark.gateway(cache_ttl_s={"p360.cases": 0, "p360.documents": 0, "p360.person": 0})
async def test_a_kept_copy_served_after_a_failure_counts_as_stale(graph):
    pid = graph.pid(documented.DECISION)
    assert "errors" not in await graph.query(DASHBOARD, pid=pid)
    await graph.fault("p360", operation="*", outage=True)
    served = await graph.query(DASHBOARD, pid=pid)
    assert "errors" not in served
    metrics = await scrape(graph)
    assert metrics.value("minside_read_cache_reads_total", policy="p360.cases", result="stale") == 1
    assert (
        metrics.total("minside_backoffice_calls_total", system="p360", outcome="SystemUnavailable")
        >= 1
    )


async def test_a_write_waiting_for_its_system_shows_in_the_outbox_gauges(graph):
    await graph.fault("fees", operation="submitReading", outage=True)
    variables = reading_input(homeowner_meter(graph), "7")
    answer = receipt(
        await graph.query(
            SUBMIT_READING, {"input": variables}, pid=graph.pid(documented.HOMEOWNER)
        ),
        "submitMeterReading",
    )
    assert answer["status"] == "PENDING"
    metrics = await scrape(graph)
    assert metrics.value("minside_outbox_stats_up") == 1
    waiting = metrics.value("minside_outbox_pending")
    assert waiting is not None
    assert waiting + (metrics.value("minside_outbox_delivering") or 0) == 1
    assert (metrics.value("minside_outbox_oldest_age_seconds") or 0) > 0


async def test_every_response_carries_a_request_id(graph):
    url = f"{graph.stack.gateway_url}/graphql"
    body = {"query": "{ __typename }"}
    async with graph.http.post(url, json=body) as response:
        generated = response.headers["X-Request-Id"]
    assert len(generated) == 32
    async with graph.http.post(
        url, json=body, headers={"X-Request-Id": "partner-1234"}
    ) as response:
        assert response.headers["X-Request-Id"] == "partner-1234"
    async with graph.http.post(url, json=body, headers={"X-Request-Id": "a\tb"}) as response:
        assert response.headers["X-Request-Id"] not in ("a\tb", generated)
    async with graph.http.get(f"{graph.stack.gateway_url}/healthz") as response:
        assert response.headers["X-Request-Id"]


@asynccontextmanager
async def gateway_with_metrics_port(
    back_office: RunningStack, tmp_path: Path, port: int
) -> AsyncIterator[GraphClient]:
    overrides: dict[str, Any] = {
        **GRAPH_SETTINGS,
        "outbox_url": f"sqlite:///{tmp_path / 'outbox.sqlite3'}",
        "metrics_port": port,
    }
    stack, spec = await own_gateway(back_office, overrides)
    async with aiohttp.ClientSession() as http, running_servers([spec]):
        yield GraphClient(stack, http)


async def test_metrics_on_their_own_port_and_not_on_the_public_one(back_office, tmp_path):
    port = free_port()
    metrics_url = f"http://127.0.0.1:{port}"
    async with gateway_with_metrics_port(back_office, tmp_path, port) as graph:
        assert (await graph.query("query Ping { __typename }"))["data"]
        async with graph.http.get(f"{graph.stack.gateway_url}/metrics") as response:
            assert response.status == 404
        metrics = await scrape(graph, metrics_url)
        assert metrics.value("minside_graphql_requests_total", operation="Ping", outcome="ok") == 1
        async with graph.http.get(f"{metrics_url}/graphql") as response:
            assert response.status == 404  # only /metrics there
    # The lifespan's end stopped it.
    async with aiohttp.ClientSession() as http:
        with pytest.raises(aiohttp.ClientConnectionError):
            await http.get(f"{metrics_url}/metrics")


async def test_a_deferred_response_counts_once_with_its_deferred_errors(graph):
    _, parts = await post(graph, DEFERRED_DASHBOARD, accept=APOLLO_ACCEPT, pid=graph.pid(1))
    assert len(parts) > 1  # multipart
    await graph.fault("matrikkel", operation="*", outage=True)
    _, parts = await post(graph, DEFERRED_DASHBOARD, accept=APOLLO_ACCEPT, pid=graph.pid(2))
    assert "errors" not in parts[0]  # only a deferred part failed

    metrics = await scrape(graph)
    requests = "minside_graphql_requests_total"
    assert metrics.value(requests, operation="Dashboard", outcome="ok") == 1
    assert metrics.value(requests, operation="Dashboard", outcome="errors") == 1
    assert (
        metrics.value("minside_graphql_request_duration_seconds_count", operation="Dashboard") == 2
    )


async def test_a_requests_log_lines_carry_its_request_id(graph):
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(json_formatter("minside-gateway"))
    handler.addFilter(RequestContextFilter())
    logger = logging.getLogger("minside.graphql")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        async with graph.http.post(
            f"{graph.stack.gateway_url}/graphql",
            json={"query": "query Typo { viewr { name } }"},
            headers={"X-Request-Id": "support-case-4711"},
        ) as response:
            assert (await response.json())["errors"]
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    (line,) = [json.loads(text) for text in out.getvalue().splitlines()]
    assert line["request_id"] == "support-case-4711"
    assert line["level"] == "INFO" and "GRAPHQL_VALIDATION" in line["message"]
    assert "exc_info" not in line
