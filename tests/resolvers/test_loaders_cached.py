"""RequestLoader with a cache policy: reads across requests, single-flight between requests,
stale-if-error and what ``viewer.sources`` says about each (on a fake clock)."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence
from datetime import datetime

import pytest

from connectors.errors import SystemUnavailable
from resolvers.context import Context
from resolvers.errors import SourceError
from resolvers.loaders import RequestLoader
from resolvers.read_cache import CachePolicy, ReadThroughCache
from resolvers.shared import SharedServices
from resolvers.sources import SourceState
from resolvers.testing import context_for_test, services_for_test
from stores.read_cache import MemoryReadCache
from tests.clocks import FakeClock


class _Register:
    """A back-office operation that counts its calls, fails while ``down``, waits on ``gate``."""

    def __init__(self) -> None:
        self.down = False
        self.gate: asyncio.Event | None = None
        self.calls: list[list[str]] = []

    async def lookup(self, keys: Sequence[str]) -> list[str]:
        self.calls.append(list(keys))
        if self.gate is not None:
            await self.gate.wait()
        if self.down:
            raise SystemUnavailable("register is down", system="fees")
        return [key.upper() for key in keys]


def _loader_class(register: _Register) -> type[RequestLoader[str, str]]:
    class UpperByKeyLoader(RequestLoader[str, str]):
        system = "fees"
        cache_policy = CachePolicy("fees.upper", ttl_s=60)

        async def fetch(self, keys: Sequence[str]) -> list[str]:
            return await self.call(register.lookup(keys))

    return UpperByKeyLoader


def _services(clock: FakeClock) -> SharedServices:
    read_cache = ReadThroughCache(MemoryReadCache(100, clock), b"k" * 32, clock=clock, stale_s=3600)
    return dataclasses.replace(services_for_test(), read_cache=read_cache)


def _state(context: Context) -> tuple[SourceState, datetime | None]:
    (report,) = [r for r in context.sources.report() if r.system == "fees"]
    return report.state, report.as_of


async def test_a_later_request_is_served_from_the_cache_as_of_its_fetch() -> None:
    clock, register = FakeClock(1_800_000_000.0), _Register()
    services = _services(clock)
    loader_class = _loader_class(register)
    fetched_at = clock()
    assert await context_for_test(services).loader(loader_class).values(["a", "b"]) == ["A", "B"]
    clock.now += 30
    later = context_for_test(services)
    assert await later.loader(loader_class).values(["b", "a"]) == ["B", "A"]
    assert register.calls == [["a", "b"]]
    state, as_of = _state(later)
    assert state is SourceState.OK and as_of is not None and as_of.timestamp() == fetched_at


async def test_a_failing_system_is_served_stale_and_reported_so() -> None:
    clock, register = FakeClock(1_800_000_000.0), _Register()
    services = _services(clock)
    loader_class = _loader_class(register)
    fetched_at = clock()
    await context_for_test(services).loader(loader_class).value("a")
    clock.now += 61
    register.down = True
    context = context_for_test(services)
    assert await context.loader(loader_class).value("a") == "A"
    assert len(register.calls) == 2
    assert context.sources.failures == {}
    state, as_of = _state(context)
    assert state is SourceState.STALE and as_of is not None and as_of.timestamp() == fetched_at


async def test_a_key_without_a_kept_copy_still_fails_and_makes_the_system_unavailable() -> None:
    clock, register = FakeClock(1_800_000_000.0), _Register()
    services = _services(clock)
    loader_class = _loader_class(register)
    await context_for_test(services).loader(loader_class).value("a")
    clock.now += 61
    register.down = True
    context = context_for_test(services)
    loader = context.loader(loader_class)
    assert await loader.value("a") == "A"
    with pytest.raises(SourceError):
        await loader.value("b")
    assert _state(context)[0] is SourceState.UNAVAILABLE


async def test_concurrent_requests_share_one_call() -> None:
    clock, register = FakeClock(1_800_000_000.0), _Register()
    register.gate = asyncio.Event()
    services = _services(clock)
    loader_class = _loader_class(register)
    contexts = [context_for_test(services) for _ in range(10)]
    reads = [asyncio.create_task(c.loader(loader_class).value("a")) for c in contexts]
    for _ in range(10):
        await asyncio.sleep(0)
    register.gate.set()
    assert await asyncio.gather(*reads) == ["A"] * 10
    assert register.calls == [["a"]]


async def test_concurrent_requests_share_a_failure_and_each_reports_it() -> None:
    clock, register = FakeClock(1_800_000_000.0), _Register()
    register.gate, register.down = asyncio.Event(), True
    services = _services(clock)
    loader_class = _loader_class(register)
    contexts = [context_for_test(services) for _ in range(3)]
    reads = [asyncio.create_task(c.loader(loader_class).value("a")) for c in contexts]
    for _ in range(10):
        await asyncio.sleep(0)
    register.gate.set()
    outcomes = await asyncio.gather(*reads, return_exceptions=True)
    assert all(isinstance(outcome, SourceError) for outcome in outcomes)
    assert register.calls == [["a"]]
    for context in contexts:
        assert "fees" in context.sources.failures
        assert _state(context)[0] is SourceState.UNAVAILABLE


async def test_without_a_cache_every_request_asks() -> None:
    register = _Register()
    loader_class = _loader_class(register)
    for _ in range(2):
        await context_for_test().loader(loader_class).value("a")
    assert register.calls == [["a"], ["a"]]
