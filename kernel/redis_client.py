"""The one Redis client of a gateway process, shared by every Redis-backed store.

``MINSIDE_REDIS_URL`` set: sessions (:mod:`auth.session_redis`), the back-office read cache
(:mod:`stores.read_cache_redis`) and ID-porten's metadata (:mod:`auth.metadata`) live in Redis,
so every worker sees the same ones. Each process opens one client (:func:`open_redis`: a pool
that connects lazily, on the first command) and closes it on shutdown. Every key starts with
``MINSIDE_REDIS_KEY_PREFIX``, so one Redis can serve several gateways (and tests run side by
side). The client lives in the kernel because both ``auth`` and ``stores`` use it and neither
may import the other.
"""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import BlockingConnectionPool, Redis

from kernel.settings import Settings

__all__ = ["REDIS_CONNECT_TIMEOUT_S", "REDIS_TIMEOUT_S", "RedisProbe", "open_redis"]

# A Redis that answers slower than this is treated as down: a request must not hang on a
# cache or session lookup (the stores turn errors into misses where they can).
REDIS_TIMEOUT_S = 2.0
REDIS_CONNECT_TIMEOUT_S = 2.0
REDIS_MAX_CONNECTIONS = 64


def open_redis(settings: Settings) -> Redis | None:
    """The process's Redis client, or ``None`` when ``MINSIDE_REDIS_URL`` is unset.

    Nothing is connected yet (connections are made on first use, in the running event loop),
    so this may be called before the app's lifespan; close the client with ``aclose()``.
    """
    if settings.redis_url is None:
        return None
    # Blocking: past max_connections a command waits (up to the timeout) for a connection
    # instead of failing at once, so a burst of requests queues rather than errs.
    pool = BlockingConnectionPool.from_url(
        settings.redis_url.get_secret_value(),
        max_connections=REDIS_MAX_CONNECTIONS,
        timeout=REDIS_TIMEOUT_S,
        socket_timeout=REDIS_TIMEOUT_S,
        socket_connect_timeout=REDIS_CONNECT_TIMEOUT_S,
        socket_keepalive=True,
        health_check_interval=30,
        decode_responses=False,  # values are encrypted bytes
    )
    return Redis.from_pool(pool)  # the client owns the pool: aclose() closes both


@dataclass(frozen=True)
class RedisProbe:
    """Readiness of Redis: it answers PING (sessions and the read cache need it)."""

    client: Redis
    name: str = "redis"

    async def check(self) -> None:
        await self.client.ping()
