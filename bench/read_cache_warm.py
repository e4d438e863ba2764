"""CPU of the read cache's warm path: what one dashboard's cached reads cost the gateway.

Records, on the real stack, the read-through calls (policy, keys, viewer) one warm
``bench/dashboard.graphql`` makes and the values they get, then replays them against a
:class:`~resolvers.read_cache.ReadThroughCache` over the in-process store and over Redis (every
read a fresh hit, nothing fetched) and prints the process CPU per replayed dashboard::

    .venv/bin/python -m bench.read_cache_warm [--redis redis://127.0.0.1:6379/0] [--rounds 30]

The replay runs each dashboard's reads in the waves the gateway made them (concurrently within
a wave), so round trips overlap as they do there. ``--stack`` measures the whole gateway
instead: the stack in this process (gateway, simulators, client), its cache in memory and then
in Redis, the same persons' warm dashboards 16 at a time, the process's CPU per dashboard (the
client and the simulators' share is the same in both, so the difference is the cache's).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from kernel.server_secret import ServerSecret

Call = tuple[Any, list[Any], str | None]  # (policy, keys, viewer pid)
VALUES: dict[tuple[str, Any], Any] = {}  # what the stack's reads returned, by (policy, key)


PERSONS = tuple(range(1, 10))  # the documented test persons, as `minside bench` mixes them


async def record(redis_url: str, prefix: str, home: str) -> list[list[list[Call]]]:
    """Per person, the waves of read-through calls of a warm dashboard (real stack, Redis)."""
    import aiohttp
    from pydantic import SecretStr

    from kernel.settings import Settings
    from minside.stack import running_stack
    from resolvers.read_cache import ReadThroughCache

    calls: list[tuple[int, Call]] = []
    flying = [0, 0]  # reads in flight, waves so far: a read that starts with none in flight
    original = ReadThroughCache.read

    async def spy(self: ReadThroughCache, policy: Any, keys: Any, fetch: Any, viewer: Any = None):  # type: ignore[no-untyped-def]
        if flying[0] == 0:
            flying[1] += 1  # ...starts a new wave (the dataloaders' batches of one tick)
        flying[0] += 1
        calls.append((flying[1], (policy, list(keys), viewer)))
        try:
            served = await original(self, policy, keys, fetch, viewer)
        finally:
            flying[0] -= 1
        for key, outcome in zip(keys, served, strict=True):
            VALUES[(policy.name, key)] = getattr(outcome, "value", None)
        return served

    query = (Path(__file__).parent / "dashboard.graphql").read_text()
    settings = Settings(
        redis_url=redis_url,
        redis_key_prefix=prefix,
        secret_key=SecretStr("bench-read-cache-" + "b" * 32),
        outbox_url=f"sqlite:///{Path(home) / 'outbox.sqlite3'}",
    )
    ReadThroughCache.read = spy  # type: ignore[method-assign,assignment]
    try:
        async with running_stack(settings) as stack, aiohttp.ClientSession() as http:
            dashboards = []
            for person in PERSONS:
                pid = stack.population.person(person).pid
                headers = {"Authorization": f"Bearer {stack.token(pid)}"}
                for _ in range(2):  # the first fills the cache; the second is the warm one
                    calls.clear()
                    async with http.post(
                        f"{stack.gateway_url}/graphql", json={"query": query}, headers=headers
                    ) as response:
                        body = await response.json()
                        assert "errors" not in body, body
                waves: dict[int, list[Call]] = {}
                for wave, call in calls:
                    waves.setdefault(wave, []).append(call)
                dashboards.append(list(waves.values()))
    finally:
        ReadThroughCache.read = original  # type: ignore[method-assign]
    return dashboards


async def replay(cache: Any, dashboards: list[list[list[Call]]], rounds: int) -> float:
    """CPU seconds per dashboard: every person's, `rounds` times over, all fresh hits."""

    async def never(keys: Sequence[Any]) -> Sequence[Any]:
        raise AssertionError(f"fetched {keys}: the cache was not warm")

    async def dashboard(waves: list[list[Call]]) -> None:
        for wave in waves:
            await asyncio.gather(*(cache.read(p, keys, never, viewer) for p, keys, viewer in wave))

    for waves in dashboards:
        await dashboard(waves)
    started = time.process_time()
    for _ in range(rounds):
        for waves in dashboards:
            await dashboard(waves)
    return (time.process_time() - started) / (rounds * len(dashboards))


async def whole_stack(redis_url: str | None, prefix: str, home: str, rounds: int) -> float:
    """Process CPU seconds per warm dashboard, the whole stack in this process."""
    import aiohttp
    from pydantic import SecretStr

    from kernel.settings import Settings
    from minside.stack import running_stack

    query = (Path(__file__).parent / "dashboard.graphql").read_text()
    settings = Settings(
        redis_url=redis_url,
        redis_key_prefix=prefix,
        secret_key=SecretStr("bench-read-cache-" + "b" * 32),
        outbox_url=f"sqlite:///{Path(home) / 'outbox.sqlite3'}",
    )
    async with running_stack(settings) as stack, aiohttp.ClientSession() as http:
        tokens = [stack.token(stack.population.person(person).pid) for person in PERSONS]
        slots = asyncio.Semaphore(16)

        async def dashboard(token: str) -> None:
            async with (
                slots,
                http.post(
                    f"{stack.gateway_url}/graphql",
                    json={"query": query},
                    headers={"Authorization": f"Bearer {token}"},
                ) as response,
            ):
                body = await response.json()
                assert "errors" not in body, body

        for _ in range(2):  # fill, then warm up
            await asyncio.gather(*(dashboard(token) for token in tokens))
        started = time.process_time()
        await asyncio.gather(*(dashboard(token) for _ in range(rounds) for token in tokens))
        return (time.process_time() - started) / (rounds * len(tokens))


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--stack", action="store_true", help="the whole gateway, not a replay")
    args = parser.parse_args()
    if args.stack:
        for name, url in (("memory", None), ("redis", args.redis)):
            prefix = f"bench-rcache:{uuid.uuid4().hex[:8]}:"
            with tempfile.TemporaryDirectory() as home:
                cpu = await whole_stack(url, prefix, home, args.rounds)
            await forget(args.redis, prefix)
            print(f"{name:>6}: {cpu * 1000:.2f} ms process CPU per warm dashboard (whole stack)")
        return
    from redis.asyncio import Redis

    from resolvers.read_cache import ReadThroughCache
    from stores.read_cache import MemoryReadCache
    from stores.read_cache_redis import RedisReadCache

    prefix = f"bench-rcache:{uuid.uuid4().hex[:8]}:"
    with tempfile.TemporaryDirectory() as home:
        dashboards = await record(args.redis, prefix, home)
    for person, waves in zip(PERSONS, dashboards, strict=True):
        reads = sum(len(wave) for wave in waves)
        keys = sum(len(call[1]) for wave in waves for call in wave)
        print(f"person #{person}: {len(waves)} waves, {reads} reads, {keys} keys")
    secret = ServerSecret("bench-read-cache-" + "b" * 32)
    client = Redis.from_url(args.redis)
    try:
        stores: dict[str, Callable[[], Any]] = {
            "memory": lambda: MemoryReadCache(10_000, time.time),
            "redis": lambda: RedisReadCache(
                client, secret.fernet_key("read-cache"), prefix=prefix, clock=time.time
            ),
        }
        for name, make in stores.items():
            cache = ReadThroughCache(
                make(), secret.derive("read-cache-key"), clock=time.time, stale_s=3600
            )
            for waves in dashboards:
                await fill(cache, waves)
            cpu = await replay(cache, dashboards, args.rounds)
            print(f"{name:>6}: {cpu * 1000:.2f} ms CPU per warm dashboard")
    finally:
        await client.aclose()
        await forget(args.redis, prefix)


async def forget(redis_url: str, prefix: str) -> None:
    """Delete the bench's keys."""
    from redis.asyncio import Redis

    client = Redis.from_url(redis_url)
    try:
        async for key in client.scan_iter(match=prefix + "*"):
            await client.delete(key)
    finally:
        await client.aclose()


async def fill(cache: Any, waves: list[list[Call]]) -> None:
    """Fetch every recorded key once, with values of a realistic size (from the stack's)."""
    for wave in waves:
        for policy, keys, viewer in wave:

            async def fetch(asked: Sequence[Any], name: str = policy.name) -> list[Any]:
                return [VALUES.get((name, key)) for key in asked]

            await cache.read(policy, keys, fetch, viewer)


if __name__ == "__main__":
    asyncio.run(main())
