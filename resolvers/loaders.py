"""The base of every per-request dataloader: :class:`RequestLoader`, one failure policy.

A subclass says how to fetch a batch of keys (:meth:`RequestLoader.fetch`, values aligned
with the keys) and makes its back-office calls through :meth:`RequestLoader.call`; resolvers
read one field's value with :meth:`RequestLoader.value` or :meth:`RequestLoader.values`.

The failure policy: a batch that fails with a :class:`SourceError` fails each of its keys,
and the failure is remembered for the rest of the request, like a value. A system that is
down is asked once per request, however many fields (at whatever depth, or in however many
mutations of one request) need the same keys. aiodataloader alone would forget a batch that
raised, and the next field would ask the failing system again.

The cache policy: a subclass that declares ``cache_policy = CachePolicy(...)`` reads its keys
through the process's :class:`resolvers.read_cache.ReadThroughCache` (fresh copies, single-flight
across requests, stale-if-error), unless ``MINSIDE_CACHE=off``. Failures of a batch are held
back until it is known whether a kept copy is served instead (``viewer.sources``: ``STALE``)
or not (``UNAVAILABLE``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable, Sequence
from typing import ClassVar, TypeVar

from aiodataloader import DataLoader
from opentelemetry import trace

from resolvers.context import Context
from resolvers.errors import SourceError, from_source
from resolvers.read_cache import BatchFailed, CachePolicy
from resolvers.sources import holding_back_failures

__all__ = ["RequestLoader"]

_tracer = trace.get_tracer("minside.resolvers")

K = TypeVar("K")
V = TypeVar("V")
T = TypeVar("T")


class RequestLoader(DataLoader[K, V]):
    """A dataloader of one request (made by :meth:`Context.loader`), batching one operation.

    ``system`` names the back-office system that :meth:`call` asks (``"p360"``, …);
    ``cache_policy``, if set, how long its answers are kept across requests (see the module doc).
    """

    system: ClassVar[str]
    cache_policy: ClassVar[CachePolicy | None] = None

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
        """aiodataloader's entry point: :meth:`fetch`, through the cache, with the failure
        policy applied; one span per batch (system, loader, batch size: never the keys).

        The span is made only inside a recorded trace: with tracing off a no-op span would
        cost more than the rest of a warm batch's bookkeeping.
        """
        if not trace.get_current_span().is_recording():
            return await self._load_batch(keys)
        attributes: dict[str, str | int] = {
            "minside.loader": type(self).__name__,
            "minside.batch_size": len(keys),
        }
        # Loaders of the gateway's own stores (the outbox) ask no back-office system.
        system = getattr(self, "system", None)
        if system is not None:
            attributes["minside.system"] = system
        with _tracer.start_as_current_span(
            f"{type(self).__name__} batch",
            attributes=attributes,
            # Failures are returned, not raised; anything raised is not for export (its text).
            record_exception=False,
            set_status_on_exception=False,
        ):
            return await self._load_batch(keys)

    async def _load_batch(self, keys: Sequence[K]) -> list[V | SourceError]:
        # Failures are returned, not raised: aiodataloader then keeps each key's failed
        # future cached for the request, as it keeps a value.
        tracker = self.context.sources
        read_cache = self.context.services.read_cache
        if self.cache_policy is None or read_cache is None:
            try:
                return list(await self._fetch_holding_back(keys))
            except BatchFailed as failed:
                tracker.record_failures(failed.failures)
                return [failed.error for _ in keys]
        viewer = self.context.viewer
        outcomes = await read_cache.read(
            self.cache_policy, keys, self._fetch_holding_back, viewer.pid if viewer else None
        )
        results: list[V | SourceError] = []
        recorded: list[BatchFailed] = []
        hits = stale = 0
        for outcome in outcomes:
            if isinstance(outcome, BatchFailed):
                if not any(outcome is seen for seen in recorded):  # once per failed fetch
                    recorded.append(outcome)
                    tracker.record_failures(outcome.failures)
                results.append(outcome.error)
                continue
            if outcome.stale:
                stale += 1
                tracker.served_stale(self.system, outcome.fetched_at)
            elif outcome.cached:
                hits += 1
                tracker.served_cached(self.system, outcome.fetched_at)
            results.append(outcome.value)
        # Misses: keys fetched now, whether the fetch succeeded or failed without a kept copy.
        misses = len(outcomes) - hits - stale
        self.context.services.cache_observer.on_cache_reads(
            self.cache_policy.name, hits, misses, stale
        )
        return results

    async def _fetch_holding_back(self, keys: Sequence[K]) -> Sequence[V]:
        # The batch's failures are reported by the caller once it knows whether a stale copy
        # covers them; those the fetch handled itself (and still succeeded) count at once.
        with holding_back_failures() as held:
            try:
                values = await self.fetch(keys)
            except SourceError as error:
                raise BatchFailed(error, list(held)) from None
        self.context.sources.record_failures(held)
        return values

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
