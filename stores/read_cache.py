"""Where back-office reads are kept between requests: the :class:`ReadCache` interface.

An entry is a value with three times: when it was fetched (``asOf`` in ``viewer.sources``),
until when it is fresh (served without asking the system), and until when it is kept (served
only while the system fails: stale-if-error). The in-process default is
:class:`MemoryReadCache`, bounded by a maximum number of entries; a shared backend for many
processes (:class:`stores.read_cache_redis.RedisReadCache`: one key per entry, expiring at
``keep_until``, the entry encrypted) implements the same coroutines. Keys arrive already
pseudonymised (:mod:`resolvers.read_cache`): no store ever sees a fødselsnummer.

A shared store also offers fetch locks (:meth:`ReadCache.try_lock_many`), so that when two
workers miss the same key at once only one asks the back-office system; the in-process store
needs none (single-flight within a process is :class:`resolvers.read_cache.ReadThroughCache`'s)
and grants every lock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from cachetools import TLRUCache

__all__ = ["CachedRead", "MemoryReadCache", "ReadCache"]


@dataclass(frozen=True)
class CachedRead:
    """One cached back-office read. Times are epoch seconds of the cache's clock."""

    value: object
    fetched_at: float
    fresh_until: float
    keep_until: float

    def is_fresh(self, now: float) -> bool:
        """Whether the entry may be served without asking the system."""
        return now < self.fresh_until


class ReadCache(Protocol):
    """A key-value store of :class:`CachedRead` entries, each dropped after its ``keep_until``.

    Values are treated as immutable by every reader: a backend may hand out the stored object
    itself (in-process) or a copy (Redis).
    """

    async def get_many(self, keys: Iterable[str]) -> dict[str, CachedRead]:
        """The entries of `keys` that are still kept (missing keys are left out)."""
        ...

    async def put_many(self, entries: Mapping[str, CachedRead]) -> None:
        """Store `entries`, replacing older ones of the same keys."""
        ...

    async def delete_many(self, keys: Iterable[str]) -> None:
        """Forget `keys` (the viewer's own write changed what they hold)."""
        ...

    async def try_lock_many(self, keys: Sequence[str], token: str, ttl_s: float) -> set[str]:
        """Take the fetch lock of each of `keys` that nobody holds, for at most `ttl_s`;
        return the keys taken. Whoever holds a key's lock is fetching it for every process."""
        ...

    async def unlock_many(self, keys: Iterable[str], token: str) -> None:
        """Give back the locks of `keys` taken with `token` (a lock since expired and taken by
        someone else is left alone)."""
        ...


def _keep_until(_key: str, entry: CachedRead, _now: float) -> float:
    return entry.keep_until


class MemoryReadCache:
    """The in-process :class:`ReadCache`: least recently used entries go past `max_entries`."""

    def __init__(self, max_entries: int, clock: Callable[[], float]) -> None:
        self._entries: TLRUCache[str, CachedRead] = TLRUCache(
            maxsize=max_entries, ttu=_keep_until, timer=clock
        )

    def __len__(self) -> int:
        return len(self._entries)

    def keys(self) -> list[str]:
        """The keys held now (for tests and diagnostics)."""
        return list(self._entries.keys())

    async def get_many(self, keys: Iterable[str]) -> dict[str, CachedRead]:
        found = {}
        for key in keys:
            entry = self._entries.get(key)
            if entry is not None:
                found[key] = entry
        return found

    async def put_many(self, entries: Mapping[str, CachedRead]) -> None:
        for key, entry in entries.items():
            self._entries[key] = entry

    async def delete_many(self, keys: Iterable[str]) -> None:
        for key in keys:
            self._entries.pop(key, None)

    async def try_lock_many(self, keys: Sequence[str], token: str, ttl_s: float) -> set[str]:
        # One process: its ReadThroughCache's single-flight already lets one caller fetch.
        return set(keys)

    async def unlock_many(self, keys: Iterable[str], token: str) -> None:
        return None
