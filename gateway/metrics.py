"""The gateway's Prometheus metrics at ``GET /metrics``: GraphQL operations, back-office calls,
the read cache, the outbox, load, queue and event-loop lag.

One :class:`GatewayMetrics` per app, with its own registry (not prometheus-client's global
one), so that several apps in one process (tests, the local stack) never collide and each
``/metrics`` shows only its own worker. Gauges read live values when scraped
(``set_function``), so the hot path updates nothing for them.

The event-loop lag (:class:`LoopLagMonitor`) is how late a timer fires: the time the loop was
busy running other callbacks (CPU-bound work, a blocking call) before it got to this one.
Growing lag with a short queue says the worker is CPU-bound; a long queue with little lag says
it is waiting on back-office systems.

Counters and histograms the hot path updates (cheaply: label children are looked up once):

- GraphQL operations by name and outcome (:meth:`GatewayMetrics.on_operation`, called by
  ``gateway.observe``); client-chosen names are bounded by :class:`OperationLabels`;
- back-office calls by system, operation and outcome (:meth:`GatewayMetrics.on_call`, the
  :class:`connectors.observe.CallObserver` of every ``Resilience``);
- read-cache hits, misses and stale serves by cache policy
  (:meth:`GatewayMetrics.on_cache_reads`, the :class:`resolvers.observe.CacheObserver`);
- access log entries written and dropped (the
  :class:`resolvers.access_recorder.AccessObserver`);
- operations refused by a rate limit, by scope, and requests let through unchecked
  (:meth:`GatewayMetrics.on_rate_limited`, the :class:`gateway.rate_limit.RateLimitObserver`).

Values read when scraped: the breakers' states, and the outbox's depth and oldest age (read
from the store in the async endpoint before the text is generated, with a short timeout).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Final

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from connectors.resilience import Resilience
from gateway.admission import Admission
from kernel.servers import ServerSpec, running_servers
from stores import Outbox, OutboxStats

__all__ = [
    "BREAKER_STATES",
    "GatewayMetrics",
    "LoopLagMonitor",
    "OperationLabels",
    "metrics_app",
    "serving_metrics",
]

log = logging.getLogger(__name__)

#: The breaker gauge's values.
BREAKER_STATES: Final = {"closed": 0, "half-open": 1, "open": 2}

#: How long a scrape waits for the outbox's counts before showing the last ones.
OUTBOX_STATS_TIMEOUT_S: Final = 1.0

# Seconds: from a warm cached dashboard (a few ms) to a request's whole budget.
GRAPHQL_BUCKETS: Final = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# Back-office calls: a fast lookup to a deadline.
CALL_BUCKETS: Final = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0)

ANONYMOUS: Final = "anonymous"
OTHER: Final = "other"
UNKNOWN: Final = "unknown"
_OPERATION_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
MAX_OPERATION_NAMES: Final = 200


class OperationLabels:
    """The ``operation`` label of a client-chosen operation name, with bounded cardinality.

    No name: ``anonymous``. A name that is not a plain GraphQL name of at most 64 characters,
    or a new name after ``max_names`` distinct ones were seen: ``other``. Otherwise the name.
    """

    def __init__(self, max_names: int = MAX_OPERATION_NAMES) -> None:
        self.max_names = max_names
        self._seen: set[str] = set()

    def __call__(self, name: str | None) -> str:
        if not name:
            return ANONYMOUS
        if name in self._seen:
            return name
        if len(self._seen) >= self.max_names or not _OPERATION_NAME.fullmatch(name):
            return OTHER
        self._seen.add(name)
        return name


# Often enough to see a burst, rarely enough to cost nothing (a timer every quarter second).
LAG_INTERVAL_S = 0.25


class LoopLagMonitor:
    """Measures the event loop's lag with a timer that should fire every ``interval_s``."""

    def __init__(self, interval_s: float = LAG_INTERVAL_S) -> None:
        if interval_s <= 0:
            raise ValueError("interval_s must be positive")
        self.interval_s = interval_s
        self.lag_s = 0.0  # lag of the latest tick
        self.max_lag_s = 0.0  # the worst tick since the last scrape (see :meth:`take_max`)

    def take_max(self) -> float:
        """The worst lag since the previous call, which starts a new window."""
        worst, self.max_lag_s = max(self.max_lag_s, self.lag_s), self.lag_s
        return worst

    async def run(self) -> None:
        """Tick until cancelled."""
        loop = asyncio.get_running_loop()
        while True:
            expected = loop.time() + self.interval_s
            await asyncio.sleep(self.interval_s)
            self.lag_s = max(0.0, loop.time() - expected)
            self.max_lag_s = max(self.max_lag_s, self.lag_s)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Tick in a background task while the block runs (the app's lifespan)."""
        task = asyncio.create_task(self.run(), name="loop-lag")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


class GatewayMetrics:
    """The registry behind ``/metrics`` and the gauges of admission, loop lag and back-offices.

    ``systems`` gives the running lifespan's :class:`Resilience` per back-office system (empty
    outside it), ``outbox`` its outbox (None outside it). Other modules add their own metrics
    to :attr:`registry`.
    """

    def __init__(
        self,
        admission: Admission,
        lag: LoopLagMonitor,
        systems: Callable[[], Mapping[str, Resilience]],
        outbox: Callable[[], Outbox | None] = lambda: None,
    ) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.admission = admission
        self.lag = lag
        Gauge(
            "minside_graphql_executing",
            "GraphQL requests executing now (admitted by admission control).",
            registry=self.registry,
        ).set_function(lambda: admission.active)
        Gauge(
            "minside_graphql_queue_length",
            "GraphQL requests waiting for an execution slot now.",
            registry=self.registry,
        ).set_function(lambda: admission.queued)
        Gauge(
            "minside_graphql_execution_limit",
            "GraphQL requests executed at once at most (per worker).",
            registry=self.registry,
        ).set(admission.limit)
        Gauge(
            "minside_event_loop_lag_seconds",
            "How late the event loop ran a timer, latest tick.",
            registry=self.registry,
        ).set_function(lambda: lag.lag_s)
        Gauge(
            "minside_event_loop_lag_max_seconds",
            "How late the event loop ran a timer, worst tick since the previous scrape.",
            registry=self.registry,
        ).set_function(lag.take_max)
        self.registry.register(_LiveCounts(admission, systems))
        self.operation_label = OperationLabels()
        self._operations = Counter(
            "minside_graphql_requests",
            "GraphQL requests by operation name and outcome: ok, errors (some fields failed), "
            "rejected (not parsed, not valid, not authenticated: nothing executed), "
            "overloaded (503, nothing executed), rate_limited (429, nothing executed), failed "
            "(the gateway failed the request).",
            ["operation", "outcome"],
            registry=self.registry,
        )
        self._operation_seconds = Histogram(
            "minside_graphql_request_duration_seconds",
            "Time from a GraphQL request's arrival to its response's last byte.",
            ["operation"],
            buckets=GRAPHQL_BUCKETS,
            registry=self.registry,
        )
        self._calls = Counter(
            "minside_backoffice_calls",
            "Back-office calls (retries included) by system, operation and outcome: ok or "
            "the connector error's class (SystemTimeout, SystemUnavailable, CircuitOpen, ...).",
            ["system", "operation", "outcome"],
            registry=self.registry,
        )
        self._call_seconds = Histogram(
            "minside_backoffice_call_duration_seconds",
            "Time of a back-office call (retries included) by system and operation.",
            ["system", "operation"],
            buckets=CALL_BUCKETS,
            registry=self.registry,
        )
        self._cache_reads = Counter(
            "minside_read_cache_reads",
            "Keys read through the back-office read cache by cache policy and result: hit "
            "(fresh copy), miss (asked the back-office) or stale (kept copy after a failure).",
            ["policy", "result"],
            registry=self.registry,
        )
        self._access_written = Counter(
            "minside_access_log_written",
            "Citizen's access log entries written to the store (one per request and kind).",
            registry=self.registry,
        )
        self._access_dropped = Counter(
            "minside_access_log_dropped",
            "Citizen's access log entries dropped, by reason: queue_full (the writer is "
            "behind), store_failed (the store refused a batch), shutdown (not written in time).",
            ["reason"],
            registry=self.registry,
        )
        # Rate limits (gateway.rate_limit).
        self._rate_limited = Counter(
            "minside_rate_limited",
            "GraphQL operations refused with 429 RATE_LIMITED, by the budget that was spent: "
            "viewer, client or anonymous (per client address).",
            ["scope"],
            registry=self.registry,
        )
        self._rate_limit_unchecked = Counter(
            "minside_rate_limit_unchecked",
            "GraphQL requests let through without a rate-limit check because its store (Redis) "
            "failed, was too slow or is skipped after a failure.",
            registry=self.registry,
        )
        self.outbox_values = _OutboxValues()
        self.outbox = outbox
        self.registry.register(self.outbox_values)
        # Children looked up once per label set: the hot path then only increments.
        self._call_children: dict[tuple[str, str, str], tuple[Counter, Histogram]] = {}
        self._cache_children: dict[tuple[str, str], Counter] = {}

    # --- told by the layers below (hot path) ---------------------------------------------

    def on_operation(self, operation: str, outcome: str, seconds: float) -> None:
        """One GraphQL request ended (``operation``: already a bounded label)."""
        self._operations.labels(operation, outcome).inc()
        self._operation_seconds.labels(operation).observe(seconds)

    def on_call(self, system: str, operation: str, outcome: str, seconds: float) -> None:
        """:class:`connectors.observe.CallObserver`: one back-office call ended."""
        key = (system, operation, outcome)
        children = self._call_children.get(key)
        if children is None:
            children = self._call_children[key] = (
                self._calls.labels(system, operation, outcome),
                self._call_seconds.labels(system, operation),
            )
        count, seconds_of = children
        count.inc()
        seconds_of.observe(seconds)

    def on_rate_limited(self, scope: str) -> None:
        """:class:`gateway.rate_limit.RateLimitObserver`: an operation was refused (429)."""
        self._rate_limited.labels(scope).inc()

    def on_rate_limit_unchecked(self) -> None:
        """:class:`gateway.rate_limit.RateLimitObserver`: the store could not count."""
        self._rate_limit_unchecked.inc()

    def on_cache_reads(self, policy: str, hits: int, misses: int, stale: int) -> None:
        """:class:`resolvers.observe.CacheObserver`: one loader batch read the cache."""
        for result, count in (("hit", hits), ("miss", misses), ("stale", stale)):
            if count:
                child = self._cache_children.get((policy, result))
                if child is None:
                    child = self._cache_children[policy, result] = self._cache_reads.labels(
                        policy, result
                    )
                child.inc(count)

    def on_access_log_written(self, count: int) -> None:
        """:class:`resolvers.access_recorder.AccessObserver`: a batch was written."""
        self._access_written.inc(count)

    def on_access_log_dropped(self, count: int, reason: str) -> None:
        """:class:`resolvers.access_recorder.AccessObserver`: entries were dropped."""
        self._access_dropped.labels(reason).inc(count)

    # --- /metrics ------------------------------------------------------------------------

    async def refresh_outbox(self) -> None:
        """Read the outbox's counts for the next scrape (the last ones stay if it fails)."""
        outbox = self.outbox()
        if outbox is None:
            return
        try:
            async with asyncio.timeout(OUTBOX_STATS_TIMEOUT_S):
                stats = await outbox.stats()
        except Exception as exc:  # any store failure: shown as a gauge
            log.warning("outbox stats unavailable for /metrics (%s)", type(exc).__name__)
            self.outbox_values.up = False
            return
        self.outbox_values.update(stats)

    async def endpoint(self, request: Request) -> Response:
        """``GET /metrics`` in Prometheus' text format."""
        await self.refresh_outbox()
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)


def metrics_app(metrics: GatewayMetrics, routes: Sequence[BaseRoute] = ()) -> Starlette:
    """An app that serves ``GET /metrics`` (for ``MINSIDE_METRICS_PORT``), and ``routes``
    (the internal ``/readyz`` with its details)."""
    return Starlette(routes=[Route("/metrics", metrics.endpoint, methods=["GET"]), *routes])


@contextlib.asynccontextmanager
async def serving_metrics(
    metrics: GatewayMetrics, host: str, port: int | None, routes: Sequence[BaseRoute] = ()
) -> AsyncIterator[None]:
    """``/metrics`` (and ``routes``) on a port of its own while the block runs (nothing when
    ``port`` is None)."""
    if port is None:
        yield
        return
    app = metrics_app(metrics, routes)
    async with running_servers([ServerSpec("metrics", app, host, port)]):
        yield


class _OutboxValues(Collector):
    """The outbox's counts as of the last refresh, and whether that refresh worked."""

    def __init__(self) -> None:
        self.pending = 0
        self.delivering = 0
        self.failed = 0
        self.oldest_waiting_at: datetime | None = None
        self.up = True
        self.known = False

    def update(self, stats: OutboxStats) -> None:
        self.pending = stats.pending
        self.delivering = stats.delivering
        self.failed = stats.failed
        self.oldest_waiting_at = stats.oldest_waiting_at
        self.up = True
        self.known = True

    def collect(self) -> Iterable[Metric]:
        if not self.known and self.up:
            return  # outside the lifespan (no outbox yet)
        yield GaugeMetricFamily(
            "minside_outbox_stats_up",
            "1 if the outbox's counts below were read at this scrape, 0 if the store failed "
            "(the values are then the last ones read).",
            value=1 if self.up else 0,
        )
        yield GaugeMetricFamily(
            "minside_outbox_pending",
            "Citizen writes accepted and waiting for delivery to their back-office system.",
            value=self.pending,
        )
        yield GaugeMetricFamily(
            "minside_outbox_delivering",
            "Citizen writes being delivered now (leased by a delivery worker).",
            value=self.delivering,
        )
        yield GaugeMetricFamily(
            "minside_outbox_failed",
            "Citizen writes parked FAILED: their delivery never finished (the worker died each "
            "time); each needs an operator.",
            value=self.failed,
        )
        age = 0.0
        if self.oldest_waiting_at is not None:
            age = max(0.0, time.time() - self.oldest_waiting_at.timestamp())
        yield GaugeMetricFamily(
            "minside_outbox_oldest_age_seconds",
            "How long the oldest write not yet delivered has waited (0 when none waits).",
            value=age,
        )


class _LiveCounts(Collector):
    """Values read when scraped: requests shed, and each back-office system's slots."""

    def __init__(
        self, admission: Admission, systems: Callable[[], Mapping[str, Resilience]]
    ) -> None:
        self.admission = admission
        self.systems = systems

    def collect(self) -> Iterable[Metric]:
        yield CounterMetricFamily(
            "minside_graphql_shed",
            "GraphQL requests answered 503 OVERLOADED because the worker was saturated.",
            value=self.admission.shed,
        )
        in_flight = GaugeMetricFamily(
            "minside_backoffice_calls_in_flight",
            "Back-office calls holding one of the system's concurrency slots.",
            labels=["system"],
        )
        waiting = GaugeMetricFamily(
            "minside_backoffice_calls_waiting",
            "Back-office calls waiting for one of the system's concurrency slots.",
            labels=["system"],
        )
        breaker = GaugeMetricFamily(
            "minside_backoffice_breaker_state",
            "Circuit breaker of each back-office system: 0 closed, 1 half-open, 2 open.",
            labels=["system"],
        )
        for system, resilience in self.systems().items():
            in_flight.add_metric([system], resilience.in_flight)
            waiting.add_metric([system], resilience.waiting)
            breaker.add_metric([system], BREAKER_STATES[resilience.breaker_state])
        yield in_flight
        yield waiting
        yield breaker
