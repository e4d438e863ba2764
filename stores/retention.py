"""Retention: every store that keeps personal data lets go of it on time, from one entry point.

:func:`purges` lists each store's purge by name; :func:`purge_all` runs them. Both the delivery
worker (every ``MINSIDE_PURGE_INTERVAL_S``, see :mod:`delivery.runner`) and
``minside purge`` (a cron job, or by hand) call them, so a store added here is purged by both.

Adding a store is one entry in :func:`purges` (a purge returning a mapping of counts), as the
citizen's access log was added::

    "access_log": access_log_purge(settings),
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict
from datetime import datetime

from kernel.settings import Settings
from stores import purge_access_log
from stores.outbox import Outbox, OutboxRetention

__all__ = ["Purge", "access_log_purge", "outbox_purge", "outbox_retention", "purge_all", "purges"]

#: One store's purge as of ``now``: what it did, as counts (no personal data).
Purge = Callable[[datetime], Awaitable[Mapping[str, int]]]


def outbox_retention(settings: Settings) -> OutboxRetention:
    """The outbox's retention periods from the ``outbox_*_retention_s`` settings."""
    return OutboxRetention(
        payload_s=settings.outbox_payload_retention_s,
        delivered_s=settings.outbox_receipt_retention_s,
        rejected_s=settings.outbox_rejected_retention_s,
    )


def outbox_purge(outbox: Outbox, retention: OutboxRetention) -> Purge:
    """The outbox's :meth:`~stores.outbox.Outbox.purge` as a :data:`Purge`."""

    async def purge(now: datetime) -> Mapping[str, int]:
        return asdict(await outbox.purge(now, retention))

    return purge


def access_log_purge(settings: Settings) -> Purge:
    """The access log's purge (``MINSIDE_ACCESS_LOG_RETENTION_DAYS``) as a :data:`Purge`."""

    async def purge(now: datetime) -> Mapping[str, int]:
        return {"deleted": await purge_access_log(settings, now=lambda: now)}

    return purge


def purges(settings: Settings, outbox: Outbox) -> dict[str, Purge]:
    """Every store's purge by name (see the module docstring to add one)."""
    return {
        "outbox": outbox_purge(outbox, outbox_retention(settings)),
        "access_log": access_log_purge(settings),
    }


async def purge_all(targets: Mapping[str, Purge], now: datetime) -> dict[str, Mapping[str, int]]:
    """Run every purge (in order; one failing stops the rest: they are retried next time)."""
    return {name: await purge(now) for name, purge in targets.items()}
