"""A long-lived, per-process cache of Matrikkel reference data: roads and postal areas.

Street names and postal areas hardly change (a road is renamed or a postnummer moved a few
times a year, announced in advance), yet without a cache they cost the address chain its last
dependent round trip (``getObjects`` of the roads and postal areas after the addresses). This
small LRU with a long TTL keeps them per process, so that round trip goes away once the
municipality's few thousand roads have been seen.

It is deliberately not the gateway's back-office read cache (per system and operation, with
single-flight and stale-if-error): it holds only objects keyed by their register id, never
anything about a person, so it needs no key hashing, no invalidation by the viewer's writes,
and no shared backend.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from typing import Final, Generic, TypeVar

from cachetools import TTLCache

__all__ = ["DEFAULT_MAX_ENTRIES", "DEFAULT_TTL_S", "ReferenceCache"]

#: A day: a renamed street shows within a day, as in the register's own change log.
DEFAULT_TTL_S: Final = 24 * 3600.0
#: Far above one municipality's roads and postal areas, small in memory (~10 MB at most).
DEFAULT_MAX_ENTRIES: Final = 50_000

K = TypeVar("K")
V = TypeVar("V")


class ReferenceCache(Generic[K, V]):
    """An LRU of reference objects by key, each kept at most ``ttl_s`` seconds
    (cachetools' :class:`~cachetools.TTLCache`, with the batch interface the connector uses).

    Not thread-safe: it lives on one event loop, inside one connector.
    """

    def __init__(
        self,
        ttl_s: float = DEFAULT_TTL_S,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if ttl_s <= 0 or max_entries < 1:
            raise ValueError("ttl_s must be positive and max_entries at least 1")
        self._entries: TTLCache[K, V] = TTLCache(maxsize=max_entries, ttl=ttl_s, timer=clock)

    def __len__(self) -> int:
        return len(self._entries)

    def get_many(self, keys: Iterable[K]) -> tuple[dict[K, V], list[K]]:
        """The fresh entries among ``keys``, and the keys to fetch (missing or expired)."""
        found: dict[K, V] = {}
        missing: list[K] = []
        for key in keys:
            try:
                found[key] = self._entries[key]  # a hit counts as a use for the LRU order
            except KeyError:
                missing.append(key)
        return found, missing

    def put_many(self, values: Mapping[K, V]) -> None:
        """Keep ``values`` for the TTL, evicting the least recently used beyond the bound."""
        self._entries.update(values)

    def clear(self) -> None:
        """Forget everything (tests, and an operator's reload)."""
        self._entries.clear()
