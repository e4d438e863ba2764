"""The rate limiter (gateway.rate_limit): budgets, all-or-nothing charges, window ends, the
RateLimit headers and the RATE_LIMITED error, in the in-process store and in the real Redis;
and a Redis that fails or hangs lets requests through (fail open), counted.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from redis.asyncio import Redis

from auth.acr import Acr
from auth.viewer import AuthMethod, Viewer
from gateway.rate_limit import (
    Budget,
    MemoryRateStore,
    RateLimiter,
    RateStore,
    RateStoreUnavailable,
    RedisRateStore,
)
from kernel.partners import Client, Partner
from kernel.server_secret import ServerSecret
from tests.services import RedisNamespace

SECRET = ServerSecret("rate-limit-test-secret-" + "r" * 32)
PID = "20860250013"  # documented test person #4 (synthetic)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Observed:
    def __init__(self) -> None:
        self.refused: list[str] = []
        self.unchecked = 0

    def on_rate_limited(self, scope: str) -> None:
        self.refused.append(scope)

    def on_rate_limit_unchecked(self) -> None:
        self.unchecked += 1


def partner(client_id: str = "partner", rate_limit: dict[str, int] | None = None) -> Client:
    name = {"nb": "Portal", "nn": "Portal", "en": "Portal"}
    return Client.for_partner(
        Partner.model_validate(
            {"client_id": client_id, "name": name, "scopes": ["invoices"], "rate_limit": rate_limit}
        )
    )


def viewer(pid: str = PID, client: Client | None = None) -> Viewer:
    return Viewer(
        pid=pid,
        sub="sub",
        acr=Acr.SUBSTANTIAL,
        method=AuthMethod.BEARER,
        client=client or Client.min_side("minside-gateway"),
    )


def limiter(store: RateStore, observer: Observed | None = None, **settings: Any) -> RateLimiter:
    values: dict[str, Any] = {
        "window_s": 60,
        "viewer_cost": 100,
        "client_cost": 1000,
        "anonymous_cost": 50,
    }
    return RateLimiter(store, SECRET, **(values | settings), observer=observer)


# --- the store's contract, in process and in Redis ------------------------------------------


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.integration)])
def store_kind(request: pytest.FixtureRequest) -> str:
    kind: str = request.param
    return kind


@pytest.fixture
async def make_store(
    store_kind: str, request: pytest.FixtureRequest
) -> AsyncIterator[Callable[[], RateStore]]:
    """A factory of stores that share their counters (two workers' views of one Redis)."""
    if store_kind == "memory":
        shared = MemoryRateStore()
        yield lambda: shared
        return
    namespace: RedisNamespace = request.getfixturevalue("redis_namespace")
    clients: list[Redis] = []

    def make() -> RateStore:
        client = Redis.from_url(namespace.url)
        clients.append(client)
        # The deadline is not what these tests are about: a loaded machine must not fail them.
        return RedisRateStore(client, prefix=namespace.prefix, op_timeout_s=10)

    yield make
    for client in clients:
        await client.aclose()


async def test_charges_until_the_budget_is_spent_then_refuses_and_charges_nothing(make_store):
    store = make_store()
    budget = Budget("viewer", "k1", 100, 60)
    assert (await store.charge([budget], 60))[0]
    allowed, [state] = await store.charge([budget], 50)
    assert not allowed
    assert state.used == 60  # the refused charge left nothing behind
    assert state.remaining == 40
    assert 1 <= state.reset_s <= 60
    allowed, [state] = await store.charge([budget], 40)
    assert allowed and state.remaining == 0


async def test_a_charge_is_all_or_nothing_over_its_budgets(make_store):
    store = make_store()
    roomy, tight = Budget("viewer", "k2", 100, 60), Budget("client", "c2", 30, 60)
    assert (await store.charge([roomy, tight], 20))[0]
    allowed, states = await store.charge([roomy, tight], 20)
    assert not allowed
    assert [s.used for s in states] == [20, 20]  # the roomy one was not charged either


async def test_a_zero_cost_charge_only_looks(make_store):
    store = make_store()
    budget = Budget("viewer", "k3", 10, 60)
    allowed, [state] = await store.charge([budget], 0)
    assert allowed and state.used == 0 and state.reset_s == 60
    await store.charge([budget], 10)
    allowed, [state] = await store.charge([budget], 0)
    assert allowed and state.remaining == 0


async def test_two_stores_on_one_backend_share_the_budget(make_store):
    first, second = make_store(), make_store()
    budget = Budget("viewer", "k4", 100, 60)
    assert (await first.charge([budget], 70))[0]
    allowed, [state] = await second.charge([budget], 40)
    assert not allowed and state.used == 70


async def test_concurrent_charges_never_overspend(make_store):
    stores = [make_store() for _ in range(4)]
    budget = Budget("viewer", "k5", 100, 60)
    results = await asyncio.gather(*(stores[i % 4].charge([budget], 10) for i in range(40)))
    assert sum(allowed for allowed, _ in results) == 10
    assert (await stores[0].charge([budget], 0))[1][0].used == 100


@pytest.mark.integration
async def test_a_redis_window_ends_with_its_ttl(redis_namespace):
    async with Redis.from_url(redis_namespace.url) as client:
        store = RedisRateStore(client, prefix=redis_namespace.prefix, op_timeout_s=10)
        budget = Budget("viewer", "k6", 10, 60)
        await store.charge([budget], 10)
        assert not (await store.charge([budget], 1))[0]
        key = f"{redis_namespace.prefix}rate:viewer:k6"
        assert 0 < await client.pttl(key) <= 60_000
        await client.pexpire(key, 1)  # the window ends
        await asyncio.sleep(0.01)
        allowed, [state] = await store.charge([budget], 1)
        assert allowed and state.used == 1


async def test_a_memory_window_ends_after_window_s():
    clock = Clock()
    store = MemoryRateStore(clock)
    budget = Budget("viewer", "k7", 10, 60)
    await store.charge([budget], 10)
    clock.now += 59.5
    allowed, [state] = await store.charge([budget], 1)
    assert not allowed and state.reset_s == 1
    clock.now += 0.5
    assert (await store.charge([budget], 1))[0]


async def test_memory_drops_ended_windows():
    clock = Clock()
    store = MemoryRateStore(clock)
    for i in range(1024):
        await store.charge([Budget("viewer", f"old{i}", 10, 60)], 1)
    clock.now += 61
    await store.charge([Budget("viewer", "new", 10, 60)], 1)
    assert len(store._windows) == 1


# --- the limiter: budgets of a request, decisions, headers and the error ---------------------


def test_a_viewer_is_keyed_by_pseudonym_never_by_fodselsnummer():
    budgets = limiter(MemoryRateStore()).budgets(viewer(client=partner()), "10.0.0.1")
    assert [(b.scope, b.limit) for b in budgets] == [("viewer", 100), ("client", 1000)]
    assert budgets[0].key == SECRET.viewer_key(PID)
    assert all(PID not in b.key for b in budgets)
    assert budgets[1].key == "partner"


def test_an_anonymous_request_is_keyed_by_a_pseudonym_of_its_address():
    rate = limiter(MemoryRateStore())
    [budget] = rate.budgets(None, "10.0.0.1")
    assert budget.scope == "anonymous" and budget.limit == 50
    assert "10.0.0.1" not in budget.key
    assert rate.budgets(None, "10.0.0.2")[0].key != budget.key


def test_the_own_client_has_no_client_budget_unless_configured():
    rate = limiter(MemoryRateStore())
    own_viewer = viewer()  # Min side's own client (a browser session, or its own token)
    assert [b.scope for b in rate.budgets(own_viewer, "a")] == ["viewer"]
    own = limiter(MemoryRateStore(), own_client_cost=500)
    [_, client] = own.budgets(own_viewer, "a")
    assert (client.key, client.limit, client.window_s) == ("minside-gateway", 500, 60)


def test_a_partner_has_its_catalogue_budget_and_window_else_the_default():
    rate = limiter(MemoryRateStore())
    [_, client] = rate.budgets(viewer(client=partner(rate_limit={"cost": 7, "window_s": 5})), "a")
    assert (client.key, client.limit, client.window_s) == ("partner", 7, 5)
    [_, client] = rate.budgets(viewer(client=partner("other")), "a")
    assert (client.key, client.limit, client.window_s) == ("other", 1000, 60)


def test_a_zero_budget_is_no_limit():
    rate = limiter(MemoryRateStore(), viewer_cost=0, client_cost=0, anonymous_cost=0)
    assert rate.budgets(viewer(client=partner()), "a") == ()
    assert rate.budgets(None, "a") == ()


async def test_a_refusal_names_its_budget_in_headers_and_error_and_is_counted():
    observed = Observed()
    rate = limiter(MemoryRateStore(), observed)
    budgets = rate.budgets(viewer(client=partner(rate_limit={"cost": 30, "window_s": 60})), "a")
    allowed = await rate.charge(budgets, 25)
    assert allowed is not None and allowed.refused is None
    headers = dict(allowed.headers())
    assert headers["RateLimit-Policy"] == '"viewer";q=100;w=60, "client";q=30;w=60'
    assert headers["RateLimit"] == '"viewer";r=75;t=60, "client";r=5;t=60'
    assert (headers["RateLimit-Limit"], headers["RateLimit-Remaining"]) == ("30", "5")
    assert "Retry-After" not in headers

    refused = await rate.charge(budgets, 10)
    assert refused is not None and refused.refused is not None
    assert refused.refused.budget.scope == "client"
    headers = dict(refused.headers())
    assert headers["Retry-After"] == "60"
    assert headers["RateLimit-Remaining"] == "5"
    error = refused.error()
    assert error.extensions == {
        "code": "RATE_LIMITED",
        "scope": "client",
        "cost": 10,
        "limit": 30,
        "window": 60,
        "remaining": 5,
        "retryAfter": 60,
    }
    assert "this client's limit is 30 per 60 s" in error.message
    assert PID not in error.message
    assert observed.refused == ["client"]


# --- Redis failing: fail open, bounded, counted -----------------------------------------------


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.integration
async def test_a_redis_that_refuses_connections_lets_requests_through_counted(caplog):
    observed = Observed()
    clock = Clock()
    async with Redis(host="127.0.0.1", port=_closed_port()) as client:
        store = RedisRateStore(client, monotonic=clock)
        rate = limiter(store, observed)
        budgets = rate.budgets(viewer(), "a")
        assert await rate.charge(budgets, 10) is None  # unchecked: passes
        assert store.breaker_open
        assert "rate limits: Redis failed" in caplog.text
        with pytest.raises(RateStoreUnavailable):  # skipped without trying while open
            await store.charge(budgets, 10)
        assert await rate.charge(budgets, 10) is None
        assert observed.unchecked == 2
        assert observed.refused == []


@pytest.mark.integration
async def test_a_hanging_redis_is_given_up_on_after_the_deadline_and_used_again_after(
    redis_namespace,
):
    # A server that accepts and never answers (blackholed Redis).
    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while await reader.read(65536):
                pass
        finally:
            writer.close()

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    clock = Clock()
    observed = Observed()
    async with server, Redis(host="127.0.0.1", port=port) as hanging:
        store = RedisRateStore(hanging, prefix=redis_namespace.prefix, op_timeout_s=0.05)
        rate = limiter(store, observed)
        assert await rate.charge(rate.budgets(viewer(), "a"), 10) is None
        assert store.breaker_open and observed.unchecked == 1
    async with Redis.from_url(redis_namespace.url) as client:
        store = RedisRateStore(
            client, prefix=redis_namespace.prefix, monotonic=clock, op_timeout_s=10
        )
        store._guard.open_until = clock.now + 5  # as after a failure
        with pytest.raises(RateStoreUnavailable):
            await store.charge([Budget("viewer", "k8", 10, 60)], 1)
        clock.now += 5  # the breaker's time is up: the next charge probes Redis, and counts
        assert (await store.charge([Budget("viewer", "k8", 10, 60)], 1))[0]
        assert not store.breaker_open
