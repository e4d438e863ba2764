"""The gateway's Prometheus metrics at ``GET /metrics``: load, queue and event-loop lag.

One :class:`GatewayMetrics` per app, with its own registry (not prometheus-client's global
one), so that several apps in one process (tests, the local stack) never collide and each
``/metrics`` shows only its own worker. Gauges read live values when scraped
(``set_function``), so the hot path updates nothing for them.

The event-loop lag (:class:`LoopLagMonitor`) is how late a timer fires: the time the loop was
busy running other callbacks (CPU-bound work, a blocking call) before it got to this one.
Growing lag with a short queue says the worker is CPU-bound; a long queue with little lag says
it is waiting on back-office systems.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterable, Mapping

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response

from connectors.resilience import Resilience
from gateway.admission import Admission

__all__ = ["GatewayMetrics", "LoopLagMonitor"]

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
    outside it). Other modules add their own metrics to :attr:`registry`.
    """

    def __init__(
        self,
        admission: Admission,
        lag: LoopLagMonitor,
        systems: Callable[[], Mapping[str, Resilience]],
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

    async def endpoint(self, request: Request) -> Response:
        """``GET /metrics`` in Prometheus' text format."""
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)


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
        for system, resilience in self.systems().items():
            in_flight.add_metric([system], resilience.in_flight)
            waiting.add_metric([system], resilience.waiting)
        yield in_flight
        yield waiting
