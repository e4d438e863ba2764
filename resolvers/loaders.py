"""The base of every per-request dataloader: :class:`RequestLoader`, one failure policy.

A subclass says how to fetch a batch of keys (:meth:`RequestLoader.fetch`, values aligned
with the keys) and makes its back-office calls through :meth:`RequestLoader.call`; resolvers
read one field's value with :meth:`RequestLoader.value` or :meth:`RequestLoader.values`.

The failure policy: a batch that fails with a :class:`SourceError` fails each of its keys,
and the failure is remembered for the rest of the request, like a value. A system that is
down is asked once per request, however many fields (at whatever depth, or in however many
mutations of one request) need the same keys. aiodataloader alone would forget a batch that
raised, and the next field would ask the failing system again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable, Sequence
from typing import ClassVar, TypeVar

from aiodataloader import DataLoader

from resolvers.context import Context
from resolvers.errors import SourceError, from_source

__all__ = ["RequestLoader"]

K = TypeVar("K")
V = TypeVar("V")
T = TypeVar("T")


class RequestLoader(DataLoader[K, V]):
    """A dataloader of one request (made by :meth:`Context.loader`), batching one operation.

    ``system`` names the back-office system that :meth:`call` asks (``"p360"``, …).
    """

    system: ClassVar[str]

    def __init__(self, context: Context) -> None:
        super().__init__()
        self.context = context

    async def fetch(self, keys: Sequence[K]) -> Sequence[V]:
        """The values of `keys`, in the same order; raise :class:`SourceError` on failure."""
        raise NotImplementedError

    async def call(self, request: Awaitable[T]) -> T:
        """Await a connector call to :attr:`system`, recorded for ``viewer.sources`` and
        typed on failure (:func:`resolvers.errors.from_source`)."""
        return await from_source(self.context.sources, self.system, request)

    async def batch_load_fn(  # type: ignore[override]
        self, keys: Sequence[K]
    ) -> list[V | SourceError]:
        """aiodataloader's entry point: :meth:`fetch`, with the failure policy applied."""
        try:
            values = await self.fetch(keys)
        except SourceError as error:
            # Returned, not raised: aiodataloader then keeps each key's failed future cached
            # for the request, as it keeps a value.
            return [error for _ in keys]
        return list(values)

    async def value(self, key: K) -> V:
        """The value of `key` for one field (batched with every other field's keys)."""
        result: V = await self._for_field(self.load(key))
        return result

    async def values(self, keys: Iterable[K]) -> list[V]:
        """The values of `keys` for one field, in order (one batch)."""
        result: list[V] = await self._for_field(self.load_many(keys))
        return result

    async def _for_field(self, pending: Awaitable[T]) -> T:
        # The future is registered at once, so viewer.sources waits for the back-office call
        # the batch makes a few event-loop turns later. A failure is re-raised as a fresh
        # SourceError, because one failed batch feeds many fields and graphql-core keeps the
        # path of the first field an error *instance* is raised from.
        future = asyncio.ensure_future(pending)
        self.context.sources.started(future)  # type: ignore[arg-type]
        try:
            return await future
        except SourceError as error:
            raise error.fresh() from None
