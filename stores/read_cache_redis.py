"""The back-office read cache in Redis, shared by every gateway worker.

One key per entry, ``<prefix>read:<pseudonymous key>``, expiring when the entry's
``keep_until`` has passed. Values are connector dataclasses, pickled and then encrypted and
authenticated with Fernet (a key derived from the server secret): nothing in Redis is clear
text, and an entry that was changed in Redis (or written under another secret) fails
authentication and is a miss; it is never unpickled.

Fetch locks (``<prefix>read-lock:<key>``) are ``SET NX PX`` keys holding the taker's token;
giving one back deletes it only if it still holds that token (a small Lua script), so a lock
that expired and was taken by another worker is not released by the first.

A cache must not take the gateway down with it: when Redis fails, a read is a miss, a write is
skipped and every lock is granted (each worker then asks the back office itself), each logged.
"""

from __future__ import annotations

import logging
import math
import pickle
from collections.abc import Callable, Iterable, Mapping, Sequence

from cryptography.fernet import Fernet, InvalidToken
from redis.asyncio import Redis
from redis.exceptions import RedisError

from stores.read_cache import CachedRead

__all__ = ["RedisReadCache"]

log = logging.getLogger(__name__)

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
    gateway's and Redis's clocks need not agree).
    """

    def __init__(
        self,
        client: Redis,
        fernet_key: bytes,
        *,
        prefix: str = "minside:",
        clock: Callable[[], float],
    ) -> None:
        self.client = client
        self.prefix = prefix
        self.clock = clock
        self._fernet = Fernet(fernet_key)
        self._unlock = client.register_script(_UNLOCK)

    def _key(self, key: str) -> str:
        return f"{self.prefix}read:{key}"

    def _lock_key(self, key: str) -> str:
        return f"{self.prefix}read-lock:{key}"

    def _open(self, token: bytes | str) -> CachedRead | None:
        try:
            plain = self._fernet.decrypt(token)
        except InvalidToken:
            log.warning("read cache: an entry failed authentication; treated as a miss")
            return None
        try:
            entry = pickle.loads(plain)  # noqa: S301 - authenticated above: written by us
        except Exception:  # a class changed shape between versions: just a miss
            return None
        return entry if isinstance(entry, CachedRead) else None

    async def get_many(self, keys: Iterable[str]) -> dict[str, CachedRead]:
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return {}
        try:
            tokens = await self.client.mget([self._key(key) for key in wanted])
        except RedisError as exc:
            log.warning(
                "read cache: Redis read failed (%s); asking the systems", type(exc).__name__
            )
            return {}
        now = self.clock()
        found = {}
        for key, token in zip(wanted, tokens, strict=True):
            entry = self._open(token) if token is not None else None
            if entry is not None and now < entry.keep_until:
                found[key] = entry
        return found

    async def put_many(self, entries: Mapping[str, CachedRead]) -> None:
        now = self.clock()
        async with self.client.pipeline(transaction=False) as pipe:
            queued = False
            for key, entry in entries.items():
                left = entry.keep_until - now
                if left <= 0:
                    continue
                sealed = self._fernet.encrypt(pickle.dumps(entry, pickle.HIGHEST_PROTOCOL))
                pipe.set(self._key(key), sealed, px=max(1, math.ceil(left * 1000)))
                queued = True
            if queued:
                try:
                    await pipe.execute()
                except RedisError as exc:
                    log.warning("read cache: Redis write failed (%s)", type(exc).__name__)

    async def delete_many(self, keys: Iterable[str]) -> None:
        names = [self._key(key) for key in keys]
        if names:
            try:
                await self.client.delete(*names)
            except RedisError as exc:
                log.warning("read cache: Redis delete failed (%s)", type(exc).__name__)

    async def try_lock_many(self, keys: Sequence[str], token: str, ttl_s: float) -> set[str]:
        if not keys:
            return set()
        px = max(1, math.ceil(ttl_s * 1000))
        async with self.client.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.set(self._lock_key(key), token, nx=True, px=px)
            try:
                taken = await pipe.execute()
            except RedisError as exc:
                log.warning("read cache: Redis lock failed (%s)", type(exc).__name__)
                return set(keys)
        return {key for key, ok in zip(keys, taken, strict=True) if ok}

    async def unlock_many(self, keys: Iterable[str], token: str) -> None:
        names = [self._lock_key(key) for key in keys]
        if names:
            try:
                await self._unlock(keys=names, args=[token])
            except RedisError as exc:  # the locks expire by themselves
                log.warning("read cache: Redis unlock failed (%s)", type(exc).__name__)
