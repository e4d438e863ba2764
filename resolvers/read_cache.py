"""The back-office read cache as the loaders use it: :class:`ReadThroughCache`.

A :class:`resolvers.loaders.RequestLoader` that declares a :class:`CachePolicy` reads each key
through here:

- **fresh** entry (inside the policy's TTL): served, no call;
- **single-flight**: a key another request is fetching right now in this process is not asked
  again; the reader waits for that fetch and shares its answer (or its failure);
- otherwise the loader's batch fetches the missing keys in one call, and the answers are kept
  for the TTL and then, as a fallback only, for ``cache_stale_s`` more;
- **stale-if-error**: when that fetch fails (the system is down, or slow past its deadline),
  a key with a kept copy is served from it, marked stale with the time it was fetched.

Keys are pseudonymised with the server secret (an HMAC of the policy's name and the loader's
key), so the store never holds a fødselsnummer, a case number or a matrikkelnummer in clear
text. The store itself is a :class:`stores.read_cache.ReadCache`: in-process by default, a
shared backend (Redis) when the scale-out work plugs one in.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from connectors.errors import ConnectorError, GatewayTimeout
from kernel.server_secret import ServerSecret
from kernel.settings import Settings
from resolvers.errors import SourceError
from stores.read_cache import CachedRead, MemoryReadCache, ReadCache

__all__ = [
    "BatchFailed",
    "CachePolicy",
    "ReadThroughCache",
    "Served",
    "open_read_cache",
]

K = TypeVar("K")
V = TypeVar("V")


@dataclass(frozen=True)
class CachePolicy:
    """How long one back-office operation's answers are kept.

    ``name`` is ``<system>.<operation>`` (``"p360.cases"``); ``MINSIDE_CACHE_TTL_S`` may set
    another TTL per name. ``per_viewer``: the answer depends on who asks (a lookup restricted
    to the viewer), so the viewer is part of the key.
    """

    name: str
    ttl_s: float
    per_viewer: bool = False


@dataclass(frozen=True)
class Served(Generic[V]):
    """A key's value as served: fetched now, from the cache, or stale after a failure."""

    value: V
    fetched_at: float
    cached: bool = False
    stale: bool = False


@dataclass(eq=False)
class BatchFailed(Exception):
    """The fetch of a batch failed: the error its fields get and the failures behind it.

    Shared by every request waiting on the same flight, so each can record the failure in
    its own ``viewer.sources`` when it has no stale copy to serve instead.
    """

    error: SourceError
    failures: list[tuple[str, ConnectorError]] = field(default_factory=list)


class _Abandoned(Exception):
    """The request that was fetching a key went away (cancelled) before it had an answer."""


class ReadThroughCache:
    """Fresh hits, single-flight and stale-if-error over a :class:`ReadCache`; one per process."""

    def __init__(
        self,
        store: ReadCache,
        key_secret: bytes,
        *,
        clock: Callable[[], float],
        stale_s: float,
        ttl_overrides: Mapping[str, float] | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self._key_secret = key_secret
        self._stale_s = stale_s
        self._ttl_overrides = dict(ttl_overrides or {})
        self._flights: dict[str, asyncio.Future[CachedRead]] = {}

    def ttl(self, policy: CachePolicy) -> float:
        """The policy's TTL, or the one configured for its name."""
        return self._ttl_overrides.get(policy.name, policy.ttl_s)

    def key(self, policy: CachePolicy, key: object, viewer_pid: str | None = None) -> str:
        """The store key of `key` under `policy`: readable name, pseudonymous rest."""
        scope = viewer_pid if policy.per_viewer and viewer_pid is not None else ""
        message = f"{policy.name}\x00{scope}\x00{type(key).__name__}\x00{key}".encode()
        digest = hmac.new(self._key_secret, message, hashlib.sha256).digest()
        return f"{policy.name}:{base64.urlsafe_b64encode(digest[:18]).decode()}"

    async def invalidate(
        self, policy: CachePolicy, keys: Sequence[object], viewer_pid: str | None = None
    ) -> None:
        """Forget `keys` of `policy` (after the viewer's own write changed them)."""
        await self.store.delete_many(self.key(policy, key, viewer_pid) for key in keys)

    async def read(
        self,
        policy: CachePolicy,
        keys: Sequence[K],
        fetch: Callable[[Sequence[K]], Awaitable[Sequence[V]]],
        viewer_pid: str | None = None,
    ) -> list[Served[V] | BatchFailed]:
        """Each key's value, in order; `fetch` (raising :class:`BatchFailed`) gets the misses."""
        now = self.clock()
        cache_keys = [self.key(policy, key, viewer_pid) for key in keys]
        kept = await self.store.get_many(cache_keys)
        results: list[Served[V] | BatchFailed | None] = [None] * len(keys)
        mine: dict[int, asyncio.Future[CachedRead]] = {}
        theirs: dict[int, asyncio.Future[CachedRead]] = {}
        loop = asyncio.get_running_loop()
        for index, cache_key in enumerate(cache_keys):
            entry = kept.get(cache_key)
            if entry is not None and entry.is_fresh(now):
                results[index] = Served(entry.value, entry.fetched_at, cached=True)  # type: ignore[arg-type]
            elif cache_key in self._flights:
                theirs[index] = self._flights[cache_key]
            else:
                mine[index] = self._flights[cache_key] = loop.create_future()
        try:
            if mine:
                await self._fetch(policy, keys, cache_keys, mine, fetch, results)
        finally:
            for index, flight in mine.items():
                if not flight.done():
                    flight.set_exception(_Abandoned())
                    flight.exception()  # retrieved: waiters handle it, nothing to log
                if self._flights.get(cache_keys[index]) is flight:
                    del self._flights[cache_keys[index]]
        for index, flight in theirs.items():
            results[index] = await self._wait(flight, keys[index], fetch)
        for index, outcome in enumerate(results):
            if isinstance(outcome, BatchFailed):
                stale = kept.get(cache_keys[index])
                if stale is not None:
                    results[index] = Served(stale.value, stale.fetched_at, stale=True)  # type: ignore[arg-type]
        return [outcome for outcome in results if outcome is not None]

    async def _fetch(
        self,
        policy: CachePolicy,
        keys: Sequence[K],
        cache_keys: Sequence[str],
        mine: dict[int, asyncio.Future[CachedRead]],
        fetch: Callable[[Sequence[K]], Awaitable[Sequence[V]]],
        results: list[Served[V] | BatchFailed | None],
    ) -> None:
        try:
            values = await fetch([keys[index] for index in mine])
        except BatchFailed as failed:
            # A failure of the gateway's own making (this request's time budget spent, no
            # back-office slot in time) says nothing about the system: the requests waiting
            # on this fetch ask again under their own budgets instead of inheriting it.
            ours = any(isinstance(error, GatewayTimeout) for _, error in failed.failures)
            for index, flight in mine.items():
                results[index] = failed
                flight.set_exception(_Abandoned() if ours else failed)
                flight.exception()  # retrieved: each waiter handles it itself
            return
        fetched_at = self.clock()
        fresh_until = fetched_at + self.ttl(policy)
        entries = {}
        for (index, flight), value in zip(mine.items(), values, strict=True):
            entry = CachedRead(value, fetched_at, fresh_until, fresh_until + self._stale_s)
            entries[cache_keys[index]] = entry
            results[index] = Served(value, fetched_at)
            flight.set_result(entry)
        await self.store.put_many(entries)

    async def _wait(
        self,
        flight: asyncio.Future[CachedRead],
        key: K,
        fetch: Callable[[Sequence[K]], Awaitable[Sequence[V]]],
    ) -> Served[V] | BatchFailed:
        try:
            # Shielded: a waiter that is cancelled must not cancel the fetch others share.
            entry = await asyncio.shield(flight)
        except BatchFailed as failed:
            return failed
        except _Abandoned:
            try:
                (value,) = await fetch([key])
            except BatchFailed as failed:
                return failed
            return Served(value, self.clock())
        return Served(entry.value, entry.fetched_at, cached=True)  # type: ignore[arg-type]


def open_read_cache(
    settings: Settings, server_secret: ServerSecret, clock: Callable[[], float] | None = None
) -> ReadThroughCache | None:
    """The process's read cache as configured; None when ``MINSIDE_CACHE=off``."""
    if settings.cache == "off":
        return None
    tick = clock or time.time  # wall time: fetched_at is the asOf a citizen is shown
    return ReadThroughCache(
        MemoryReadCache(settings.cache_max_entries, tick),
        server_secret.derive("read-cache-key"),
        clock=tick,
        stale_s=settings.cache_stale_s,
        ttl_overrides=settings.cache_ttl_s,
    )
