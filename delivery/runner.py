"""Wiring: the delivery worker of a gateway process, built from settings and the connectors.

In the app's lifespan::

    outbox = await open_outbox(settings)  # PostgreSQL or SQLite, by the settings
    connectors = open_connectors(settings, session)
    worker = build_worker(settings, outbox, connectors)
    task = asyncio.create_task(worker.run())
    ...                              # on shutdown: task.cancel(); await outbox.close()

:func:`run_standalone` runs the same worker as a process of its own (``python -m delivery``).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Mapping
from datetime import datetime, timedelta

import aiohttp

from connectors.fees.client import FeesClient
from connectors.p360.client import P360Client
from connectors.registry import Connectors, open_connectors
from delivery.handlers import ApplicationDelivery, DeliveryHandler, MeterReadingDelivery
from delivery.policy import BackoffPolicy
from delivery.worker import DeliveryWorker
from kernel.settings import Settings
from stores import open_outbox
from stores.outbox import Outbox, OutboxKind
from stores.retention import purge_all, purges

__all__ = ["build_worker", "delivery_handlers", "run_standalone"]


def delivery_handlers(connectors: Connectors) -> dict[OutboxKind, DeliveryHandler]:
    """The handler of every outbox kind, on the process's connectors."""
    return {
        OutboxKind.METER_READING: MeterReadingDelivery(connectors.get(FeesClient)),
        OutboxKind.APPLICATION: ApplicationDelivery(connectors.get(P360Client)),
    }


def build_worker(
    settings: Settings,
    outbox: Outbox,
    connectors: Connectors,
    handlers: Mapping[OutboxKind, DeliveryHandler] | None = None,
) -> DeliveryWorker:
    """A :class:`DeliveryWorker` configured by the ``delivery_*`` settings, with the
    :func:`delivery_handlers` of ``connectors`` unless ``handlers`` are given."""
    max_age = settings.delivery_max_age_s
    targets = purges(settings, outbox)

    async def purge(now: datetime) -> object:
        return await purge_all(targets, now)

    return DeliveryWorker(
        outbox,
        delivery_handlers(connectors) if handlers is None else handlers,
        backoff=BackoffPolicy(base_s=1.0, max_s=settings.delivery_backoff_max_s),
        lease_s=settings.delivery_lease_s,
        concurrency=settings.delivery_concurrency,
        max_lost_leases=settings.delivery_max_lost_leases,
        max_age=None if max_age is None else timedelta(seconds=max_age),
        # Payload retention 0: private data and files go with the final mark itself.
        drop_private=settings.outbox_payload_retention_s == 0,
        purge=purge,
        purge_every_s=settings.purge_interval_s,
    )


async def run_standalone(settings: Settings) -> None:
    """Deliver from the configured outbox until SIGINT/SIGTERM (a delivery-only process)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    outbox = await open_outbox(settings)
    try:
        async with aiohttp.ClientSession() as session:
            worker = build_worker(settings, outbox, open_connectors(settings, session))
            task = asyncio.create_task(worker.run(), name="delivery")
            await stop.wait()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    finally:
        await outbox.close()
