"""The read-cache stores (in memory and Redis) under one suite, and the read-through cache over
Redis as several workers use it: one back-office call for a key missed by two workers at once,
stale-if-error, nothing in clear text at rest, a tampered entry a miss and never unpickled."""

from __future__ import annotations

import asyncio
import logging
import pickle
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import date

import pytest
from cryptography.fernet import Fernet
from redis.asyncio import Redis

from connectors.budget import request_budget
from connectors.errors import SystemUnavailable
from connectors.p360.models import Case, CaseKind
from kernel.errors import ErrorCode
from kernel.server_secret import ServerSecret
from kernel.servers import free_port
from kernel.settings import load_settings
from resolvers.errors import SourceError
from resolvers.read_cache import BatchFailed, CachePolicy, ReadThroughCache, Served, open_read_cache
from stores.read_cache import CachedRead, MemoryReadCache, ReadCache
from stores.read_cache_redis import RedisReadCache
from tests.clocks import FakeClock
from tests.services import RedisNamespace

PID = "01817700369"  # synthetic (Tenor-style: month + 80)
SECRET = ServerSecret("test-secret-" + "r" * 32)
CASES = CachePolicy("p360.cases", ttl_s=60)
NOW = 1_800_000_000.0


def case(number: str = "2024/01234", owner: str = PID) -> Case:
    return Case(
        recno=1,
        case_number=number,
        title=f"Byggesak for {owner}",
        kind=CaseKind.BUILDING,
        case_type_code="BYGGESAK",
        status="Under behandling",
        opened_on=date(2024, 3, 1),
        responsible_unit="Plan og bygg",
        external_id=None,
    )


def entry(
    value: object, fetched_at: float = NOW, ttl: float = 60, keep: float = 3600
) -> CachedRead:
    return CachedRead(value, fetched_at, fetched_at + ttl, fetched_at + ttl + keep)


class Clients:
    """Redis clients of "workers" on one prefix, closed at the end of the test."""

    def __init__(self, namespace: RedisNamespace) -> None:
        self.namespace = namespace
        self.opened: list[Redis] = []

    def client(self) -> Redis:
        client = Redis.from_url(self.namespace.url)
        self.opened.append(client)
        return client

    def store(self, clock: Callable[[], float], key: bytes | None = None) -> RedisReadCache:
        return RedisReadCache(
            self.client(),
            key or SECRET.fernet_key("read-cache"),
            prefix=self.namespace.prefix,
            clock=clock,
        )

    async def close(self) -> None:
        for client in self.opened:
            await client.aclose()


@pytest.fixture
async def clients(redis_namespace: RedisNamespace) -> AsyncIterator[Clients]:
    made = Clients(redis_namespace)
    try:
        yield made
    finally:
        await made.close()


@pytest.fixture(params=["memory", "redis"])
async def store_of(request: pytest.FixtureRequest) -> AsyncIterator[Callable[..., ReadCache]]:
    """Makes the store under test on a clock; Redis stores made twice share their data."""
    if request.param == "memory":
        yield lambda clock: MemoryReadCache(100, clock)
        return
    made = Clients(request.getfixturevalue("redis_namespace"))
    try:
        yield made.store
    finally:
        await made.close()


# --- the store interface, both backends -------------------------------------------------------


async def test_entries_round_trip_and_missing_keys_are_left_out(store_of) -> None:
    store = store_of(FakeClock(NOW))
    cases = (case(), case("2024/00007"))
    await store.put_many({"p360.cases:a": entry(cases), "p360.cases:b": entry(None)})
    found = await store.get_many(["p360.cases:a", "p360.cases:b", "p360.cases:c"])
    assert set(found) == {"p360.cases:a", "p360.cases:b"}
    assert found["p360.cases:a"] == entry(cases)
    assert found["p360.cases:a"].value[0].opened_on == date(2024, 3, 1)
    assert found["p360.cases:b"].value is None
    assert await store.get_many([]) == {}


async def test_an_entry_is_dropped_after_it_is_kept(store_of) -> None:
    clock = FakeClock(NOW)
    store = store_of(clock)
    await store.put_many({"k": entry("v", ttl=60, keep=100)})
    clock.advance(159)
    assert set(await store.get_many(["k"])) == {"k"}
    clock.advance(1)
    assert await store.get_many(["k"]) == {}


async def test_a_newer_entry_replaces_the_older_and_delete_forgets(store_of) -> None:
    store = store_of(FakeClock(NOW))
    await store.put_many({"k": entry("old"), "other": entry("x")})
    await store.put_many({"k": entry("new", fetched_at=NOW + 1)})
    assert (await store.get_many(["k"]))["k"].value == "new"
    await store.delete_many(["k", "never-there"])
    assert set(await store.get_many(["k", "other"])) == {"other"}
    await store.delete_many([])


async def test_a_lock_is_granted_to_the_first_taker(store_of) -> None:
    store = store_of(FakeClock(NOW))
    assert await store.try_lock_many(["a", "b"], "t1", 5) == {"a", "b"}
    await store.unlock_many(["a", "b"], "t1")
    assert await store.try_lock_many(["a"], "t2", 5) == {"a"}
    await store.unlock_many(["a"], "t2")


# --- Redis only: what is at rest, locks between workers ------------------------------------


async def test_redis_holds_no_clear_text(clients: Clients) -> None:
    store = clients.store(FakeClock(NOW))
    await store.put_many({"p360.cases:pseudonym": entry((case(),))})
    client = clients.opened[0]
    keys = [key async for key in client.scan_iter(match=clients.namespace.prefix + "*")]
    assert keys == [f"{clients.namespace.prefix}read:p360.cases:pseudonym".encode()]
    value = await client.get(keys[0])
    assert value is not None
    for clear in (PID, "Byggesak", "2024/01234", "Case", "p360"):
        assert clear.encode() not in value
    assert 3_659_000 < await client.pttl(keys[0]) <= 3_660_000  # until keep_until


class Booby:
    """Unpickling this runs code: a tampered entry must never get that far."""

    exploded = False

    def __reduce__(self) -> tuple[Callable[[], None], tuple[()]]:
        return (_explode, ())


def _explode() -> None:
    Booby.exploded = True


async def test_a_tampered_entry_is_a_miss_and_never_unpickled(clients: Clients) -> None:
    store = clients.store(FakeClock(NOW))
    await store.put_many({"k": entry("v"), "j": entry("w")})
    client = clients.opened[0]
    prefix = clients.namespace.prefix
    await client.set(f"{prefix}read:k", pickle.dumps(Booby()))
    sealed = await client.get(f"{prefix}read:j")
    assert sealed is not None
    await client.set(f"{prefix}read:j", sealed[:-4] + b"AAAA")
    foreign = Fernet(ServerSecret("another-secret-" + "o" * 32).fernet_key("read-cache"))
    await client.set(f"{prefix}read:f", foreign.encrypt(pickle.dumps(entry(Booby()))))
    assert await store.get_many(["k", "j", "f"]) == {}
    assert not Booby.exploded


async def test_an_entry_copied_under_another_key_is_a_miss(clients: Clients) -> None:
    # Someone able to write Redis copies one viewer's sealed entry under another's key: the
    # key is sealed with the entry, so the other viewer is not served it.
    writer, reader = clients.store(FakeClock(NOW)), clients.store(FakeClock(NOW))
    await writer.put_many({"p360.cases:viewer-a": entry((case(),))})
    client = clients.opened[0]
    prefix = clients.namespace.prefix
    sealed = await client.get(f"{prefix}read:p360.cases:viewer-a")
    assert sealed is not None
    await client.set(f"{prefix}read:p360.cases:viewer-b", sealed)
    assert await reader.get_many(["p360.cases:viewer-b"]) == {}
    assert set(await reader.get_many(["p360.cases:viewer-a"])) == {"p360.cases:viewer-a"}


async def test_a_redis_lock_keeps_other_workers_out_until_given_back(clients: Clients) -> None:
    a, b = clients.store(FakeClock(NOW)), clients.store(FakeClock(NOW))
    assert await a.try_lock_many(["x", "y"], "token-a", 5) == {"x", "y"}
    assert await b.try_lock_many(["x", "z"], "token-b", 5) == {"z"}
    await b.unlock_many(["x"], "token-b")  # not b's: stays taken
    assert await b.try_lock_many(["x"], "token-b", 5) == set()
    await a.unlock_many(["x", "y"], "token-a")
    assert await b.try_lock_many(["x", "y"], "token-b", 5) == {"x", "y"}


async def test_a_redis_lock_expires_by_itself(clients: Clients) -> None:
    a, b = clients.store(FakeClock(NOW)), clients.store(FakeClock(NOW))
    assert await a.try_lock_many(["x"], "token-a", 0.05) == {"x"}
    await asyncio.sleep(0.1)  # worker a died holding it
    assert await b.try_lock_many(["x"], "token-b", 5) == {"x"}


# --- the read-through cache over Redis, as workers share it ---------------------------------


class CountingFetch:
    """A back-office stand-in shared by the workers: counts calls; fails while `down`."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []
        self.down = False
        self.gate: asyncio.Event | None = None

    async def __call__(self, keys: Sequence[str]) -> list[str]:
        self.calls.append(list(keys))
        if self.gate is not None:
            await self.gate.wait()
        if self.down:
            raise BatchFailed(
                SourceError("p360", ErrorCode.SOURCE_UNAVAILABLE, "Public 360 is unavailable"),
                [("p360", SystemUnavailable("p360 down"))],
            )
        return [f"{key}@v1" for key in keys]


def worker(clients: Clients, clock: FakeClock, **options: float) -> ReadThroughCache:
    return ReadThroughCache(clients.store(clock), b"k" * 32, clock=clock, stale_s=3600, **options)


def values(outcomes: list[Served[str] | BatchFailed]) -> list[str]:
    assert all(isinstance(outcome, Served) for outcome in outcomes), outcomes
    return [outcome.value for outcome in outcomes if isinstance(outcome, Served)]


async def test_two_workers_missing_one_key_at_once_make_one_call(clients: Clients) -> None:
    clock, fetch = FakeClock(NOW), CountingFetch()
    fetch.gate = asyncio.Event()
    a, b = worker(clients, clock), worker(clients, clock)
    readers = [asyncio.create_task(cache.read(CASES, [PID], fetch)) for cache in (a, b, a, b)]
    await asyncio.sleep(0.1)  # both workers are waiting: one fetching, the other polling
    assert len(fetch.calls) == 1
    fetch.gate.set()
    results = await asyncio.wait_for(asyncio.gather(*readers), 3)
    assert len(fetch.calls) == 1
    assert all(values(result) == [f"{PID}@v1"] for result in results)


async def test_overlapping_batches_on_two_workers_ask_each_key_once(clients: Clients) -> None:
    clock, fetch = FakeClock(NOW), CountingFetch()
    fetch.gate = asyncio.Event()
    a, b = worker(clients, clock), worker(clients, clock)
    first = asyncio.create_task(a.read(CASES, ["k1", "k2"], fetch))
    await asyncio.sleep(0.05)
    second = asyncio.create_task(b.read(CASES, ["k2", "k3"], fetch))
    await asyncio.sleep(0.05)
    fetch.gate.set()
    assert values(await first) == ["k1@v1", "k2@v1"]
    assert values(await asyncio.wait_for(second, 3)) == ["k2@v1", "k3@v1"]
    asked = sorted(key for call in fetch.calls for key in call)
    assert asked == ["k1", "k2", "k3"]


async def test_a_worker_whose_peer_failed_asks_itself(clients: Clients) -> None:
    clock, fetch = FakeClock(NOW), CountingFetch()
    fetch.gate, fetch.down = asyncio.Event(), True
    a, b = worker(clients, clock), worker(clients, clock)
    first = asyncio.create_task(a.read(CASES, [PID], fetch))
    await asyncio.sleep(0.05)
    second = asyncio.create_task(b.read(CASES, [PID], fetch))
    await asyncio.sleep(0.05)
    assert len(fetch.calls) == 1
    fetch.gate.set()
    ((failed,),) = [await first]
    assert isinstance(failed, BatchFailed)
    ((again,),) = [await asyncio.wait_for(second, 3)]
    assert isinstance(again, BatchFailed)  # b took the freed lock and asked (still down)
    assert len(fetch.calls) == 2


async def test_a_lock_held_too_long_is_waited_out(clients: Clients) -> None:
    clock, fetch = FakeClock(NOW), CountingFetch()
    a = worker(clients, clock, flight_wait_s=0.2)
    dead = clients.store(clock)
    assert await dead.try_lock_many([a.key(CASES, PID)], "dead-worker", 30) != set()
    served = await asyncio.wait_for(a.read(CASES, [PID], fetch), 3)
    assert values(served) == [f"{PID}@v1"]
    assert len(fetch.calls) == 1


async def test_a_waiter_stops_waiting_when_its_request_budget_ends(clients: Clients) -> None:
    clock, fetch = FakeClock(NOW), CountingFetch()
    a = worker(clients, clock)  # waits up to 5 s for another worker's answer...
    dead = clients.store(clock)
    assert await dead.try_lock_many([a.key(CASES, PID)], "dead-worker", 30) != set()
    loop = asyncio.get_running_loop()
    started = loop.time()
    with request_budget(0.2):  # ...but not past its request's budget
        served = await a.read(CASES, [PID], fetch)
    assert loop.time() - started < 1.0
    assert values(served) == [f"{PID}@v1"] and len(fetch.calls) == 1


async def test_stale_if_error_on_redis(clients: Clients) -> None:
    clock, fetch = FakeClock(NOW), CountingFetch()
    a, b = worker(clients, clock), worker(clients, clock)
    assert values(await a.read(CASES, [PID], fetch)) == [f"{PID}@v1"]
    clock.advance(61)
    fetch.down = True
    (stale,) = await b.read(CASES, [PID], fetch)  # the other worker has the kept copy
    assert isinstance(stale, Served) and stale.stale and stale.fetched_at == NOW
    assert len(fetch.calls) == 2


async def test_a_fresh_entry_from_one_worker_is_a_hit_on_another(clients: Clients) -> None:
    clock, fetch = FakeClock(NOW), CountingFetch()
    a, b = worker(clients, clock), worker(clients, clock)
    await a.read(CASES, [PID, "other"], fetch)
    (hit,) = await b.read(CASES, [PID], fetch)
    assert isinstance(hit, Served) and hit.cached
    await b.invalidate(CASES, [PID])
    await a.read(CASES, [PID], fetch)
    assert fetch.calls == [[PID, "other"], [PID]]


async def test_the_settings_put_the_cache_in_redis(redis_namespace: RedisNamespace) -> None:
    settings = load_settings(redis_url=redis_namespace.url, redis_key_prefix=redis_namespace.prefix)
    client = Redis.from_url(redis_namespace.url)
    try:
        cache = open_read_cache(settings, SECRET, redis=client)
        assert cache is not None and isinstance(cache.store, RedisReadCache)
        fetch = CountingFetch()
        assert values(await cache.read(CASES, [PID], fetch)) == [f"{PID}@v1"]
        keys = [key async for key in client.scan_iter(match=redis_namespace.prefix + "read:*")]
        assert len(keys) == 1
        assert open_read_cache(settings, SECRET) is not None  # no client: in memory
    finally:
        await client.aclose()


async def test_a_redis_that_is_down_makes_reads_misses_not_failures() -> None:
    client = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=0.5)
    try:
        store = RedisReadCache(client, SECRET.fernet_key("read-cache"), clock=FakeClock(NOW))
        cache = ReadThroughCache(store, b"k" * 32, clock=FakeClock(NOW), stale_s=3600)
        fetch = CountingFetch()
        assert values(await cache.read(CASES, [PID], fetch)) == [f"{PID}@v1"]
        assert values(await cache.read(CASES, [PID], fetch)) == [f"{PID}@v1"]
        assert len(fetch.calls) == 2  # nothing kept, every read asks the system
        await store.delete_many(["k"])
    finally:
        await client.aclose()


class CancelAfterLocking(RedisReadCache):
    """Cancels `victim` as soon as its locks are taken, before the jobs using them start."""

    victim: asyncio.Task[object] | None = None

    async def try_lock_many(self, keys: Sequence[str], token: str, ttl_s: float) -> set[str]:
        taken = await super().try_lock_many(keys, token, ttl_s)
        if self.victim is not None:
            asyncio.get_running_loop().call_soon(self.victim.cancel)
        return taken


async def test_a_read_cancelled_before_its_fetch_starts_gives_its_locks_back(
    clients: Clients,
) -> None:
    clock, fetch = FakeClock(NOW), CountingFetch()
    dead = clients.store(clock)
    store = CancelAfterLocking(
        clients.client(),
        SECRET.fernet_key("read-cache"),
        prefix=clients.namespace.prefix,
        clock=clock,
    )
    cache = ReadThroughCache(store, b"k" * 32, clock=clock, stale_s=3600)
    # "elsewhere" is another worker's (so the read polls it while it fetches "mine")
    assert await dead.try_lock_many([cache.key(CASES, "elsewhere")], "dead-worker", 30)
    reader = asyncio.create_task(cache.read(CASES, ["elsewhere", "mine"], fetch))
    store.victim = reader
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(reader, 3)
    assert fetch.calls == []  # cancelled before the fetch began...
    client = clients.opened[0]
    lock = f"{clients.namespace.prefix}read-lock:{cache.key(CASES, 'mine')}"
    assert await client.exists(lock) == 0  # ...and the lock it took is given back
    elsewhere = f"{clients.namespace.prefix}read-lock:{cache.key(CASES, 'elsewhere')}"
    assert await client.get(elsewhere) == b"dead-worker"  # not its to give back
    store.victim = None
    peer = worker(clients, clock)  # a peer missing "mine" now asks at once, not in 5 s
    served = await asyncio.wait_for(peer.read(CASES, ["mine"], fetch), 1)
    assert values(served) == ["mine@v1"]


async def test_a_read_cancelled_mid_fetch_gives_its_locks_back(clients: Clients) -> None:
    clock, fetch = FakeClock(NOW), CountingFetch()
    fetch.gate = asyncio.Event()
    dead = clients.store(clock)
    cache = worker(clients, clock)
    assert await dead.try_lock_many([cache.key(CASES, "elsewhere")], "dead-worker", 30)
    reader = asyncio.create_task(cache.read(CASES, ["elsewhere", "mine"], fetch))
    await asyncio.sleep(0.1)
    assert fetch.calls == [["mine"]]
    reader.cancel()
    with pytest.raises(asyncio.CancelledError):
        await reader
    lock = f"{clients.namespace.prefix}read-lock:{cache.key(CASES, 'mine')}"
    assert await clients.opened[0].exists(lock) == 0


# --- a Redis that hangs: per-operation deadline and circuit breaker ---------------------------


class Blackhole:
    """A TCP server that accepts connections and never answers: a hung (blackholed) Redis."""

    def __init__(self) -> None:
        self.connections = 0
        self.received = 0
        self.port = 0
        self._server: asyncio.Server | None = None

    async def _hold(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while chunk := await reader.read(65536):
                self.received += len(chunk)
        finally:
            writer.close()

    async def __aenter__(self) -> Blackhole:
        self._server = await asyncio.start_server(self._hold, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._server is not None
        self._server.close()


class Ticks:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_a_hung_redis_costs_one_short_deadline_then_is_skipped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    loop = asyncio.get_running_loop()
    ticks = Ticks()
    async with Blackhole() as hole:
        client = Redis.from_url(f"redis://127.0.0.1:{hole.port}/0", socket_timeout=2)
        try:
            store = RedisReadCache(
                client, SECRET.fernet_key("read-cache"), clock=FakeClock(NOW), monotonic=ticks
            )
            started = loop.time()
            assert await store.get_many(["k"]) == {}  # a miss, not a 2 s stall
            assert loop.time() - started < 1.5
            assert store.breaker_open and hole.connections == 1
            await asyncio.sleep(0.05)
            seen = (hole.connections, hole.received)
            started = loop.time()
            for _ in range(5):  # open: nothing reaches Redis, every operation answers at once
                assert await store.get_many(["k"]) == {}
                await store.put_many({"k": entry("v")})
                assert await store.try_lock_many(["k"], "t", 5) == {"k"}  # granted
                await store.unlock_many(["k"], "t")
                await store.delete_many(["k"])
            assert loop.time() - started < 0.5
            await asyncio.sleep(0.05)
            assert (hole.connections, hole.received) == seen
            warnings = [r for r in caplog.records if r.levelname == "WARNING"]
            assert len(warnings) == 1 and "skipping Redis" in warnings[0].getMessage()

            ticks.now += 5  # open time over: one operation probes (and fails again)...
            assert await store.get_many(["k"]) == {}
            assert hole.connections == 2 and store.breaker_open
            assert len([r for r in caplog.records if r.levelname == "WARNING"]) == 1
        finally:
            await client.aclose()


async def test_the_breaker_closes_when_redis_answers_again(
    clients: Clients, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="stores.read_cache_redis")
    ticks = Ticks()
    async with Blackhole() as hole:
        hung = Redis.from_url(f"redis://127.0.0.1:{hole.port}/0")
        try:
            store = RedisReadCache(
                hung,
                SECRET.fernet_key("read-cache"),
                prefix=clients.namespace.prefix,
                clock=FakeClock(NOW),
                op_timeout_s=0.1,
                monotonic=ticks,
            )
            assert await store.get_many(["k"]) == {}
            assert store.breaker_open
            store.client = clients.client()  # Redis is back (same prefix, a live server)
            await clients.store(FakeClock(NOW)).put_many({"k": entry("v")})
            assert await store.get_many(["k"]) == {}  # still open: not asked
            ticks.now += 5
            assert await store.get_many(["k"]) == {"k": entry("v")}  # the probe: closed
            assert not store.breaker_open
            infos = [r for r in caplog.records if r.levelname == "INFO"]
            assert any("answers again" in r.getMessage() for r in infos)
        finally:
            await hung.aclose()


# --- the opened entries a store remembers -----------------------------------------------------


async def test_a_hit_on_the_same_sealed_bytes_is_not_opened_again(clients: Clients) -> None:
    clock = FakeClock(NOW)
    a, b = clients.store(clock), clients.store(clock)
    await b.put_many({"k": entry((case(),))})
    first = (await a.get_many(["k"]))["k"]
    again = (await a.get_many(["k"]))["k"]
    assert again is first  # the same bytes from Redis: not decrypted and unpickled again
    await b.put_many({"k": entry((case("2024/00007"),))})  # another worker's newer entry
    newer = (await a.get_many(["k"]))["k"]
    assert newer is not first and newer.value[0].case_number == "2024/00007"
    await b.delete_many(["k"])
    assert await a.get_many(["k"]) == {}


async def test_a_remembered_entry_does_not_vouch_for_other_bytes(clients: Clients) -> None:
    store = clients.store(FakeClock(NOW))
    await store.put_many({"k": entry("v")})
    assert (await store.get_many(["k"]))["k"].value == "v"  # remembered now
    client, prefix = clients.opened[0], clients.namespace.prefix
    sealed = await client.get(f"{prefix}read:k")
    assert sealed is not None
    await client.set(f"{prefix}read:k", sealed[:-4] + b"AAAA")
    assert await store.get_many(["k"]) == {}
    await client.set(f"{prefix}read:k", pickle.dumps(entry(Booby())))
    assert await store.get_many(["k"]) == {}
    assert not Booby.exploded


async def test_the_reads_of_one_tick_share_one_mget(
    clients: Clients, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = clients.store(FakeClock(NOW))
    await store.put_many({f"k{i}": entry(f"v{i}") for i in range(4)})
    sent: list[tuple[str, ...]] = []
    mget = store.client.mget

    def counting(names: Sequence[str]) -> object:
        sent.append(tuple(names))
        return mget(names)

    monkeypatch.setattr(store.client, "mget", counting)
    reads = [store.get_many(["k0", "k1"]), store.get_many(["k1", "k2"]), store.get_many(["k9"])]
    cancelled = asyncio.create_task(store.get_many(["k3"]))
    found = asyncio.gather(*reads)
    await asyncio.sleep(0)
    cancelled.cancel()  # one reader gone: the others are still answered
    first, second, third = await asyncio.wait_for(found, 3)
    assert {key: e.value for key, e in first.items()} == {"k0": "v0", "k1": "v1"}
    assert {key: e.value for key, e in second.items()} == {"k1": "v1", "k2": "v2"}
    assert third == {}
    assert len(sent) == 1 and len(sent[0]) == 5  # k0..k3 and k9, each once
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    assert (await store.get_many(["k3"]))["k3"].value == "v3"
    assert len(sent) == 2


async def test_reads_through_a_hung_redis_ask_the_system_without_stalling() -> None:
    loop = asyncio.get_running_loop()
    async with Blackhole() as hole:
        client = Redis.from_url(f"redis://127.0.0.1:{hole.port}/0", socket_timeout=2)
        try:
            store = RedisReadCache(client, SECRET.fernet_key("read-cache"), clock=FakeClock(NOW))
            cache = ReadThroughCache(store, b"k" * 32, clock=FakeClock(NOW), stale_s=3600)
            fetch = CountingFetch()
            started = loop.time()
            # miss, lock, write, unlock: one deadline in all (was a socket timeout each)
            assert values(await cache.read(CASES, [PID, "other"], fetch)) == [
                f"{PID}@v1",
                "other@v1",
            ]
            assert loop.time() - started < 1.5
            await asyncio.sleep(0.05)
            seen = hole.received
            for _ in range(3):  # Redis skipped meanwhile: each read asks the system at once
                assert values(await cache.read(CASES, [PID], fetch)) == [f"{PID}@v1"]
            await asyncio.sleep(0.05)
            assert hole.received == seen and len(fetch.calls) == 4
        finally:
            await client.aclose()
