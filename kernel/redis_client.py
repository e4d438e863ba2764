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

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Final, TypeVar

from redis.asyncio import BlockingConnectionPool, Redis
from redis.exceptions import RedisError

from kernel.settings import Settings

__all__ = [
    "GUARD_OP_TIMEOUT_S",
    "GUARD_SKIP_S",
    "REDIS_CONNECT_TIMEOUT_S",
    "REDIS_FAILURES",
    "REDIS_TIMEOUT_S",
    "RedisGuard",
    "RedisProbe",
    "open_redis",
]

T = TypeVar("T")

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


#: What a Redis operation raises when Redis is down, refusing or too slow.
REDIS_FAILURES: Final = (RedisError, OSError, TimeoutError)
#: A guarded operation slower than this counts as a failure (the request goes on without Redis).
GUARD_OP_TIMEOUT_S: Final = 0.25
#: After a failure Redis is left alone this long before one operation tries it again.
GUARD_SKIP_S: Final = 5.0


class RedisGuard:
    """A deadline on each Redis operation of a store that can do without Redis (the read
    cache, the rate limits), and a skip after a failure: a down or hung Redis then costs one
    short wait, not one per request.

    :meth:`skip` says whether to leave Redis alone now; :meth:`call` runs an operation under the
    deadline. When the skip is over, the next operation is the probe (the others keep skipping
    meanwhile), and only its success ends the skip. ``name`` and ``without`` go into the log
    lines: "<name>: Redis failed on <what> (…); <without> for 5 s", once per outage.
    """

    def __init__(
        self,
        logger: logging.Logger,
        name: str,
        without: str,
        recovered: str,
        *,
        op_timeout_s: float = GUARD_OP_TIMEOUT_S,
        skip_s: float = GUARD_SKIP_S,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._log = logger
        self._name = name
        self._without = without
        self._recovered = recovered
        self.op_timeout_s = op_timeout_s
        self.skip_s = skip_s
        self._monotonic = monotonic
        self.open_until: float | None = None  # None: closed (Redis in use)
        self._probing = False

    @property
    def open(self) -> bool:
        """Whether Redis is being skipped after a failure."""
        return self.open_until is not None

    def skip(self) -> bool:
        """Whether to leave Redis alone now: skipping, or its probe is already under way."""
        if self.open_until is None:
            return False
        return self._probing or self._monotonic() < self.open_until

    async def call(self, what: str, operation: Awaitable[T]) -> T:
        """``operation`` under the deadline, feeding the skip; raises one of
        :data:`REDIS_FAILURES`. Call it (with no await in between) after :meth:`skip` said no."""
        probe = self.open_until is not None
        self._probing = self._probing or probe
        try:
            async with asyncio.timeout(self.op_timeout_s):
                result = await operation
        except REDIS_FAILURES as exc:
            if probe:
                self._probing = False
            if self.open_until is None:
                self._log.warning(
                    "%s: Redis failed on %s (%s); %s for %.0f s",
                    self._name,
                    what,
                    type(exc).__name__,
                    self._without,
                    self.skip_s,
                )
            else:
                self._log.debug(
                    "%s: Redis failed again on %s (%s)", self._name, what, type(exc).__name__
                )
            self.open_until = self._monotonic() + self.skip_s
            raise
        except BaseException:  # cancelled: says nothing about Redis; let another probe
            if probe:
                self._probing = False
            raise
        if probe:  # only the probe ends it: an older call's late answer proves little
            self._probing = False
            self.open_until = None
            self._log.info("%s: Redis answers again; %s", self._name, self._recovered)
        return result
