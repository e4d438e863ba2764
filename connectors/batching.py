"""Asking a back-office for many keys at once: each key once, in batches, answers aligned.

Dataloaders hand a connector a whole level of a query, duplicates and all. The connector asks
for each distinct key once, splits them into the system's own batch size, sends the batches
concurrently, and answers position by position in the order it was asked (``None`` where the
system knows no such key), which is the contract a dataloader's batch function has.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Iterable, Mapping, Sequence
from typing import TypeVar

__all__ = ["aligned", "chunked", "distinct", "fetch_aligned"]

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")
V = TypeVar("V")


def distinct(keys: Iterable[K]) -> list[K]:
    """``keys`` without repeats, in the order each first appears."""
    return list(dict.fromkeys(keys))


def chunked(items: Sequence[T], size: int) -> list[list[T]]:
    """``items`` in consecutive lists of at most ``size`` (none for no items)."""
    if size < 1:
        raise ValueError("size must be at least 1")
    return [list(items[start : start + size]) for start in range(0, len(items), size)]


def aligned(keys: Sequence[K], found: Mapping[K, V | None]) -> list[V | None]:
    """The answer for each of ``keys`` in order; ``None`` for a key ``found`` lacks."""
    return [found.get(key) for key in keys]


async def fetch_aligned(
    keys: Sequence[K],
    fetch: Callable[[list[K]], Awaitable[Mapping[K, V | None]]],
    *,
    batch_size: int,
    askable: Callable[[K], bool] | None = None,
) -> list[V | None]:
    """Answers for ``keys``, aligned with them, asking ``fetch`` for each distinct key once.

    ``fetch`` gets at most ``batch_size`` keys per call, and the calls run concurrently; the
    first one to fail fails the whole lookup. Keys for which ``askable`` is false (a malformed
    key no system can know, or one that must not reach a URL) are never sent and answer
    ``None``.
    """
    wanted = distinct(key for key in keys if askable is None or askable(key))
    found: dict[K, V | None] = {}
    for answer in await asyncio.gather(*(fetch(batch) for batch in chunked(wanted, batch_size))):
        found.update(answer)
    return aligned(keys, found)
