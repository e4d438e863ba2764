"""The back-office read cache as the loaders use it: :class:`ReadThroughCache`.

A :class:`resolvers.loaders.RequestLoader` that declares a :class:`CachePolicy` reads each key
through here:

- **fresh** entry (inside the policy's TTL): served, no call;
- **single-flight**: a key another request is fetching right now in this process is not asked
  again; the reader waits for that fetch and shares its answer (or its failure);
- **across processes** (a shared store, Redis): a fetch first takes the key's lock in the store;
  a worker that finds it taken polls the store for the other worker's answer (every 20-50 ms,
  at most ``flight_wait_s``), takes the lock itself when the other gave up without one, and
  asks the system itself when the wait runs out, so N workers missing one key at once make one
  back-office call;
- otherwise the loader's batch fetches the missing keys in one call, and the answers are kept
  for the TTL and then, as a fallback only, for ``cache_stale_s`` more;
- **stale-if-error**: when that fetch fails (the system is down, or slow past its deadline),
  a key with a kept copy is served from it, marked stale with the time it was fetched.

Keys are pseudonymised with the server secret (an HMAC of the policy's name and the loader's
key), so the store never holds a fødselsnummer, a case number or a matrikkelnummer in clear
text. The store itself is a :class:`stores.read_cache.ReadCache`: in-process by default, Redis
(:class:`stores.read_cache_redis.RedisReadCache`) when ``MINSIDE_REDIS_URL`` is set.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Generic, TypeVar

from connectors.budget import budget_deadline
from connectors.errors import ConnectorError, GatewayTimeout
from kernel.server_secret import ServerSecret
from kernel.settings import Settings
from resolvers.errors import SourceError
from stores.read_cache import CachedRead, MemoryReadCache, ReadCache
from stores.read_cache_redis import RedisReadCache

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = [
    "BatchFailed",
    "CachePolicy",
    "ReadThroughCache",
    "Served",
    "open_read_cache",
]

# Waiting for another worker's fetch of a key: poll the store this often (growing from the
# first to the last), for at most flight_wait_s; a fetch lock outlives a dead worker this long.
POLL_FIRST_S = 0.02
POLL_MAX_S = 0.05
FLIGHT_WAIT_S = 5.0
LOCK_TTL_S = 10.0

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
        flight_wait_s: float = FLIGHT_WAIT_S,
        lock_ttl_s: float = LOCK_TTL_S,
    ) -> None:
        self.store = store
        self._flight_wait_s = flight_wait_s
        self._lock_ttl_s = lock_ttl_s
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
                await self._fetch_shared(policy, keys, cache_keys, mine, fetch, results)
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

    async def _fetch_shared(
        self,
        policy: CachePolicy,
        keys: Sequence[K],
        cache_keys: Sequence[str],
        mine: dict[int, asyncio.Future[CachedRead]],
        fetch: Callable[[Sequence[K]], Awaitable[Sequence[V]]],
        results: list[Served[V] | BatchFailed | None],
    ) -> None:
        """Fetch the keys whose store lock this process gets; wait for the others' answers.

        Every lock taken here is given back before this returns, however it ends: a job
        cancelled before it ran its body never reaches its own ``finally``, so the keys still
        held are released here (shielded: a second cancellation does not leave them taken
        for ``lock_ttl_s``, with the other workers polling them all that time).
        """
        token = secrets.token_hex(8)
        wanted = [cache_keys[index] for index in mine]
        # Taken before the answer arrives: a cancellation while the SET NX is in flight may
        # still have taken them; releasing a key we do not hold is a no-op (compare-and-delete).
        held = set(wanted)
        jobs: list[asyncio.Future[None]] = []
        try:
            taken = await self.store.try_lock_many(wanted, token, self._lock_ttl_s)
            held &= taken
            ours = {i: flight for i, flight in mine.items() if cache_keys[i] in taken}
            elsewhere = {i: flight for i, flight in mine.items() if cache_keys[i] not in taken}
            if not elsewhere:  # always so in one process: as if there were no locks
                await self._fetch_locked(
                    policy, keys, cache_keys, ours, fetch, results, token, held
                )
                return
            jobs.append(
                asyncio.ensure_future(
                    self._await_elsewhere(
                        policy, keys, cache_keys, elsewhere, fetch, results, token, held
                    )
                )
            )
            if ours:
                jobs.append(
                    asyncio.ensure_future(
                        self._fetch_locked(
                            policy, keys, cache_keys, ours, fetch, results, token, held
                        )
                    )
                )
            await asyncio.gather(*jobs)
        finally:
            for job in jobs:
                job.cancel()
            if jobs or held:
                await asyncio.shield(self._settle(jobs, held, token))

    async def _settle(self, jobs: list[asyncio.Future[None]], held: set[str], token: str) -> None:
        """Wait for the (cancelled) `jobs` to end, retrieving what they raised, then give back
        the locks in `held` that they did not (one that never started gave back none)."""
        await asyncio.gather(*jobs, return_exceptions=True)
        if held:
            await self.store.unlock_many(sorted(held), token)

    async def _fetch_locked(
        self,
        policy: CachePolicy,
        keys: Sequence[K],
        cache_keys: Sequence[str],
        subset: dict[int, asyncio.Future[CachedRead]],
        fetch: Callable[[Sequence[K]], Awaitable[Sequence[V]]],
        results: list[Served[V] | BatchFailed | None],
        token: str,
        held: set[str],
    ) -> None:
        """Fetch `subset`, whose store locks are held with `token`, and give the locks back
        (dropping them from `held`, the caller's record of what is still to release)."""
        if not subset:
            return
        locked = [cache_keys[index] for index in subset]
        try:
            await self._fetch(policy, keys, cache_keys, subset, fetch, results)
        finally:
            await self.store.unlock_many(locked, token)
            held.difference_update(locked)

    async def _await_elsewhere(
        self,
        policy: CachePolicy,
        keys: Sequence[K],
        cache_keys: Sequence[str],
        pending: dict[int, asyncio.Future[CachedRead]],
        fetch: Callable[[Sequence[K]], Awaitable[Sequence[V]]],
        results: list[Served[V] | BatchFailed | None],
        token: str,
        held: set[str],
    ) -> None:
        """Keys another process is fetching: poll the store for its answers.

        A key whose lock comes free without an answer (the other fetch failed) is locked and
        fetched here; whatever is still missing after ``flight_wait_s`` (or when the request's
        budget ends, if sooner) is fetched here too.
        """
        pending = dict(pending)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._flight_wait_s
        budget = budget_deadline()  # not past the request's own budget either
        if budget is not None:
            deadline = min(deadline, budget)
        delay = POLL_FIRST_S
        while pending:
            if loop.time() >= deadline:
                await self._fetch(policy, keys, cache_keys, pending, fetch, results)
                return
            await asyncio.sleep(delay)
            delay = min(delay * 1.5, POLL_MAX_S)
            found = await self.store.get_many(cache_keys[index] for index in pending)
            now = self.clock()
            for index in list(pending):
                entry = found.get(cache_keys[index])
                if entry is not None and entry.is_fresh(now):
                    results[index] = Served(entry.value, entry.fetched_at, cached=True)  # type: ignore[arg-type]
                    pending.pop(index).set_result(entry)
            if pending:
                asked = [cache_keys[index] for index in pending]
                held.update(asked)  # see _fetch_shared: maybe taken even if cancelled now
                taken = await self.store.try_lock_many(asked, token, self._lock_ttl_s)
                held.difference_update(set(asked) - taken)
                freed = {i: pending.pop(i) for i in list(pending) if cache_keys[i] in taken}
                await self._fetch_locked(
                    policy, keys, cache_keys, freed, fetch, results, token, held
                )

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
    settings: Settings,
    server_secret: ServerSecret,
    clock: Callable[[], float] | None = None,
    redis: Redis | None = None,
) -> ReadThroughCache | None:
    """The process's read cache as configured; None when ``MINSIDE_CACHE=off``.

    With `redis` (the process's client, :func:`kernel.redis_client.open_redis`) the entries
    live there under ``MINSIDE_REDIS_KEY_PREFIX``, shared by every worker; otherwise in this
    process, at most ``MINSIDE_CACHE_MAX_ENTRIES`` of them.
    """
    if settings.cache == "off":
        return None
    tick = clock or time.time  # wall time: fetched_at is the asOf a citizen is shown
    store: ReadCache = (
        MemoryReadCache(settings.cache_max_entries, tick)
        if redis is None
        else RedisReadCache(
            redis,
            server_secret.fernet_key("read-cache"),
            prefix=settings.redis_key_prefix,
            clock=tick,
        )
    )
    return ReadThroughCache(
        store,
        server_secret.derive("read-cache-key"),
        clock=tick,
        stale_s=settings.cache_stale_s,
        ttl_overrides=settings.cache_ttl_s,
    )
