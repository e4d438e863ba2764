"""The back-office read cache in Redis, shared by every gateway worker.

One key per entry, ``<prefix>read:<pseudonymous key>``, expiring when the entry's
``keep_until`` has passed. Values are connector dataclasses, pickled and then encrypted and
authenticated with Fernet (a key derived from the server secret): nothing in Redis is clear
text, and an entry that was changed in Redis (or written under another secret) fails
authentication and is a miss; it is never unpickled.

Hits are cheap on the gateway's CPU: each store remembers (in a small LRU, by bytes) the entries
it opened or wrote, by key with their sealed bytes; when Redis hands back exactly those bytes
again, the entry is served without decrypting and unpickling it once more. Only bytes that once
passed authentication (or that this process sealed itself) are remembered, and a remembered
entry is used only for an identical token, so a changed entry is still authenticated first.
Readers treat values as immutable (:class:`~stores.read_cache.ReadCache`), so sharing the
opened object is as safe as the in-process store's.

The reads of one event-loop tick share a round trip: every ``get_many`` called while a batch is
gathering joins it, and one MGET (in a task of its own, so no single caller's cancellation
stops it) answers them all. Under load that is many requests' loader batches per MGET, each of
which would otherwise pay redis-py's whole per-command cost.

Fetch locks (``<prefix>read-lock:<key>``) are ``SET NX PX`` keys holding the taker's token;
giving one back deletes it only if it still holds that token (a small Lua script), so a lock
that expired and was taken by another worker is not released by the first.

A cache must not take the gateway down with it: when Redis fails, a read is a miss, a write is
skipped and every lock is granted (each worker then asks the back office itself). A Redis that
hangs rather than refuses (blackholed) must not stall reads either: each operation has its own
short deadline (``op_timeout_s``, far below the client's socket timeout), and a failed or late
operation opens a small circuit breaker: for ``open_s`` the cache does not touch Redis at all
(reads are misses, writes and deletes skipped, locks granted). After that one operation probes
Redis (the others still skip it until the probe answers); success closes the breaker. One
WARNING when it opens, one INFO when Redis answers again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import pickle
import time
from collections.abc import Callable, Iterable, Mapping, Sequence

from cachetools import LRUCache
from cryptography.fernet import Fernet, InvalidToken
from redis.asyncio import Redis

from kernel.redis_client import GUARD_OP_TIMEOUT_S, GUARD_SKIP_S, REDIS_FAILURES, RedisGuard
from stores.read_cache import CachedRead

__all__ = ["MEMO_BYTES", "RedisReadCache"]

log = logging.getLogger(__name__)

# Sealed bytes of the opened entries remembered per process (the opened objects besides).
MEMO_BYTES = 8 * 1024 * 1024

_UNLOCK = """
local released = 0
for _, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then
    released = released + redis.call('DEL', key)
  end
end
return released
"""


class RedisReadCache:
    """The :class:`~stores.read_cache.ReadCache` for many workers (see the module docstring).

    ``client`` is the process's Redis client (not closed here); ``fernet_key`` comes from
    ``ServerSecret.fernet_key("read-cache")`` and is the same in every worker. ``clock`` is
    the clock of the entries' times: a TTL is `keep_until` minus its now (relative, so the
    gateway's and Redis's clocks need not agree). ``op_timeout_s`` bounds each operation and
    ``open_s`` is how long Redis is skipped after a failure (timed on ``monotonic``).
    """

    def __init__(
        self,
        client: Redis,
        fernet_key: bytes,
        *,
        prefix: str = "minside:",
        clock: Callable[[], float],
        # A cache operation slower than this is a failure (the back office is asked instead);
        # after a failure Redis is left alone this long (kernel.redis_client.RedisGuard).
        op_timeout_s: float = GUARD_OP_TIMEOUT_S,
        open_s: float = GUARD_SKIP_S,
        monotonic: Callable[[], float] = time.monotonic,
        memo_bytes: int = MEMO_BYTES,
    ) -> None:
        self.client = client
        self.prefix = prefix
        self.clock = clock
        self._fernet = Fernet(fernet_key)
        self._unlock = client.register_script(_UNLOCK)
        self._guard = RedisGuard(
            log,
            "read cache",
            "skipping Redis (reads ask the systems)",
            "using it",
            op_timeout_s=op_timeout_s,
            skip_s=open_s,
            monotonic=monotonic,
        )
        self._gathering: dict[str, None] | None = None  # names of this tick's MGET
        self._waiting: list[asyncio.Future[dict[str, bytes | str | None]]] = []
        self._flushes: set[asyncio.Task[None]] = set()
        self._memo: LRUCache[str, tuple[bytes, CachedRead]] = LRUCache(
            maxsize=memo_bytes, getsizeof=_sealed_size
        )

    @property
    def breaker_open(self) -> bool:
        """Whether Redis is being skipped after a failure (for tests and diagnostics)."""
        return self._guard.open

    def _key(self, key: str) -> str:
        return f"{self.prefix}read:{key}"

    def _lock_key(self, key: str) -> str:
        return f"{self.prefix}read-lock:{key}"

    def _remember(self, key: str, token: bytes, entry: CachedRead) -> None:
        if len(token) <= self._memo.maxsize // 8:  # no single entry crowds out the rest
            self._memo[key] = (token, entry)

    def _open_remembered(self, key: str, token: bytes | str) -> CachedRead | None:
        """`key`'s entry from its sealed `token`: the remembered one if the bytes are the
        same (compared in full), else authenticated, unpickled and remembered."""
        if isinstance(token, str):  # a client decoding responses: not ours, but be exact
            token = token.encode()
        known = self._memo.get(key)
        if known is not None and known[0] == token:
            return known[1]
        entry = self._open(key, token)
        if entry is not None:
            self._remember(key, token, entry)
        return entry

    def _open(self, key: str, token: bytes | str) -> CachedRead | None:
        """The entry sealed in `token`, if it authenticates and was sealed for `key`: an entry
        copied under another key (one viewer's data under another's) is a miss."""
        try:
            plain = self._fernet.decrypt(token)
        except InvalidToken:
            log.warning("read cache: an entry failed authentication; treated as a miss")
            return None
        try:
            sealed_for, entry = pickle.loads(plain)  # noqa: S301 - authenticated: ours
        except Exception:  # a class changed shape between versions: just a miss
            return None
        if sealed_for != key:
            log.warning("read cache: an entry sealed for another key; treated as a miss")
            return None
        return entry if isinstance(entry, CachedRead) else None

    async def get_many(self, keys: Iterable[str]) -> dict[str, CachedRead]:
        wanted = list(dict.fromkeys(keys))
        if not wanted or self._guard.skip():
            return {}
        names = [self._key(key) for key in wanted]
        try:
            tokens = await self._mget(names)
        except REDIS_FAILURES:
            return {}
        now = self.clock()
        found = {}
        for key, name in zip(wanted, names, strict=True):
            token = tokens.get(name)
            entry = self._open_remembered(key, token) if token is not None else None
            if entry is not None and now < entry.keep_until:
                found[key] = entry
        return found

    async def _mget(self, names: list[str]) -> dict[str, bytes | str | None]:
        """The values of `names`, from the one MGET of every read made in this tick."""
        loop = asyncio.get_running_loop()
        if self._gathering is None:
            self._gathering = {}
            loop.call_soon(self._flush)
        self._gathering.update(dict.fromkeys(names))
        answer: asyncio.Future[dict[str, bytes | str | None]] = loop.create_future()
        self._waiting.append(answer)
        return await answer

    def _flush(self) -> None:
        names, waiting = list(self._gathering or ()), self._waiting
        self._gathering, self._waiting = None, []
        task = asyncio.ensure_future(self._answer(names, waiting))
        self._flushes.add(task)  # held until done (the loop keeps only weak references)
        task.add_done_callback(self._flushes.discard)

    async def _answer(
        self, names: list[str], waiting: list[asyncio.Future[dict[str, bytes | str | None]]]
    ) -> None:
        try:
            tokens = await self._guard.call("read", self.client.mget(names))
        except asyncio.CancelledError:  # shutting down
            for answer in waiting:
                answer.cancel()
            raise
        except Exception as exc:  # a failure is every waiter's (each logs nothing more)
            for answer in waiting:
                if not answer.done():  # a waiter cancelled meanwhile has gone
                    answer.set_exception(exc)
            return
        found = dict(zip(names, tokens, strict=True))
        for answer in waiting:
            if not answer.done():
                answer.set_result(found)

    async def put_many(self, entries: Mapping[str, CachedRead]) -> None:
        if not entries or self._guard.skip():
            return
        now = self.clock()
        sealed_now: dict[str, tuple[bytes, CachedRead]] = {}
        async with self.client.pipeline(transaction=False) as pipe:
            queued = False
            for key, entry in entries.items():
                left = entry.keep_until - now
                if left <= 0:
                    continue
                # The key is sealed with the entry, so a copy under another key is refused.
                sealed = self._fernet.encrypt(pickle.dumps((key, entry), pickle.HIGHEST_PROTOCOL))
                pipe.set(self._key(key), sealed, px=max(1, math.ceil(left * 1000)))
                sealed_now[key] = (sealed, entry)
                queued = True
            if queued:
                with contextlib.suppress(*REDIS_FAILURES):  # logged by the guard; just not kept
                    await self._guard.call("write", pipe.execute())
                    for key, (sealed, entry) in sealed_now.items():
                        self._remember(key, sealed, entry)

    async def delete_many(self, keys: Iterable[str]) -> None:
        keys = list(keys)
        for key in keys:
            self._memo.pop(key, None)
        names = [self._key(key) for key in keys]
        if names and not self._guard.skip():
            with contextlib.suppress(*REDIS_FAILURES):  # logged by the guard
                await self._guard.call("delete", self.client.delete(*names))

    async def try_lock_many(self, keys: Sequence[str], token: str, ttl_s: float) -> set[str]:
        if not keys:
            return set()
        if self._guard.skip():
            return set(keys)
        px = max(1, math.ceil(ttl_s * 1000))
        async with self.client.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.set(self._lock_key(key), token, nx=True, px=px)
            try:
                taken = await self._guard.call("lock", pipe.execute())
            except REDIS_FAILURES:
                return set(keys)
        return {key for key, ok in zip(keys, taken, strict=True) if ok}

    async def unlock_many(self, keys: Iterable[str], token: str) -> None:
        names = [self._lock_key(key) for key in keys]
        if names and not self._guard.skip():
            with contextlib.suppress(*REDIS_FAILURES):  # logged; the locks expire by themselves
                await self._guard.call("unlock", self._unlock(keys=names, args=[token]))


def _sealed_size(item: tuple[bytes, CachedRead]) -> int:
    return len(item[0])
