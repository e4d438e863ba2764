"""One suite for both session stores: in memory (one process) and Redis (many workers).

Every test runs against both. "Two workers" are two store objects: for Redis each with its own
client on one key prefix (what two gateway processes have); in memory the same object (one
process is all it can serve). Expiry is checked on a fake clock (the stores compare their
records' times) and, once, with real short TTLs, which Redis enforces by itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from redis.asyncio import Redis

from auth.acr import Acr
from auth.session_redis import RedisSessionStore
from auth.sessions import (
    InMemorySessionStore,
    PendingLogin,
    SessionData,
    SessionStore,
    digest,
)
from kernel.server_secret import ServerSecret
from tests.clocks import FakeClock
from tests.services import RedisNamespace

PID = "01817700369"  # synthetic (Tenor-style: month + 80)
ID_TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzdWItMSJ9.c2lnbmF0dXJl"
SECRET = ServerSecret("test-secret-" + "s" * 32)


def _session(sid: str | None = "sid-1") -> SessionData:
    return SessionData(pid=PID, sub="sub-1", acr=Acr.SUBSTANTIAL, sid=sid, id_token=ID_TOKEN)


@dataclass
class Backend:
    """Makes session stores of one kind; `worker()` is one more process on the same data."""

    name: str
    make: Callable[..., SessionStore]
    clients: list[Redis] = field(default_factory=list)
    prefix: str = ""

    def worker(self, **kwargs: Any) -> SessionStore:
        return self.make(**kwargs)


@contextlib.asynccontextmanager
async def redis_backend(namespace: RedisNamespace) -> AsyncIterator[Backend]:
    backend = Backend("redis", lambda **kwargs: InMemorySessionStore(), prefix=namespace.prefix)

    def redis(**kwargs: Any) -> SessionStore:
        client = Redis.from_url(namespace.url)
        backend.clients.append(client)
        return RedisSessionStore(
            client, SECRET.fernet_key("session-store"), prefix=namespace.prefix, **kwargs
        )

    backend.make = redis
    try:
        yield backend
    finally:
        for client in backend.clients:
            await client.aclose()


@pytest.fixture(params=["memory", "redis"])
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    if request.param == "memory":
        stores: dict[str, InMemorySessionStore] = {}

        def memory(**kwargs: Any) -> SessionStore:
            # One process: every "worker" is the same store (made with the first options).
            return stores.setdefault("only", InMemorySessionStore(**kwargs))

        yield Backend("memory", memory)
        return
    async with redis_backend(request.getfixturevalue("redis_namespace")) as backend:
        yield backend


@pytest.fixture
async def on_redis(redis_namespace: RedisNamespace) -> AsyncIterator[Backend]:
    async with redis_backend(redis_namespace) as backend:
        yield backend


def redis_store(backend: Backend, **kwargs: Any) -> RedisSessionStore:
    store = backend.worker(**kwargs)
    assert isinstance(store, RedisSessionStore)
    return store


async def test_a_session_made_on_one_worker_is_valid_on_another(backend: Backend) -> None:
    clock = FakeClock()
    a, b = backend.worker(clock=clock), backend.worker(clock=clock)
    session_id = await a.create(_session())
    data = await b.get(session_id)
    assert data is not None
    assert (data.pid, data.sub, data.acr, data.sid, data.id_token) == (
        PID,
        "sub-1",
        Acr.SUBSTANTIAL,
        "sid-1",
        ID_TOKEN,
    )
    assert data.created_at == clock.now and data.last_seen_at == clock.now
    assert await b.get("not-a-session") is None


async def test_idle_expiry_is_sliding_across_workers(backend: Backend) -> None:
    clock = FakeClock()
    a = backend.worker(idle_timeout_s=1800, max_lifetime_s=8 * 3600, clock=clock)
    b = backend.worker(idle_timeout_s=1800, max_lifetime_s=8 * 3600, clock=clock)
    session_id = await a.create(_session())
    clock.advance(1700)
    assert await b.get(session_id) is not None  # used on b: the window slides for a too
    clock.advance(1700)
    assert await a.get(session_id) is not None
    clock.advance(1800)
    assert await b.get(session_id) is None
    assert await a.get(session_id) is None


async def test_max_lifetime_ends_a_session_in_use(backend: Backend) -> None:
    clock = FakeClock()
    a = backend.worker(idle_timeout_s=1800, max_lifetime_s=3600, clock=clock)
    b = backend.worker(idle_timeout_s=1800, max_lifetime_s=3600, clock=clock)
    session_id = await a.create(_session())
    for store in (a, b, a):
        clock.advance(1000)
        assert await store.get(session_id) is not None
    clock.advance(1000)  # 4000 s after login, although used 1000 s ago
    assert await b.get(session_id) is None


async def test_expiry_with_real_time(backend: Backend) -> None:
    store = backend.worker(idle_timeout_s=0.15, max_lifetime_s=60, clock=time.time)
    session_id = await store.create(_session())
    assert await store.get(session_id) is not None
    await asyncio.sleep(0.25)
    assert await store.get(session_id) is None


async def test_logout_on_one_worker_ends_the_session_everywhere(backend: Backend) -> None:
    clock = FakeClock()
    a, b = backend.worker(clock=clock), backend.worker(clock=clock)
    session_id = await a.create(_session())
    other = await a.create(_session("sid-2"))
    ended = await b.delete(session_id)
    assert ended is not None and ended.id_token == ID_TOKEN
    assert await a.get(session_id) is None
    assert await b.delete(session_id) is None
    assert await a.get(other) is not None
    assert await a.delete_by_sid("sid-1") == 0  # its sid no longer finds it


async def test_front_channel_logout_ends_every_session_of_the_sid(backend: Backend) -> None:
    clock = FakeClock()
    a, b = backend.worker(clock=clock), backend.worker(clock=clock)
    first = await a.create(_session("sid-a"))
    second = await b.create(_session("sid-a"))
    other = await a.create(_session("sid-b"))
    no_sid = await a.create(_session(None))
    assert first != second
    assert await b.delete_by_sid("sid-a") == 2
    assert await a.get(first) is None and await b.get(second) is None
    assert await b.get(other) is not None and await b.get(no_sid) is not None
    assert await a.delete_by_sid("sid-a") == 0
    assert await a.delete_by_sid("unknown") == 0


async def test_pending_login_is_one_time_and_expires(backend: Backend) -> None:
    clock = FakeClock()
    a = backend.worker(login_ttl_s=600, clock=clock)
    b = backend.worker(login_ttl_s=600, clock=clock)
    pending = PendingLogin("binding", "nonce", "verifier", Acr.HIGH, "/fakturaer", clock.now)
    await a.put_login("state-1", pending)
    assert await b.take_login("state-1") == pending  # the callback may reach another worker
    assert await a.take_login("state-1") is None
    await a.put_login("state-2", pending)
    clock.advance(601)
    assert await b.take_login("state-2") is None


async def test_a_pending_login_is_taken_once_by_concurrent_callbacks(backend: Backend) -> None:
    clock = FakeClock()
    workers = [backend.worker(clock=clock) for _ in range(4)]
    pending = PendingLogin("binding", "nonce", "verifier", Acr.SUBSTANTIAL, "/", clock.now)
    await workers[0].put_login("state", pending)
    taken = await asyncio.gather(*(worker.take_login("state") for worker in workers))
    assert [result for result in taken if result is not None] == [pending]


async def test_redis_holds_neither_pid_nor_tokens_nor_secrets_in_clear(on_redis: Backend) -> None:
    backend = on_redis
    store = redis_store(backend)
    session_id = await store.create(_session("sid-secret"))
    await store.put_login(
        "state-secret",
        PendingLogin("binding", "nonce-secret", "verifier-secret", Acr.SUBSTANTIAL, "/", 0),
    )
    client: Redis = backend.clients[0]
    keys = [key.decode() async for key in client.scan_iter(match=backend.prefix + "*")]
    assert len(keys) == 3  # the session, its sid index, the pending login
    for key in keys:
        for secret in (PID, session_id, "sid-secret", "state-secret"):
            assert secret not in key
        if await client.type(key) == b"string":
            value = await client.get(key)
            assert value is not None
            for secret in (PID, ID_TOKEN, "sub-1", "nonce-secret", "verifier-secret"):
                assert secret.encode() not in value


async def test_redis_ttls_follow_the_idle_window_and_the_lifetime(on_redis: Backend) -> None:
    backend = on_redis
    clock = FakeClock()
    store = redis_store(backend, idle_timeout_s=1800, max_lifetime_s=3600, clock=clock)
    session_id = await store.create(_session())
    client = store.client
    (key,) = [k async for k in client.scan_iter(match=backend.prefix + "session:*")]
    assert 1_799_000 < await client.pttl(key) <= 1_800_000
    clock.advance(1500)
    assert await store.get(session_id) is not None
    clock.advance(1500)  # 600 s of its lifetime left: less than the idle window
    assert await store.get(session_id) is not None
    assert 599_000 < await client.pttl(key) <= 600_000


async def test_a_tampered_or_foreign_record_is_no_session(on_redis: Backend) -> None:
    backend = on_redis
    store = redis_store(backend)
    session_id = await store.create(_session())
    client = store.client
    (key,) = [k async for k in client.scan_iter(match=backend.prefix + "session:*")]
    value = await client.get(key)
    assert value is not None
    await client.set(key, value[:-3] + b"AAA")
    assert await store.get(session_id) is None
    other_secret = RedisSessionStore(
        client,
        ServerSecret("another-secret-" + "o" * 32).fernet_key("session-store"),
        prefix=backend.prefix,
    )
    fresh = await store.create(_session())
    assert await other_secret.get(fresh) is None


async def test_a_victims_record_copied_under_an_attackers_key_is_no_session(
    on_redis: Backend,
) -> None:
    # Someone able to write Redis copies the victim's sealed session over their own: the key
    # is sealed with the record, so the attacker's cookie does not become the victim's login.
    store = redis_store(on_redis)
    victim = await store.create(_session())
    attacker = await store.create(_session())
    client = store.client
    victim_key = f"{on_redis.prefix}session:{digest(victim)}"
    attacker_key = f"{on_redis.prefix}session:{digest(attacker)}"
    sealed = await client.get(victim_key)
    assert sealed is not None
    await client.set(attacker_key, sealed)
    assert await store.get(attacker) is None
    assert await store.get(victim) is not None  # the victim's own session is unharmed
