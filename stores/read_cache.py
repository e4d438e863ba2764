"""Where back-office reads are kept between requests: the :class:`ReadCache` interface.

An entry is a value with three times: when it was fetched (``asOf`` in ``viewer.sources``),
until when it is fresh (served without asking the system), and until when it is kept (served
only while the system fails: stale-if-error). The in-process default is
:class:`MemoryReadCache`, bounded by a maximum number of entries; a shared backend for many
processes (Redis: one key per entry, ``EXPIREAT keep_until``, the entry pickled) implements the
same three coroutines. Keys arrive already pseudonymised (:mod:`resolvers.read_cache`): no
store ever sees a fødselsnummer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
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
