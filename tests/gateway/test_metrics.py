"""gateway.metrics without a server: bounded operation labels, back-office calls told by
Resilience (outcomes, latency, breaker states), read-cache results, the outbox's gauges."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client.exposition import generate_latest
from prometheus_client.parser import text_string_to_metric_families

import gateway.metrics
from connectors.errors import NotFound, SystemUnavailable
from connectors.resilience import Resilience, ResiliencePolicy
from gateway.admission import Admission, AdmissionControl
from gateway.metrics import GatewayMetrics, LoopLagMonitor, OperationLabels
from gateway.observe import outcome_of_request
from schema.observe import OperationRecord, current_operation
from stores import OutboxStats


def samples(metrics: GatewayMetrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = generate_latest(metrics.registry).decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): float(s.value)
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(metrics: GatewayMetrics, name: str, **labels: str) -> float | None:
    return samples(metrics).get((name, tuple(sorted(labels.items()))))


def new_metrics(systems: dict[str, Resilience] | None = None, outbox=None) -> GatewayMetrics:
    return GatewayMetrics(
        Admission(4, max_wait_s=1, max_queued=4),
        LoopLagMonitor(),
        lambda: systems or {},
        lambda: outbox,
    )


def test_operation_labels_are_bounded() -> None:
    labels = OperationLabels(max_names=3)
    assert labels(None) == labels("") == "anonymous"
    assert labels("Dashboard") == "Dashboard"
    assert labels("has space") == labels("1starts_with_digit") == labels("ø") == "other"
    assert labels("x" * 64) == "x" * 64
    assert labels("y" * 65) == "other"
    assert labels("Second") == "Second"
    assert labels("Third") == "other"  # a fourth distinct name: past the bound
    assert labels("Dashboard") == "Dashboard"  # names seen before stay


def test_the_default_bound_is_two_hundred_names() -> None:
    labels = OperationLabels()
    names = [labels(f"Op{i}") for i in range(250)]
    assert len(set(names)) == 201 and names[-1] == "other"


@pytest.mark.parametrize(
    ("record", "status", "outcome"),
    [
        (OperationRecord(outcome="ok", named=True), 200, "ok"),
        (OperationRecord(outcome="errors", named=True), 200, "errors"),
        (OperationRecord(outcome="overloaded"), 503, "overloaded"),
        (OperationRecord(), 401, "rejected"),
        (OperationRecord(), 413, "rejected"),
        (OperationRecord(), 500, "failed"),
        (OperationRecord(), None, "failed"),
        (OperationRecord(), 200, None),  # the GraphiQL page
    ],
)
def test_outcome_of_a_request(record: OperationRecord, status: int | None, outcome: str) -> None:
    assert outcome_of_request(record, status) == outcome


async def test_resilience_tells_every_call_with_its_outcome() -> None:
    metrics = new_metrics()
    resilience = Resilience("p360", ResiliencePolicy(retries=0), observer=metrics)

    async def ok() -> int:
        return 1

    async def down() -> int:
        raise SystemUnavailable("down")

    async def missing() -> int:
        raise NotFound("no such case")

    assert await resilience.call("GetCases", ok, idempotent=True) == 1
    assert await resilience.call("GetCases", ok, idempotent=True) == 1
    with pytest.raises(SystemUnavailable):
        await resilience.call("GetCases", down, idempotent=True)
    with pytest.raises(NotFound):
        await resilience.call("GetCase", missing, idempotent=True)

    calls = "minside_backoffice_calls_total"
    assert value(metrics, calls, system="p360", operation="GetCases", outcome="ok") == 2
    assert (
        value(metrics, calls, system="p360", operation="GetCases", outcome="SystemUnavailable") == 1
    )
    assert value(metrics, calls, system="p360", operation="GetCase", outcome="NotFound") == 1
    count = "minside_backoffice_call_duration_seconds_count"
    assert value(metrics, count, system="p360", operation="GetCases") == 3


async def test_the_breaker_gauge_reads_each_system_live() -> None:
    now = [0.0]
    policy = ResiliencePolicy(retries=0, breaker_failure_threshold=1, breaker_reset_s=10)
    visma = Resilience("visma", policy, clock=lambda: now[0])
    fees = Resilience("fees", policy, clock=lambda: now[0])
    metrics = new_metrics({"visma": visma, "fees": fees})
    state = "minside_backoffice_breaker_state"
    assert value(metrics, state, system="visma") == 0

    async def down() -> None:
        raise SystemUnavailable("down")

    with pytest.raises(SystemUnavailable):
        await visma.call("searchInvoices", down, idempotent=True)
    assert value(metrics, state, system="visma") == 2  # open
    assert value(metrics, state, system="fees") == 0
    now[0] = 11.0
    assert value(metrics, state, system="visma") == 1  # half-open


def test_cache_reads_count_per_policy_and_result() -> None:
    metrics = new_metrics()
    metrics.on_cache_reads("p360.cases", hits=2, misses=1, stale=0)
    metrics.on_cache_reads("p360.cases", hits=1, misses=0, stale=3)
    reads = "minside_read_cache_reads_total"
    assert value(metrics, reads, policy="p360.cases", result="hit") == 3
    assert value(metrics, reads, policy="p360.cases", result="miss") == 1
    assert value(metrics, reads, policy="p360.cases", result="stale") == 3


def test_operations_count_by_name_and_outcome() -> None:
    metrics = new_metrics()
    metrics.on_operation("Dashboard", "ok", 0.02)
    metrics.on_operation("Dashboard", "errors", 0.5)
    assert (
        value(metrics, "minside_graphql_requests_total", operation="Dashboard", outcome="ok") == 1
    )
    assert (
        value(metrics, "minside_graphql_request_duration_seconds_count", operation="Dashboard") == 2
    )


class FakeOutbox:
    def __init__(self) -> None:
        self.stats_result: OutboxStats | Exception = OutboxStats(0, 0, None)
        self.delay_s = 0.0

    async def stats(self) -> OutboxStats:
        await asyncio.sleep(self.delay_s)
        if isinstance(self.stats_result, Exception):
            raise self.stats_result
        return self.stats_result


async def test_outbox_gauges_show_the_last_values_when_the_store_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    outbox = FakeOutbox()
    metrics = new_metrics(outbox=outbox)
    assert value(metrics, "minside_outbox_pending") is None  # not read yet: not shown
    waiting_since = datetime.now(UTC) - timedelta(minutes=5)
    outbox.stats_result = OutboxStats(3, 1, waiting_since, failed=2)
    await metrics.refresh_outbox()
    assert value(metrics, "minside_outbox_stats_up") == 1
    assert value(metrics, "minside_outbox_pending") == 3
    assert value(metrics, "minside_outbox_delivering") == 1
    assert value(metrics, "minside_outbox_failed") == 2
    age = value(metrics, "minside_outbox_oldest_age_seconds")
    assert age is not None and 299 < age < 330

    outbox.stats_result = RuntimeError("database is locked")
    await metrics.refresh_outbox()
    assert value(metrics, "minside_outbox_stats_up") == 0
    assert value(metrics, "minside_outbox_pending") == 3  # the last values

    monkeypatch.setattr(gateway.metrics, "OUTBOX_STATS_TIMEOUT_S", 0.01)
    outbox.stats_result = OutboxStats(0, 0, None)
    outbox.delay_s = 1.0
    await metrics.refresh_outbox()  # too slow: given up, not waited for
    assert value(metrics, "minside_outbox_stats_up") == 0
    outbox.delay_s = 0.0
    await metrics.refresh_outbox()
    assert value(metrics, "minside_outbox_stats_up") == 1
    assert value(metrics, "minside_outbox_oldest_age_seconds") == 0


async def test_admission_control_marks_a_shed_request_overloaded() -> None:
    admission = Admission(1, max_wait_s=0, max_queued=0)
    assert await admission.acquire()  # the one slot is taken

    async def app(scope, receive, send) -> None:  # never reached
        raise AssertionError("executed")

    sent: list[dict] = []

    async def send(message) -> None:
        sent.append(message)

    async def receive() -> dict:
        return {"type": "http.request", "body": b""}

    record = OperationRecord()
    token = current_operation.set(record)
    try:
        control = AdmissionControl(app, admission, budget_s=5, retry_after_s=1)
        await control({"type": "http", "method": "POST", "headers": []}, receive, send)
    finally:
        current_operation.reset(token)
    assert sent[0]["status"] == 503
    assert outcome_of_request(record, 503) == "overloaded"
