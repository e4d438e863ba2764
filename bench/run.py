"""`minside bench`: measured figures for the README.

The stack runs as three processes on free ports (`minside simulators`, `minside idporten`,
`minside serve`), so the load generator (this process) shares no event loop with it. Three
measurements:

1. **Batching**: back-office calls per operation for the dashboard of persons with 1, 24
   properties and 120 cases (from the simulators' `/_admin/calls`): they must not grow.
2. **Parallelism**: with injected latency on every back-office system, the dashboard's latency
   compared with the sum of the systems' latencies (sequential) and with the slowest chain.
3. **Throughput**: concurrent clients asking for the dashboards of random citizens for a fixed
   time: requests per second and latency percentiles.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from bench.queries import DASHBOARD
from kernel.systems import SYSTEM_NAMES as SYSTEMS
from minside.stack import StackPorts, stack_environment
from simulators.population import Population


@dataclass
class Stack:
    """URLs of a `minside demo` process and a session to talk to it."""

    urls: dict[str, str]
    http: aiohttp.ClientSession
    population: Population
    pids: dict[str, int]

    def cpu_seconds(self) -> dict[str, float]:
        """CPU time (user + system) used so far by each stack process (Linux /proc)."""
        ticks = os.sysconf("SC_CLK_TCK")
        used = {}
        for name, pid in self.pids.items():
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            used[name] = (int(fields[11]) + int(fields[12])) / ticks
        return used

    async def token(self, pid: str) -> str:
        body = {"pid": pid, "scope": "openid minside:api"}
        async with self.http.post(f"{self.urls['idporten']}/_admin/tokens", json=body) as r:
            r.raise_for_status()
            token: str = (await r.json())["access_token"]
            return token

    async def dashboard(self, token: str) -> tuple[float, dict[str, Any]]:
        started = time.perf_counter()
        async with self.http.post(
            f"{self.urls['gateway']}/graphql",
            json={"query": DASHBOARD},
            headers={"Authorization": f"Bearer {token}"},
        ) as response:
            body: dict[str, Any] = await response.json()
            if response.status != 200:
                raise RuntimeError(f"gateway answered {response.status}")
        return time.perf_counter() - started, body

    async def admin(self, system: str, method: str, path: str, **kwargs: Any) -> Any:
        async with self.http.request(method, f"{self.urls[system]}{path}", **kwargs) as r:
            r.raise_for_status()
            return await r.json() if r.content_type == "application/json" else None


@asynccontextmanager
async def stack_processes(seed: int, size: int) -> AsyncIterator[Stack]:
    """Start the simulators, the stand-in and the gateway as three processes on free ports.

    Separate processes, as in production: the gateway's event loop is not shared with the
    simulators' SOAP work, and the load generator (this process) is a fourth.
    """
    ports = StackPorts.free()
    urls = ports.urls()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MINSIDE_")}
    env.update(stack_environment(ports))
    env.update(
        {
            "MINSIDE_POPULATION_SEED": str(seed),
            "MINSIDE_POPULATION_SIZE": str(size),
            "MINSIDE_LOG_LEVEL": "WARNING",
        }
    )
    minside = str(Path(sys.executable).parent / "minside")
    processes = [
        # Popen only forks and execs; readiness is polled below without blocking the loop.
        subprocess.Popen(  # noqa: S603, ASYNC220 - our own console script
            [minside, command], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        for command in ("simulators", "idporten", "serve")
    ]
    connector = aiohttp.TCPConnector(limit=200)
    try:
        async with aiohttp.ClientSession(connector=connector) as http:
            deadline = time.monotonic() + 60
            while True:
                if any(process.poll() is not None for process in processes):
                    raise RuntimeError("a stack process exited during start-up")
                try:
                    async with http.get(urls["gateway"] + "/readyz") as r:
                        if r.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("the stack was not ready within 60 s")
                await asyncio.sleep(0.2)
            names = ("simulators", "idporten", "gateway")
            pids = {name: process.pid for name, process in zip(names, processes, strict=True)}
            yield Stack(urls, http, Population(seed=seed, size=size), pids)
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


async def reset_all(stack: Stack) -> None:
    for system in SYSTEMS:
        await stack.admin(system, "POST", "/_admin/reset")


async def calls_by_operation(stack: Stack) -> dict[str, int]:
    totals: dict[str, int] = {}
    for system in SYSTEMS:
        counts = await stack.admin(system, "GET", "/_admin/calls")
        for operation, count in sorted(counts.items()):
            if operation != "health":
                totals[f"{system}.{operation}"] = count
    return totals


async def batching(stack: Stack) -> dict[str, Any]:
    """Back-office calls for one dashboard, per documented person."""
    persons = {"1 property (#1)": 1, "24 properties (#2)": 2, "120 cases (#3)": 3}
    table: dict[str, dict[str, int]] = {}
    sizes: dict[str, dict[str, int]] = {}
    for label, index in persons.items():
        token = await stack.token(stack.population.person(index).pid)
        await reset_all(stack)
        _, body = await stack.dashboard(token)
        if body.get("errors"):
            raise RuntimeError(f"dashboard for {label} had errors: {body['errors']}")
        viewer = body["data"]["viewer"]
        sizes[label] = {
            "properties": viewer["properties"]["totalCount"],
            "cases": viewer["cases"]["totalCount"],
            "invoices": viewer["invoices"]["totalCount"],
        }
        table[label] = await calls_by_operation(stack)
    return {"sizes": sizes, "calls": table}


async def parallelism(stack: Stack, latency_ms: dict[str, int], rounds: int) -> dict[str, Any]:
    """Dashboard latency with injected per-system latency, against sum and slowest chain."""
    token = await stack.token(stack.population.person(1).pid)
    await reset_all(stack)
    for system, ms in latency_ms.items():
        await stack.admin(
            system, "POST", "/_admin/faults", json={"operation": "*", "latency_ms": ms}
        )
    try:
        await stack.dashboard(token)  # warm-up: connections, caches
        samples = [(await stack.dashboard(token))[0] for _ in range(rounds)]
    finally:
        for system in latency_ms:
            await stack.admin(system, "DELETE", "/_admin/faults")
    calls = await calls_by_operation(stack)
    per_system_calls = {
        s: sum(v for k, v in calls.items() if k.startswith(s + ".")) for s in SYSTEMS
    }
    sequential_ms = sum(latency_ms[s] * per_system_calls[s] for s in SYSTEMS) / (rounds + 1)
    median_ms = statistics.median(samples) * 1000
    return {
        "injected_latency_ms": latency_ms,
        "median_ms": round(median_ms, 1),
        "if_sequential_ms": round(sequential_ms, 1),
        "slowest_single_system_ms": max(latency_ms.values()),
        "speed_up_vs_sequential": round(sequential_ms / median_ms, 2),
    }


async def throughput(stack: Stack, clients: int, seconds: float, people: int) -> dict[str, Any]:
    """Concurrent clients, each asking for a random citizen's dashboard, for `seconds`."""
    rng = random.Random(7)  # noqa: S311 - load pattern, not security
    tokens = [await stack.token(stack.population.person(i).pid) for i in range(1, people + 1)]
    await reset_all(stack)
    latencies: list[float] = []
    errors = 0
    stop_at = time.perf_counter() + seconds

    async def client() -> None:
        nonlocal errors
        while time.perf_counter() < stop_at:
            elapsed, body = await stack.dashboard(rng.choice(tokens))
            latencies.append(elapsed)
            if body.get("errors"):
                errors += 1

    cpu_before = stack.cpu_seconds()
    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    wall = time.perf_counter() - started
    cpu_after = stack.cpu_seconds()
    cpu_ms_per_request = {
        name: round((cpu_after[name] - cpu_before[name]) * 1000 / max(1, len(latencies)), 1)
        for name in cpu_before
    }
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000, 1)

    return {
        "clients": clients,
        "seconds": round(wall, 1),
        "requests": len(latencies),
        "requests_per_s": round(len(latencies) / wall, 1),
        "p50_ms": pct(0.50),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "responses_with_errors": errors,
        "cpu_ms_per_request": cpu_ms_per_request,
    }


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    async with stack_processes(args.seed, args.size) as stack:
        results: dict[str, Any] = {
            "seed": args.seed,
            "population": args.size,
            "cpus": os.cpu_count(),
        }
        results["batching"] = await batching(stack)
        # A realistic spread; a system without its own figure gets 100 ms.
        latency = {"matrikkel": 120, "fees": 80, "p360": 150, "visma": 100}
        latency = {system: latency.get(system, 100) for system in SYSTEMS}
        results["parallelism"] = await parallelism(stack, latency, args.rounds)
        results["throughput"] = await throughput(stack, args.clients, args.seconds, args.people)
        return results


def print_report(results: dict[str, Any]) -> None:
    print(
        f"# minside bench (seed {results['seed']}, population {results['population']}, "
        f"{results['cpus']} CPUs)\n"
    )
    batching_results = results["batching"]
    labels = list(batching_results["calls"])
    operations = sorted({op for calls in batching_results["calls"].values() for op in calls})
    print("## Back-office calls for one dashboard query\n")
    print("| operation | " + " | ".join(labels) + " |")
    print("|---|" + "---|" * len(labels))
    for op in operations:
        row = [str(batching_results["calls"][label].get(op, 0)) for label in labels]
        print(f"| {op} | " + " | ".join(row) + " |")
    print(
        "| (items: properties/cases/invoices) | "
        + " | ".join(
            "{properties}/{cases}/{invoices}".format(**batching_results["sizes"][label])
            for label in labels
        )
        + " |"
    )
    p = results["parallelism"]
    print("\n## Parallelism (person #1, injected latency per system)\n")
    print(f"- injected: {p['injected_latency_ms']}")
    print(
        f"- dashboard median: {p['median_ms']} ms; if the calls ran one after another: "
        f"{p['if_sequential_ms']} ms; speed-up {p['speed_up_vs_sequential']}x"
    )
    t = results["throughput"]
    print("\n## Throughput (dashboards of random documented persons)\n")
    print(
        f"- {t['clients']} clients for {t['seconds']} s: {t['requests']} requests, "
        f"{t['requests_per_s']} req/s; p50 {t['p50_ms']} ms, p95 {t['p95_ms']} ms, "
        f"p99 {t['p99_ms']} ms; responses with errors: {t['responses_with_errors']}"
    )
    cpu = t["cpu_ms_per_request"]
    print(
        f"- CPU per dashboard: gateway {cpu['gateway']} ms, simulators {cpu['simulators']} ms, "
        f"stand-in {cpu['idporten']} ms"
    )
    print("\n```json\n" + json.dumps(results, indent=1) + "\n```")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="minside bench", description=__doc__)
    add_arguments(parser)
    args = parser.parse_args(argv)
    return run(args)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=10, help="parallelism samples")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients")
    parser.add_argument("--seconds", type=float, default=15.0, help="throughput duration")
    parser.add_argument("--people", type=int, default=10, help="distinct citizens")


def run(args: argparse.Namespace) -> int:
    print_report(asyncio.run(main_async(args)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
