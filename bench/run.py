"""`minside bench`: one table of the dashboard's figures, beside the hand-built baseline.

The stack runs as three processes on free ports (`minside simulators`, `minside idporten`,
`minside serve`), so the load generator (this process) shares no event loop with it and the
gateway's CPU is read from /proc. The query is Min side's first page, `bench/dashboard.graphql`;
"mixed" means documented test persons #1–#9 in turn. Rows:

- gateway CPU per dashboard with the read cache off (mixed persons; person #3, 120 cases, of
  whom the page shows 5), beside the hand-built baseline (:mod:`bench.baseline`: the same
  calls, JSON by hand, in this process), and with the cache warm;
- back-office calls of a warm dashboard, and calls per operation per person (cache off);
- sequential back-office round trips (issue 10's method, :mod:`bench.critical_path`);
- when the first `@defer` part arrives with Matrikkel at 300 ms per call;
- 64 concurrent clients, cache off and warm: dashboards/s, p50/p99, false SOURCE_* errors, 503s;
- 1,000 concurrent dashboards with Public 360 at 1 s, cache off (:mod:`bench.overload`);
- scale-out: 64 clients, cache warm, sessions and cache in Redis (``--redis-url``), with 1 and
  with 2 gateway workers (``minside serve --workers N``) on this machine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from bench.critical_path import DASHBOARD_FILE
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
    env: dict[str, str]

    def cpu_seconds(self) -> dict[str, float]:
        """CPU time (user + system) used so far by each stack process and its children (the
        gateway's workers under ``--workers N``), from Linux /proc."""
        return {name: _tree_cpu_s(pid) for name, pid in self.pids.items()}

    async def token(self, pid: str) -> str:
        body = {"pid": pid, "scope": "openid minside:api"}
        async with self.http.post(f"{self.urls['idporten']}/_admin/tokens", json=body) as r:
            r.raise_for_status()
            token: str = (await r.json())["access_token"]
            return token

    async def dashboard(self, token: str, query: str = DASHBOARD) -> tuple[float, dict[str, Any]]:
        """One dashboard: its latency and body (a 503 of admission control comes back as
        ``{"status": 503}``; any other non-200 is an error of the benchmark)."""
        started = time.perf_counter()
        async with self.http.post(
            f"{self.urls['gateway']}/graphql",
            json={"query": query},
            headers={"Authorization": f"Bearer {token}"},
        ) as response:
            if response.status == 503:
                await response.read()
                return time.perf_counter() - started, {"status": 503}
            body: dict[str, Any] = await response.json()
            if response.status != 200:
                raise RuntimeError(f"gateway answered {response.status}")
        return time.perf_counter() - started, body

    async def admin(self, system: str, method: str, path: str, **kwargs: Any) -> Any:
        async with self.http.request(method, f"{self.urls[system]}{path}", **kwargs) as r:
            r.raise_for_status()
            return await r.json() if r.content_type == "application/json" else None


def _tree_cpu_s(pid: int) -> float:
    """CPU seconds of process `pid` and of its live children, recursively."""
    ticks = os.sysconf("SC_CLK_TCK")
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    used = (int(fields[11]) + int(fields[12])) / ticks
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            with contextlib.suppress(FileNotFoundError):  # it ended meanwhile
                used += _tree_cpu_s(int(child))
    return used


@asynccontextmanager
async def stack_processes(
    seed: int,
    size: int,
    cache: str = "off",
    *,
    workers: int = 1,
    redis_url: str | None = None,
) -> AsyncIterator[Stack]:
    """Start the simulators, the stand-in and the gateway as three processes on free ports.

    Separate processes, as in production: the gateway's event loop is not shared with the
    simulators' SOAP work, and the load generator (this process) is a fourth. With
    `redis_url`, the gateway keeps sessions and the read cache there (under a key prefix of
    this run's own), and `workers` gateway processes share it.
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
            "MINSIDE_CACHE": cache,
            "MINSIDE_WORKERS": str(workers),
            # Nine test persons asking for thousands of dashboards a minute is the load of
            # thousands of citizens, not an abuse: their rate limits would measure the 429s.
            "MINSIDE_RATE_LIMIT_VIEWER_COST": "0",
        }
    )
    if redis_url is not None:
        env["MINSIDE_REDIS_URL"] = redis_url
        env["MINSIDE_REDIS_KEY_PREFIX"] = f"minside-bench:{os.getpid()}:{time.time_ns()}:"
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
            yield Stack(urls, http, Population(seed=seed, size=size), pids, env)
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


PAGE = DASHBOARD_FILE.read_text()  # Min side's first page
MIXED = tuple(range(1, 10))  # the documented test persons
MANY_CASES = 3  # 120 cases, 355 documents; the page shows 5


async def tokens_for(stack: Stack, persons: tuple[int, ...]) -> list[str]:
    return [await stack.token(stack.population.person(i).pid) for i in persons]


async def cpu_per_dashboard(stack: Stack, persons: tuple[int, ...], rounds: int) -> float:
    """Gateway CPU (ms) per first page, one dashboard at a time, `rounds` over `persons`."""
    tokens = await tokens_for(stack, persons)
    for token in tokens:  # warm-up: connections, templates, reference data (and the cache)
        await stack.dashboard(token, PAGE)
    before = stack.cpu_seconds()["gateway"]
    for _ in range(rounds):
        for token in tokens:
            _, body = await stack.dashboard(token, PAGE)
            if body.get("errors"):
                raise RuntimeError(f"a dashboard had errors: {body['errors']}")
    used = stack.cpu_seconds()["gateway"] - before
    return round(used * 1000 / (rounds * len(tokens)), 1)


async def baseline_cpu(stack: Stack, persons: tuple[int, ...], rounds: int) -> float:
    """CPU (ms) per first page of the hand-built baseline (bench.baseline), in this process."""
    from bench.baseline import dashboard
    from connectors.registry import open_connectors
    from connectors.session import open_session
    from kernel.settings import load_settings

    # The gateway process's own configuration: the same URLs, credentials and deadlines.
    settings = load_settings(
        **{
            k[len("MINSIDE_") :].lower(): v
            for k, v in stack.env.items()
            if k.startswith("MINSIDE_")
        }
    )
    pids = [stack.population.person(i).pid for i in persons]
    async with open_session() as session:
        connectors = open_connectors(settings, session)
        for pid in pids:
            await dashboard(connectors, pid)
        started = time.process_time()
        for _ in range(rounds):
            for pid in pids:
                await dashboard(connectors, pid)
        used = time.process_time() - started
    return round(used * 1000 / (rounds * len(pids)), 1)


async def warm_calls(stack: Stack, persons: tuple[int, ...]) -> int:
    """Back-office calls of one more round of dashboards once the cache is warm."""
    tokens = await tokens_for(stack, persons)
    for token in tokens:
        await stack.dashboard(token, PAGE)
    await reset_all(stack)
    for token in tokens:
        await stack.dashboard(token, PAGE)
    return sum((await calls_by_operation(stack)).values())


async def first_deferred_part(stack: Stack, matrikkel_ms: int) -> dict[str, Any]:
    """With Matrikkel slowed, when the first part of a deferred page arrives, and what it has."""
    # The properties (Matrikkel and fees) and `sources` (which waits for every call of the
    # request) in a deferred fragment; name, cases and invoices in the first part.
    sources = "    sources { source status asOf }\n"
    deferred = PAGE.replace(sources, "", 1).replace(
        "    properties(first: 10) {",
        '    ... @defer(label: "properties") {\n' + sources + "    properties(first: 10) {",
        1,
    )
    deferred = deferred.replace("    cases(first: 5) {", "    }\n    cases(first: 5) {", 1)
    if deferred.count("@defer") != 1 or "sources" not in deferred:
        raise RuntimeError("bench/dashboard.graphql changed: adapt the deferred page")
    token = await stack.token(stack.population.person(1).pid)
    await reset_all(stack)
    await stack.admin(
        "matrikkel", "POST", "/_admin/faults", json={"operation": "*", "latency_ms": matrikkel_ms}
    )
    try:
        # Timed on the raw stream: a multipart reader would only finish a part when the next
        # part's boundary arrives, which is exactly the delay this row is about.
        started = time.perf_counter()
        arrivals: list[tuple[float, bytes]] = []
        async with stack.http.post(
            f"{stack.urls['gateway']}/graphql",
            json={"query": deferred},
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "multipart/mixed;deferSpec=20220824, application/json",
            },
        ) as response:
            if not response.content_type.startswith("multipart/mixed"):
                raise RuntimeError(f"no multipart answer: {response.content_type}")
            async for chunk in response.content.iter_any():
                arrivals.append((time.perf_counter() - started, chunk))
    finally:
        await stack.admin("matrikkel", "DELETE", "/_admin/faults")
    stream = b"".join(chunk for _, chunk in arrivals)
    payloads = [
        json.loads(body)
        for body in (part.split(b"\r\n\r\n", 1)[-1].strip() for part in stream.split(b"---"))
        if body.startswith(b"{")
    ]
    first = payloads[0]
    first_at = next(t for t, chunk in arrivals if b"hasNext" in chunk)
    viewer = first.get("data", {}).get("viewer", {})
    return {
        "matrikkel_latency_ms": matrikkel_ms,
        "first_part_ms": round(first_at * 1000, 1),
        "last_part_ms": round(arrivals[-1][0] * 1000, 1),
        "parts": len(payloads),
        "first_part_has_properties": "properties" in viewer,
        "first_part_has_name_cases_invoices": {"name", "cases", "invoices"} <= set(viewer),
    }


async def throughput(
    stack: Stack, clients: int, seconds: float, people: int, query: str = DASHBOARD
) -> dict[str, Any]:
    """Concurrent clients, each asking for a random citizen's dashboard, for `seconds`.

    The systems are healthy, so any SOURCE_* error is a false one (the gateway's own
    saturation blamed on a back-office); a 503 is load shed on purpose."""
    rng = random.Random(7)  # noqa: S311 - load pattern, not security
    tokens = await tokens_for(stack, tuple(range(1, people + 1)))
    await reset_all(stack)
    latencies: list[float] = []
    errors = 0
    source_errors = 0
    shed = 0
    stop_at = time.perf_counter() + seconds

    async def client() -> None:
        nonlocal errors, source_errors, shed
        while time.perf_counter() < stop_at:
            elapsed, body = await stack.dashboard(rng.choice(tokens), query)
            if body.get("status") == 503:
                shed += 1
                await asyncio.sleep(0.5)
                continue
            latencies.append(elapsed)
            if body.get("errors"):
                errors += 1
                codes = {e.get("extensions", {}).get("code", "") for e in body["errors"]}
                source_errors += any(code.startswith("SOURCE_") for code in codes)

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
        "false_source_errors": source_errors,
        "shed_503": shed,
        "cpu_ms_per_request": cpu_ms_per_request,
    }


async def round_trips(persons: tuple[int, ...], runs: int) -> dict[str, float]:
    """Sequential back-office round trips, cache off, reference data warm (critical_path)."""
    from bench.critical_path import measure
    from kernel.settings import load_settings
    from minside.stack import running_stack

    deadlines = {f"{name}_deadline_s": 10.0 for name in SYSTEMS}
    query = PAGE
    figures: dict[str, float] = {}
    async with (
        running_stack(load_settings(cache="off", **deadlines)) as stack,
        aiohttp.ClientSession() as http,
    ):
        for person in persons:
            for cold in (True, False):
                found = await measure(
                    stack, http, person, query, latency_ms=100, runs=runs, cold=cold
                )
                label = f"#{person} {'cold' if cold else 'warm'}"
                figures[label] = round(found["round_trips"], 2)
    return figures


async def overload(clients: int) -> dict[str, Any]:
    """1,000 concurrent dashboards with Public 360 at 1 s, cache off (bench.overload)."""
    import logging

    from bench.overload import measure

    os.environ["MINSIDE_CACHE"] = "off"
    # Hundreds of SOURCE_TIMEOUT fields are what this row provokes: not worth a line each.
    for name in ("strawberry.execution", "minside.graphql"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    try:
        args = argparse.Namespace(
            clients=clients,
            p360_latency_ms=1000,
            people=200,
            seed=7,
            max_tries=20,
            max_concurrency=None,
            budget_s=None,
            queue_wait_s=None,
            workdir="var",
        )
        return await measure(args)
    finally:
        del os.environ["MINSIDE_CACHE"]


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {"seed": args.seed, "population": args.size, "cpus": os.cpu_count()}
    async with stack_processes(args.seed, args.size, cache="off") as stack:
        results["batching"] = await batching(stack)
        results["cpu_off_mixed"] = await cpu_per_dashboard(stack, MIXED, args.rounds)
        results["baseline_mixed"] = await baseline_cpu(stack, MIXED, args.rounds)
        results["cpu_off_many_cases"] = await cpu_per_dashboard(
            stack, (MANY_CASES,), 3 * args.rounds
        )
        results["baseline_many_cases"] = await baseline_cpu(stack, (MANY_CASES,), 3 * args.rounds)
        results["defer"] = await first_deferred_part(stack, 300)
        results["load_off"] = await throughput(stack, args.clients, args.seconds, len(MIXED), PAGE)
    async with stack_processes(args.seed, args.size, cache="on") as stack:
        results["warm_calls"] = await warm_calls(stack, MIXED)
        results["cpu_warm_mixed"] = await cpu_per_dashboard(stack, MIXED, 3 * args.rounds)
        results["load_warm"] = await throughput(stack, args.clients, args.seconds, len(MIXED), PAGE)
    if args.redis_url:
        results["workers"] = {}
        for workers in (1, 2):
            async with stack_processes(
                args.seed, args.size, cache="on", workers=workers, redis_url=args.redis_url
            ) as stack:
                for token in await tokens_for(stack, MIXED):  # warm the shared cache
                    await stack.dashboard(token, PAGE)
                results["workers"][workers] = await throughput(
                    stack, args.clients, args.seconds, len(MIXED), PAGE
                )
    results["round_trips"] = await round_trips((1, 3), args.trip_runs)
    if args.overload_clients:
        results["overload"] = await overload(args.overload_clients)
    return results


def print_report(results: dict[str, Any]) -> None:
    print(
        f"# minside bench (seed {results['seed']}, population {results['population']}, "
        f"{results['cpus']} CPUs; query bench/dashboard.graphql; mixed = persons #1-#9)\n"
    )
    off, warm = results["load_off"], results["load_warm"]
    trips = results["round_trips"]
    d = results["defer"]
    rows = [
        (
            "gateway CPU per dashboard, cache off, mixed persons",
            f"{results['cpu_off_mixed']} ms",
            f"{results['baseline_mixed']} ms",
            "<= 15 ms",
        ),
        (
            "gateway CPU per dashboard, cache off, person #3 (120 cases), first page",
            f"{results['cpu_off_many_cases']} ms",
            f"{results['baseline_many_cases']} ms",
            "<= 30 ms",
        ),
        (
            "gateway CPU per dashboard, cache warm, mixed persons",
            f"{results['cpu_warm_mixed']} ms",
            "",
            "<= 4 ms",
        ),
        (
            "back-office calls of a warm dashboard (9 persons, inside the TTLs)",
            str(results["warm_calls"]),
            "",
            "0",
        ),
        (
            "sequential round trips, cache off (#1, #3; reference data cold / warm)",
            ", ".join(f"{k}: {v}" for k, v in trips.items()),
            "",
            "<= 3.5",
        ),
        (
            f"first @defer part, Matrikkel at {d['matrikkel_latency_ms']} ms per call",
            f"{d['first_part_ms']} ms (last {d['last_part_ms']} ms); properties in first part: "
            f"{d['first_part_has_properties']}",
            "",
            "before any Matrikkel-dependent field",
        ),
        (
            f"{off['clients']} concurrent clients, cache off",
            f"{off['requests_per_s']}/s, p50 {off['p50_ms']} ms, p99 {off['p99_ms']} ms, "
            f"false SOURCE_* {off['false_source_errors']}, 503 {off['shed_503']}",
            "",
            ">= 40/s, 0 false SOURCE_*",
        ),
        (
            f"{warm['clients']} concurrent clients, cache warm",
            f"{warm['requests_per_s']}/s, p50 {warm['p50_ms']} ms, p99 {warm['p99_ms']} ms, "
            f"false SOURCE_* {warm['false_source_errors']}, 503 {warm['shed_503']}",
            "",
            ">= 150/s, 0 false SOURCE_*",
        ),
    ]
    if "overload" in results:
        o = results["overload"]
        rows.append(
            (
                f"{o['clients']} concurrent dashboards, P360 at 1 s, cache off",
                f"failed {o['failed']} (partial {o['partial']}), p99 {o['p99_s']} s, "
                f"RSS {o['rss_before_mb']} -> {o['rss_peak_mb']} MB",
                "",
                "0 failed, p99 <= 30 s, <= 300 MB",
            )
        )
    if "workers" in results:
        one, two = results["workers"][1], results["workers"][2]
        rows.append(
            (
                f"{one['clients']} clients, cache warm in Redis: 1 worker / 2 workers",
                f"{one['requests_per_s']}/s / {two['requests_per_s']}/s "
                f"({two['requests_per_s'] / max(one['requests_per_s'], 0.1):.2f}x); p99 "
                f"{one['p99_ms']} / {two['p99_ms']} ms; false SOURCE_* "
                f"{one['false_source_errors']} / {two['false_source_errors']}",
                "",
                "2 workers > 1 worker",
            )
        )
    print("| figure | gateway | hand-built baseline | target |")
    print("|---|---|---|---|")
    for figure, measured, baseline, target in rows:
        print(f"| {figure} | {measured} | {baseline} | {target} |")
    ratio_mixed = results["cpu_off_mixed"] / max(results["baseline_mixed"], 0.1)
    ratio_many = results["cpu_off_many_cases"] / max(results["baseline_many_cases"], 0.1)
    print(f"\nGateway / baseline CPU: {ratio_mixed:.2f}x (mixed), {ratio_many:.2f}x (person #3).")
    batching_results = results["batching"]
    labels = list(batching_results["calls"])
    operations = sorted({op for calls in batching_results["calls"].values() for op in calls})
    print("\n## Back-office calls for one dashboard (all lists, first: 100; cache off)\n")
    print("| operation | " + " | ".join(labels) + " |")
    print("|---|" + "---|" * len(labels))
    for op in operations:
        row = [str(batching_results["calls"][label].get(op, 0)) for label in labels]
        print(f"| {op} | " + " | ".join(row) + " |")
    print("\n```json\n" + json.dumps(results, indent=1, default=str) + "\n```")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="minside bench", description=__doc__)
    add_arguments(parser)
    args = parser.parse_args(argv)
    return run(args)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=20, help="rounds of the CPU figures")
    parser.add_argument("--clients", type=int, default=64, help="concurrent clients")
    parser.add_argument("--seconds", type=float, default=15.0, help="each throughput run")
    parser.add_argument("--trip-runs", type=int, default=7, help="samples per round-trip p50")
    parser.add_argument(
        "--overload-clients", type=int, default=1000, help="0 skips the overload row"
    )
    parser.add_argument(
        "--redis-url",
        default="redis://127.0.0.1:6379/0",
        help="Redis for the scale-out row (1 and 2 workers); '' skips the row",
    )


def run(args: argparse.Namespace) -> int:
    Path("var").mkdir(exist_ok=True)  # the overload row's outbox
    print_report(asyncio.run(main_async(args)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
