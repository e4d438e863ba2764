"""Overload measurement: N concurrent dashboards with Public 360 slowed down (issue 10, item 4).

    python -m bench.overload --clients 1000 --p360-latency-ms 1000

Runs the whole stack in this process (:func:`minside.stack.running_stack`: stand-in,
simulators, gateway and the load generator share one event loop and one RSS, so the figures
are pessimistic for the gateway alone). Every client asks once for the dashboard of a citizen
of the synthetic population; a client that is shed (503) waits its ``Retry-After`` and asks
again, as the front end does, and its latency runs from its first try to its final answer.

Prints one table and, with ``--json``, the figures as JSON. A request *fails* when its final
answer is not HTTP 200 with data (a transport error, a 5xx, a body without ``data``); an answer
with some fields null and typed errors (``SOURCE_TIMEOUT`` when the request budget ran out) is
*partial*, which the issue allows.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import random
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from bench.queries import DASHBOARD
from kernel.settings import Settings
from minside.stack import RunningStack, running_stack


def rss_mb() -> float:
    """This process's resident set size now, in MB (Linux /proc)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class Outcome:
    """One client's final answer."""

    latency_s: float
    status: int
    tries: int
    error_codes: list[str] = field(default_factory=list)
    has_data: bool = False
    last_try_s: float = 0.0  # the final try alone: what the gateway took once it admitted it


@dataclass
class Peaks:
    """What a sampler saw while the load ran."""

    rss_mb: float = 0.0
    queue: int = 0
    executing: int = 0
    p360_waiting: int = 0


async def one_client(http: aiohttp.ClientSession, url: str, token: str, max_tries: int) -> Outcome:
    started = time.perf_counter()
    tries = 0
    while True:
        tries += 1
        sent = time.perf_counter()
        try:
            async with http.post(
                url, json={"query": DASHBOARD}, headers={"Authorization": f"Bearer {token}"}
            ) as response:
                status = response.status
                retry_after = response.headers.get("Retry-After")
                body: dict[str, Any] = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, json.JSONDecodeError) as exc:
            return Outcome(time.perf_counter() - started, 0, tries, [type(exc).__name__])
        if status == 503 and retry_after is not None and tries < max_tries:
            await asyncio.sleep(float(retry_after))
            continue
        codes = [
            str(error.get("extensions", {}).get("code", "?")) for error in body.get("errors", [])
        ]
        has_data = bool(body.get("data"))
        now = time.perf_counter()
        return Outcome(now - started, status, tries, codes, has_data, now - sent)


async def sample(stack: RunningStack, peaks: Peaks, stop: asyncio.Event) -> None:
    admission = stack.gateway_app.state.admission
    resilience = stack.gateway_app.state.gateway.shared().connectors.resilience
    while not stop.is_set():
        peaks.rss_mb = max(peaks.rss_mb, rss_mb())
        peaks.queue = max(peaks.queue, admission.queued)
        peaks.executing = max(peaks.executing, admission.active)
        peaks.p360_waiting = max(peaks.p360_waiting, resilience["p360"].waiting)
        await asyncio.sleep(0.2)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    settings = Settings(
        population_size=max(args.people + 1, 10),
        outbox_url="sqlite:///" + str(Path(args.workdir) / "overload-outbox.sqlite3"),
        **({"graphql_max_concurrency": args.max_concurrency} if args.max_concurrency else {}),
        **({"graphql_request_budget_s": args.budget_s} if args.budget_s else {}),
        **({"graphql_queue_wait_s": args.queue_wait_s} if args.queue_wait_s is not None else {}),
    )
    async with running_stack(settings) as stack:
        # Idle connections closed before the server's own keep-alive (uvicorn: 5 s) ends them,
        # or a retried client would write to a socket the server is closing (issue 10).
        connector = aiohttp.TCPConnector(limit=0, keepalive_timeout=2)
        timeout = aiohttp.ClientTimeout(total=900)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
            async with http.post(
                f"{stack.urls['p360']}/_admin/faults",
                json={"operation": "*", "latency_ms": args.p360_latency_ms},
            ) as response:
                response.raise_for_status()
            rng = random.Random(args.seed)  # noqa: S311 - a load pattern, not security
            indexes = [rng.randrange(1, args.people + 1) for _ in range(args.clients)]
            tokens = [stack.token(stack.population.person(i).pid) for i in indexes]
            url = f"{stack.gateway_url}/graphql"
            # Warm up (connections, WSDL-built templates) with one dashboard.
            await one_client(http, url, tokens[0], 1)
            rss_before = rss_mb()
            peaks = Peaks(rss_mb=rss_before)
            stop = asyncio.Event()
            sampler = asyncio.create_task(sample(stack, peaks, stop))
            started = time.perf_counter()
            outcomes = await asyncio.gather(
                *(one_client(http, url, token, args.max_tries) for token in tokens)
            )
            wall_s = time.perf_counter() - started
            stop.set()
            await sampler
        resilience = stack.gateway_app.state.gateway.shared().connectors.resilience
        breakers = {name: r.snapshot().breaker_state for name, r in resilience.items()}
        admission = stack.gateway_app.state.admission
        lag = stack.gateway_app.state.metrics.lag
        latencies = [o.latency_s for o in outcomes]
        failed = [o for o in outcomes if o.status != 200 or not o.has_data]
        codes = Counter(code for o in outcomes for code in o.error_codes)
        return {
            "clients": args.clients,
            "p360_latency_ms": args.p360_latency_ms,
            "settings": {
                "graphql_max_concurrency": stack.settings.graphql_max_concurrency,
                "graphql_queue_wait_s": stack.settings.graphql_queue_wait_s,
                "graphql_request_budget_s": stack.settings.graphql_request_budget_s,
                "system_max_concurrency": stack.settings.system_max_concurrency,
                "p360_deadline_s": stack.settings.system("p360").deadline_s,
            },
            "wall_s": round(wall_s, 1),
            "failed": len(failed),
            "failed_statuses": dict(Counter(o.status for o in failed)),
            "complete": sum(1 for o in outcomes if o.status == 200 and not o.error_codes),
            "partial": sum(1 for o in outcomes if o.status == 200 and o.error_codes),
            "error_codes": dict(codes),
            "shed_503_total": admission.shed,
            "clients_retried": sum(1 for o in outcomes if o.tries > 1),
            "p50_s": round(statistics.median(latencies), 2),
            "p99_s": round(percentile(latencies, 0.99), 2),
            "max_s": round(max(latencies), 2),
            "last_try_p50_s": round(statistics.median(o.last_try_s for o in outcomes), 2),
            "last_try_p99_s": round(percentile([o.last_try_s for o in outcomes], 0.99), 2),
            "rss_before_mb": round(rss_before, 1),
            "rss_peak_mb": round(peaks.rss_mb, 1),
            "peak_queue": peaks.queue,
            "peak_executing": peaks.executing,
            "peak_p360_slot_waiters": peaks.p360_waiting,
            "max_loop_lag_s": round(lag.take_max(), 3),
            "breakers_after": breakers,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--p360-latency-ms", type=int, default=1000)
    parser.add_argument("--people", type=int, default=200, help="citizens #1..#N are asked for")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--max-tries", type=int, default=20, help="tries per client (503s)")
    parser.add_argument("--max-concurrency", type=int, default=None)
    parser.add_argument("--budget-s", type=float, default=None)
    parser.add_argument("--queue-wait-s", type=float, default=None)
    parser.add_argument("--workdir", default="var")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    # Strawberry logs each field error with its traceback; hundreds of expected
    # SOURCE_TIMEOUTs would measure the logging, and the answers are counted here anyway.
    for name in ("strawberry.execution", "minside.graphql"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    Path(args.workdir).mkdir(parents=True, exist_ok=True)
    figures = asyncio.run(measure(args))
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    width = max(len(key) for key in figures)
    for key, value in figures.items():
        print(f"{key:<{width}}  {value}")


if __name__ == "__main__":
    main()
