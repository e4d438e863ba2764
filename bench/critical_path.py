"""Sequential back-office round trips of one dashboard: ``python -m bench.critical_path``.

The method of issue 10: the dashboard's p50 latency with ``latency_ms`` injected on every
operation of every back-office system, minus its p50 with none, divided by the injected
latency. Calls that run in parallel cost one latency, so the figure is the length of the
longest chain of dependent round trips (the critical path), plus a little noise.

The local stack runs in this process (:func:`minside.stack.running_stack`); only latency is
measured, never CPU, so sharing the event loop does not bias it. Two figures per person:

- **cold**: the Matrikkel connector's reference caches (roads, postal areas, the properties'
  matrikkelnummer) emptied before each dashboard, as for the first citizen after a restart;
- **warm**: that cache kept, as for every later citizen.

The back-office read cache (``MINSIDE_CACHE``) is switched off, so every dashboard asks the
back-offices.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from pathlib import Path
from typing import Any

import aiohttp

from connectors.matrikkel import MatrikkelClient
from kernel.settings import Settings
from kernel.systems import SYSTEM_NAMES
from minside.stack import RunningStack, running_stack
from simulators.population import documented

__all__ = ["DASHBOARD_FILE", "main", "measure"]

#: Min side's first page, as issue 10 measured it.
DASHBOARD_FILE = Path(__file__).with_name("dashboard.graphql")


async def _dashboard(
    stack: RunningStack, http: aiohttp.ClientSession, token: str, query: str
) -> float:
    started = time.perf_counter()
    async with http.post(
        f"{stack.gateway_url}/graphql",
        json={"query": query},
        headers={"Authorization": f"Bearer {token}"},
    ) as response:
        body: dict[str, Any] = await response.json()
    elapsed = time.perf_counter() - started
    if response.status != 200 or body.get("errors"):
        raise RuntimeError(f"the dashboard failed: {response.status} {body.get('errors')}")
    return elapsed


async def _latency(stack: RunningStack, http: aiohttp.ClientSession, latency_ms: int) -> None:
    for system in SYSTEM_NAMES:
        async with http.post(
            f"{stack.urls[system]}/_admin/faults",
            json={"operation": "*", "latency_ms": latency_ms},
        ) as response:
            response.raise_for_status()


def _reference_cache_clear(stack: RunningStack) -> None:
    matrikkel = stack.gateway_app.state.gateway.shared().connectors.get(MatrikkelClient)
    matrikkel.reference_cache.clear()
    matrikkel.number_cache.clear()


async def measure(
    stack: RunningStack,
    http: aiohttp.ClientSession,
    person: int,
    query: str,
    *,
    latency_ms: int,
    runs: int,
    cold: bool,
) -> dict[str, float]:
    """p50 at 0 ms and at ``latency_ms`` per call, and the round trips they imply."""
    token = stack.token(stack.population.person(person).pid)
    p50: dict[int, float] = {}
    for injected in (0, latency_ms):
        await _latency(stack, http, injected)
        await _dashboard(stack, http, token, query)  # warm-up: connections, templates
        samples = []
        for _ in range(runs):
            if cold:
                _reference_cache_clear(stack)
            samples.append(await _dashboard(stack, http, token, query))
        p50[injected] = statistics.median(samples)
    await _latency(stack, http, 0)
    return {
        "p50_0_ms": p50[0] * 1000,
        "p50_injected_ms": p50[latency_ms] * 1000,
        "round_trips": (p50[latency_ms] - p50[0]) * 1000 / latency_ms,
    }


async def run(persons: list[int], latency_ms: int, runs: int, name: str, query: str) -> None:
    """Start the stack, measure each person cold and warm, print one table."""
    # Deadlines far above the injected latency, so no call times out.
    os.environ.setdefault("MINSIDE_CACHE", "off")
    settings = Settings(
        matrikkel_deadline_s=10.0,
        fees_deadline_s=10.0,
        p360_deadline_s=10.0,
        visma_deadline_s=10.0,
    )
    print(f"sequential round trips of {name}, {latency_ms} ms per call, p50 of {runs}")
    print(f"{'person':>6} {'reference cache':>15} {'p50 0 ms':>9} {'p50 inj.':>9} {'trips':>6}")
    async with running_stack(settings) as stack, aiohttp.ClientSession() as http:
        for person in persons:
            for cold in (True, False):
                figures = await measure(
                    stack, http, person, query, latency_ms=latency_ms, runs=runs, cold=cold
                )
                print(
                    f"{person:>6} {'cold' if cold else 'warm':>15}"
                    f" {figures['p50_0_ms']:>9.1f} {figures['p50_injected_ms']:>9.1f}"
                    f" {figures['round_trips']:>6.2f}"
                )


def main(argv: list[str] | None = None) -> None:
    """``python -m bench.critical_path [--person N ...] [--latency-ms 100] [--runs 9]
    [--query bench/dashboard.graphql]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--person",
        type=int,
        action="append",
        help=f"documented person (default {documented.HOMEOWNER} and {documented.LANDOWNER})",
    )
    parser.add_argument("--latency-ms", type=int, default=100)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--query", type=Path, default=DASHBOARD_FILE, help="a .graphql file")
    args = parser.parse_args(argv)
    persons = args.person or [documented.HOMEOWNER, documented.LANDOWNER]
    query = args.query.read_text()
    asyncio.run(run(persons, args.latency_ms, args.runs, args.query.name, query))


if __name__ == "__main__":
    main()
