"""ID-porten's discovery document and JWKS shared through Redis by several workers.

Each "worker" is its own Discovery and JwksCache with its own Redis client on one key prefix;
the issuer is the ID-porten stand-in over a real socket, counting what it is asked.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest
from joserfc.jwk import RSAKey
from redis.asyncio import Redis

from auth.discovery import WELL_KNOWN, Discovery, fetch_json
from auth.jwks import JwksCache
from auth.metadata import RedisMetadataStore
from idporten_standin.app import build_app as build_standin
from idporten_standin.config import StandinConfig
from idporten_standin.keys import generate_rsa_key
from kernel.server_secret import ServerSecret
from kernel.servers import ServerSpec, free_port, running_servers
from tests.auth.stack import CountingApp
from tests.clocks import FakeClock
from tests.services import RedisNamespace

METADATA_KEY = ServerSecret("shared-metadata-secret-" + "m" * 32).fernet_key("idporten-metadata")


@dataclass
class Issuer:
    url: str
    config: StandinConfig
    counter: CountingApp
    http: aiohttp.ClientSession
    namespace: RedisNamespace
    clients: list[Redis]

    def shared(self) -> RedisMetadataStore:
        client = Redis.from_url(self.namespace.url)
        self.clients.append(client)
        return RedisMetadataStore(client, self.url, METADATA_KEY, prefix=self.namespace.prefix)

    def worker(
        self, clock: FakeClock, *, min_refresh_s: float = 60.0, new_kid_refresh_s: float = 5.0
    ) -> tuple[Discovery, JwksCache]:
        shared = self.shared()
        discovery = Discovery(self.http, self.url, clock=clock, shared=shared)

        async def fetch_jwks() -> dict[str, object]:
            metadata = await discovery.metadata()
            return await fetch_json(self.http, metadata.jwks_uri, "JWKS")

        jwks = JwksCache(
            fetch_jwks,
            min_refresh_interval_s=min_refresh_s,
            new_kid_refresh_s=new_kid_refresh_s,
            clock=clock,
            shared=shared,
        )
        return discovery, jwks

    def asked(self, path: str) -> int:
        return self.counter.paths[path]


@pytest.fixture
async def issuer(redis_namespace: RedisNamespace) -> AsyncIterator[Issuer]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    config = StandinConfig(issuer=url, clients=[])
    counter = CountingApp(build_standin(config))
    async with (
        running_servers([ServerSpec("idporten-standin", counter, port=port)]),
        aiohttp.ClientSession() as http,
    ):
        made = Issuer(url, config, counter, http, redis_namespace, [])
        try:
            yield made
        finally:
            for client in made.clients:
                await client.aclose()


async def test_two_workers_fetch_the_discovery_document_once(issuer: Issuer) -> None:
    clock = FakeClock()
    (a, _), (b, _) = issuer.worker(clock), issuer.worker(clock)
    first = await a.metadata()
    second = await b.metadata()
    assert first == second and first.jwks_uri == issuer.url + "/jwks"
    assert issuer.asked(WELL_KNOWN) == 1
    clock.advance(61)  # past the local copy's life: read from Redis again, not the issuer
    assert await a.metadata() == first
    assert issuer.asked(WELL_KNOWN) == 1


async def test_two_workers_fetch_the_jwks_once(issuer: Issuer) -> None:
    clock = FakeClock()
    (_, a), (_, b) = issuer.worker(clock), issuer.worker(clock)
    kid = issuer.config.keys.active_kid
    assert await a.key(kid) is not None
    assert await b.key(kid) is not None
    assert issuer.asked("/jwks") == 1
    for _ in range(20):  # the local copy serves: no Redis or issuer round trip per token
        assert await b.key(kid) is not None
    clock.advance(61)
    assert await b.key(kid) is not None
    assert issuer.asked("/jwks") == 1


async def test_unknown_kid_refetches_are_limited_across_workers(issuer: Issuer) -> None:
    clock = FakeClock()
    workers = [issuer.worker(clock, min_refresh_s=0.3)[1] for _ in range(3)]
    kid = issuer.config.keys.active_kid
    assert await workers[0].key(kid) is not None
    assert issuer.asked("/jwks") == 1
    await asyncio.sleep(0.35)  # the shared limit (real Redis time) has passed
    new_kid = issuer.config.keys.rotate()
    clock.advance(2)  # and each worker's own pause between Redis looks
    assert await workers[1].key(new_kid) is not None  # one worker asks the issuer...
    assert issuer.asked("/jwks") == 2
    for worker in (workers[0], workers[2]):  # ...the others find the new key in Redis
        assert await worker.key(new_kid) is not None
    assert issuer.asked("/jwks") == 2
    for round_ in range(3):  # forged kids on every worker: no more issuer fetches
        clock.advance(2)
        for worker in workers:
            assert await worker.key(f"forged-{round_}") is None
    assert issuer.asked("/jwks") == 2


async def test_a_rotated_key_is_accepted_within_seconds_across_workers(issuer: Issuer) -> None:
    # The 60 s guard stays for kids the issuer did not publish; a kid not seen before may make
    # one worker ask again once the (here shortened) floor has passed since the last look.
    clock = FakeClock()
    workers = [issuer.worker(clock, new_kid_refresh_s=0.3)[1] for _ in range(3)]
    kid = issuer.config.keys.active_kid
    for worker in workers:
        assert await worker.key(kid) is not None
    assert issuer.asked("/jwks") == 1
    await asyncio.sleep(0.35)  # the shared floor (real Redis time) has passed
    new_kid = issuer.config.keys.rotate()
    clock.advance(2)
    assert await workers[1].key(new_kid) is not None  # accepted at the first try
    assert issuer.asked("/jwks") == 2
    for worker in (workers[0], workers[2]):  # the others find the new key in Redis
        assert await worker.key(new_kid) is not None
    assert issuer.asked("/jwks") == 2
    for i in range(100):  # a burst of forged kids on every worker: nothing more at the issuer
        for worker in workers:
            assert await worker.key(f"forged-{i}") is None
    assert issuer.asked("/jwks") == 2


async def test_a_cold_worker_waits_for_the_peer_fetching_the_jwks(issuer: Issuer) -> None:
    clock = FakeClock()
    (_, a), (_, b) = issuer.worker(clock), issuer.worker(clock)
    kid = issuer.config.keys.active_kid
    results = await asyncio.gather(a.key(kid), b.key(kid))
    assert all(key is not None for key in results)
    assert issuer.asked("/jwks") == 1


async def test_a_redis_that_is_down_leaves_each_worker_to_ask_the_issuer(issuer: Issuer) -> None:
    client = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=0.5)
    issuer.clients.append(client)
    shared = RedisMetadataStore(client, issuer.url, METADATA_KEY, prefix=issuer.namespace.prefix)
    clock = FakeClock()
    discovery = Discovery(issuer.http, issuer.url, clock=clock, shared=shared)

    async def fetch_jwks() -> dict[str, object]:
        return await fetch_json(issuer.http, (await discovery.metadata()).jwks_uri, "JWKS")

    jwks = JwksCache(fetch_jwks, clock=clock, shared=shared)
    assert await jwks.key(issuer.config.keys.active_kid) is not None
    assert issuer.asked(WELL_KNOWN) == 1 and issuer.asked("/jwks") == 1


def _key(issuer: Issuer, name: str) -> str:
    digest = hashlib.sha256(issuer.url.encode()).hexdigest()[:16]
    return f"{issuer.namespace.prefix}idporten:{digest}:{name}"


def _foreign_jwks() -> tuple[RSAKey, dict[str, object]]:
    foreign = generate_rsa_key()
    entry = dict(foreign.as_dict(private=False), use="sig", alg="RS256")
    return foreign, {"keys": [entry]}


async def _plant(issuer: Issuer, name: str, value: bytes | str) -> None:
    client = Redis.from_url(issuer.namespace.url)
    issuer.clients.append(client)
    await client.set(_key(issuer, name), value, px=60_000)


@pytest.mark.parametrize("how", ["clear", "foreign secret", "other document"])
async def test_a_planted_document_is_a_miss_fetched_from_the_issuer(
    issuer: Issuer, how: str, caplog: pytest.LogCaptureFixture
) -> None:
    # Whoever can write Redis but lacks the server secret (another tenant on the same Redis)
    # plants their own endpoints and keys: neither is used, both come from the issuer.
    _, jwks = _foreign_jwks()
    discovery_doc = {
        "issuer": issuer.url,
        "authorization_endpoint": issuer.url + "/authorize",
        "token_endpoint": issuer.url + "/planted-token",
        "jwks_uri": issuer.url + "/planted-jwks",
    }
    if how == "clear":
        await _plant(issuer, "discovery", json.dumps(discovery_doc))
        await _plant(issuer, "jwks", json.dumps(jwks))
    elif how == "foreign secret":
        foreign_key = ServerSecret("another-secret-" + "o" * 32).fernet_key("idporten-metadata")
        foreign = RedisMetadataStore(
            Redis.from_url(issuer.namespace.url),
            issuer.url,
            foreign_key,
            prefix=issuer.namespace.prefix,
        )
        issuer.clients.append(foreign.client)
        await foreign.put("discovery", discovery_doc, 60)
        await foreign.put("jwks", jwks, 60)
    else:  # our own seal, but made for the other document: no swapping one for the other
        ours = issuer.shared()
        await ours.put("discovery", discovery_doc, 60)
        await ours.put("jwks", jwks, 60)
        sealed_discovery = await ours.client.get(_key(issuer, "discovery"))
        sealed_jwks = await ours.client.get(_key(issuer, "jwks"))
        await _plant(issuer, "discovery", sealed_jwks)
        await _plant(issuer, "jwks", sealed_discovery)
    clock = FakeClock()
    discovery, cache = issuer.worker(clock)
    with caplog.at_level(logging.WARNING, logger="auth.metadata"):
        metadata = await discovery.metadata()
        assert metadata.token_endpoint == issuer.url + "/token"
        assert metadata.jwks_uri == issuer.url + "/jwks"
        assert await cache.key(issuer.config.keys.active_kid) is not None
        assert await cache.key(str(jwks["keys"][0]["kid"])) is None  # type: ignore[index]
    assert issuer.asked(WELL_KNOWN) == 1 and issuer.asked("/jwks") == 1
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len([w for w in warnings if "shared discovery" in w]) == 1, warnings
    assert len([w for w in warnings if "shared jwks" in w]) == 1, warnings
    # What the issuer answered replaced the planted values: the next worker reads it sealed.
    raw = await issuer.clients[-1].get(_key(issuer, "discovery"))
    assert raw is not None and b"planted" not in raw and b"token" not in raw
    (other_discovery, _) = issuer.worker(clock)
    assert (await other_discovery.metadata()).token_endpoint == issuer.url + "/token"
    assert issuer.asked(WELL_KNOWN) == 1
