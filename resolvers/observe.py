"""What the loaders tell the outside about the read cache, without knowing who listens.

:class:`CacheObserver` gets, per loader batch that read through the cache, how many keys were
served fresh from it (hits), fetched from the back-office (misses, failed fetches included)
and served stale after a failure. The gateway's metrics implement it and pass it in
:class:`resolvers.shared.SharedServices`; the default, :data:`NO_CACHE_OBSERVER`, does nothing.
"""

from __future__ import annotations

from typing import Final, Protocol

__all__ = ["NO_CACHE_OBSERVER", "CacheObserver", "NoCacheObserver"]


class CacheObserver(Protocol):
    """Told of each batch's cache outcomes under one cache policy (cheap: hot path)."""

    def on_cache_reads(self, policy: str, hits: int, misses: int, stale: int) -> None:
        """One batch under cache policy ``policy`` (``"p360.cases"``) had these outcomes."""


class NoCacheObserver:
    """The default observer: ignores every batch."""

    def on_cache_reads(self, policy: str, hits: int, misses: int, stale: int) -> None:
        return None


NO_CACHE_OBSERVER: Final[CacheObserver] = NoCacheObserver()
