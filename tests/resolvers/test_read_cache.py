"""The read cache on its own (resolvers.read_cache over stores.read_cache), on a fake clock:
TTLs, single-flight, stale-if-error, pseudonymous keys, a bounded store, MINSIDE_CACHE=off."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from connectors.errors import RequestBudgetSpent, SystemUnavailable
from kernel.errors import ErrorCode
from kernel.server_secret import ServerSecret
from kernel.settings import Settings
from resolvers.errors import SourceError
from resolvers.read_cache import (
    BatchFailed,
    CachePolicy,
    ReadThroughCache,
    Served,
    open_read_cache,
)
from stores.read_cache import MemoryReadCache
from tests.clocks import FakeClock

PID = "01017012345"  # synthetic
CASES = CachePolicy("p360.cases", ttl_s=60)


class CountingFetch:
    """A back-office stand-in: counts calls and the keys asked; fails while `down`."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []
        self.down = False
        self.gate: asyncio.Event | None = None
        self.version = 0

    async def __call__(self, keys: Sequence[str]) -> list[str]:
        self.calls.append(list(keys))
        if self.gate is not None:
            await self.gate.wait()
        if self.down:
            failure = SystemUnavailable("p360 down")
            raise BatchFailed(
                SourceError("p360", ErrorCode.SOURCE_UNAVAILABLE, "Public 360 is unavailable"),
                [("p360", failure)],
            )
        return [f"{key}@v{self.version}" for key in keys]


def make_cache(
    clock: FakeClock, max_entries: int = 100, stale_s: float = 3600, **ttls: float
) -> ReadThroughCache:
    return ReadThroughCache(
        MemoryReadCache(max_entries, clock),
        b"k" * 32,
        clock=clock,
        stale_s=stale_s,
        ttl_overrides=ttls,
    )


def values(outcomes: list[Served[str] | BatchFailed]) -> list[str]:
    served = []
    for outcome in outcomes:
        assert isinstance(outcome, Served), outcome
        served.append(outcome.value)
    return served


async def test_fresh_inside_the_ttl_and_fetched_again_after_it() -> None:
    clock, fetch = FakeClock(1_800_000_000.0), CountingFetch()
    cache = make_cache(clock)
    assert values(await cache.read(CASES, [PID], fetch)) == [f"{PID}@v0"]
    fetch.version = 1
    clock.advance(59)
    (hit,) = await cache.read(CASES, [PID], fetch)
    assert isinstance(hit, Served) and hit.cached and hit.value == f"{PID}@v0"
    assert len(fetch.calls) == 1
    clock.advance(2)
    assert values(await cache.read(CASES, [PID], fetch)) == [f"{PID}@v1"]
    assert len(fetch.calls) == 2


async def test_only_the_missing_keys_are_fetched_in_one_batch() -> None:
    clock, fetch = FakeClock(1_800_000_000.0), CountingFetch()
    cache = make_cache(clock)
    policy = CachePolicy("matrikkel.addresses", ttl_s=3600)
    await cache.read(policy, ["a", "b"], fetch)
    assert values(await cache.read(policy, ["a", "c", "b", "d"], fetch)) == [
        "a@v0",
        "c@v0",
        "b@v0",
        "d@v0",
    ]
    assert fetch.calls == [["a", "b"], ["c", "d"]]


async def test_a_configured_ttl_replaces_the_policys() -> None:
    clock, fetch = FakeClock(1_800_000_000.0), CountingFetch()
    cache = make_cache(clock, **{"p360.cases": 5})
    assert cache.ttl(CASES) == 5
    await cache.read(CASES, [PID], fetch)
    clock.advance(6)
    await cache.read(CASES, [PID], fetch)
    assert len(fetch.calls) == 2


async def test_concurrent_identical_reads_share_one_call() -> None:
    clock, fetch = FakeClock(1_800_000_000.0), CountingFetch()
    fetch.gate = asyncio.Event()
    cache = make_cache(clock)
    readers = [asyncio.create_task(cache.read(CASES, [PID], fetch)) for _ in range(20)]
    for _ in range(5):
        await asyncio.sleep(0)
    fetch.gate.set()
    results = await asyncio.gather(*readers)
    assert len(fetch.calls) == 1
    assert all(values(result) == [f"{PID}@v0"] for result in results)


async def test_concurrent_readers_share_a_failure_too() -> None:
    clock, fetch = FakeClock(1_800_000_000.0), CountingFetch()
    fetch.gate, fetch.down = asyncio.Event(), True
    cache = make_cache(clock)
    readers = [asyncio.create_task(cache.read(CASES, [PID], fetch)) for _ in range(5)]
    for _ in range(5):
        await asyncio.sleep(0)
    fetch.gate.set()
    results = await asyncio.gather(*readers)
    assert len(fetch.calls) == 1
    for (outcome,) in results:
        assert isinstance(outcome, BatchFailed)
        assert outcome.failures and outcome.failures[0][0] == "p360"


async def test_a_fetcher_out_of_its_own_time_budget_leaves_its_waiters_to_fetch() -> None:
    # The first request's budget ran out (RequestBudgetSpent, a GatewayTimeout): that says
    # nothing about Public 360, so the others ask again under their own budgets.
    clock, fetch = FakeClock(1_800_000_000.0), CountingFetch()
    fetch.gate = asyncio.Event()
    cache = make_cache(clock)
    spent = BatchFailed(
        SourceError("p360", ErrorCode.SOURCE_TIMEOUT, "Public 360 did not answer in time"),
        [("p360", RequestBudgetSpent("budget spent"))],
    )
    first = True

    async def fetch_once_out_of_budget(keys: Sequence[str]) -> list[str]:
        nonlocal first
        if first:
            first = False
            await fetch.gate.wait()
            raise spent
        return await fetch(keys)

    owner = asyncio.create_task(cache.read(CASES, [PID], fetch_once_out_of_budget))
    await asyncio.sleep(0)
    waiter = asyncio.create_task(cache.read(CASES, [PID], fetch_once_out_of_budget))
    await asyncio.sleep(0)
    fetch.gate.set()
    (owned,) = await owner
    assert owned is spent  # the request whose budget it was gets its timeout
    assert values(await waiter) == [f"{PID}@v0"]  # the waiter asked again, and got the data
    assert len(fetch.calls) == 1


async def test_a_cancelled_fetcher_leaves_its_waiters_to_fetch_themselves() -> None:
    clock, fetch = FakeClock(1_800_000_000.0), CountingFetch()
    fetch.gate = asyncio.Event()
    cache = make_cache(clock)
    owner = asyncio.create_task(cache.read(CASES, [PID], fetch))
    await asyncio.sleep(0)
    waiter = asyncio.create_task(cache.read(CASES, [PID], fetch))
    await asyncio.sleep(0)
    owner.cancel()
    with pytest.raises(asyncio.CancelledError):
        await owner
    fetch.gate.set()
    assert values(await waiter) == [f"{PID}@v0"]
    assert len(fetch.calls) == 2


async def test_stale_if_error_serves_the_kept_copy_with_its_fetch_time() -> None:
    clock, fetch = FakeClock(1_800_000_000.0), CountingFetch()
    cache = make_cache(clock, stale_s=3600)
    fetched_at = clock()
    await cache.read(CASES, [PID], fetch)
    clock.advance(600)
    fetch.down = True
    (outcome,) = await cache.read(CASES, [PID], fetch)
    assert isinstance(outcome, Served)
    assert outcome.stale and outcome.value == f"{PID}@v0" and outcome.fetched_at == fetched_at
    assert len(fetch.calls) == 2  # the system was asked first
    # Past the stale window nothing is kept: the failure shows.
    clock.advance(3600)
    (outcome,) = await cache.read(CASES, [PID], fetch)
    assert isinstance(outcome, BatchFailed)


async def test_a_failure_without_a_kept_copy_fails_only_the_keys_without_one() -> None:
    clock, fetch = FakeClock(1_800_000_000.0), CountingFetch()
    cache = make_cache(clock)
    policy = CachePolicy("fees.records", ttl_s=10)
    await cache.read(policy, ["a"], fetch)
    clock.advance(11)
    fetch.down = True
    kept, missing = await cache.read(policy, ["a", "b"], fetch)
    assert isinstance(kept, Served) and kept.stale
    assert isinstance(missing, BatchFailed)


async def test_invalidate_makes_the_next_read_ask_again() -> None:
    clock, fetch = FakeClock(1_800_000_000.0), CountingFetch()
    cache = make_cache(clock)
    await cache.read(CASES, [PID], fetch)
    fetch.version = 1
    await cache.invalidate(CASES, [PID])
    assert values(await cache.read(CASES, [PID], fetch)) == [f"{PID}@v1"]


async def test_keys_hold_no_clear_text_and_differ_by_policy_and_viewer() -> None:
    cache = make_cache(FakeClock(1_800_000_000.0))
    key = cache.key(CASES, PID)
    assert PID not in key and PID[:6] not in key and PID[-5:] not in key
    assert key.startswith("p360.cases:")
    assert cache.key(CachePolicy("p360.documents", 60), PID) != key
    per_viewer = CachePolicy("visma.invoice", 60, per_viewer=True)
    mine, theirs = cache.key(per_viewer, "123", PID), cache.key(per_viewer, "123", "02027012345")
    assert mine != theirs and PID not in mine
    # The secret matters: another process's secret gives other keys.
    other = ReadThroughCache(
        MemoryReadCache(10, FakeClock(1_800_000_000.0)),
        b"x" * 32,
        clock=FakeClock(1_800_000_000.0),
        stale_s=0,
    )
    assert other.key(CASES, PID) != key


async def test_the_store_stays_within_its_bound() -> None:
    clock, fetch = FakeClock(1_800_000_000.0), CountingFetch()
    store = MemoryReadCache(50, clock)
    cache = ReadThroughCache(store, b"k" * 32, clock=clock, stale_s=60)
    for batch in range(20):
        await cache.read(CASES, [f"{batch}-{n}" for n in range(10)], fetch)
    assert len(store) == 50
    # Entries past their stale window go too.
    clock.advance(60 + 61)
    assert len(store) == 0


async def test_the_settings_choose_the_cache(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    secret = ServerSecret("s" * 40)
    monkeypatch.setenv("MINSIDE_CACHE", "off")
    assert open_read_cache(Settings(), secret) is None
    monkeypatch.setenv("MINSIDE_CACHE", "on")
    monkeypatch.setenv("MINSIDE_CACHE_TTL_S", '{"p360.cases": 7}')
    cache = open_read_cache(Settings(), secret)
    assert cache is not None and cache.ttl(CASES) == 7
