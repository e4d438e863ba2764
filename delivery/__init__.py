"""Delivery of the outbox's accepted writes to the back-office systems.

- :mod:`delivery.payloads` — what a record's payload holds per kind (built by the mutations);
- :mod:`delivery.handlers` — how each kind is sent (fees register, Public 360);
- :mod:`delivery.policy` — retry or reject, and the back-off;
- :mod:`delivery.worker` — :class:`DeliveryWorker`, the loop that claims and delivers;
- :mod:`delivery.runner` — wiring from settings; ``python -m delivery`` runs it alone.
"""

from __future__ import annotations

from delivery.handlers import (
    ApplicationDelivery,
    DeliveryHandler,
    MeterReadingDelivery,
    PermanentDeliveryError,
)
from delivery.payloads import (
    ApplicationField,
    ApplicationFile,
    ApplicationPayload,
    InvalidPayload,
    MeterReadingPayload,
)
from delivery.policy import BackoffPolicy
from delivery.worker import DeliveryWorker

__all__ = [
    "ApplicationDelivery",
    "ApplicationField",
    "ApplicationFile",
    "ApplicationPayload",
    "BackoffPolicy",
    "DeliveryHandler",
    "DeliveryWorker",
    "InvalidPayload",
    "MeterReadingDelivery",
    "MeterReadingPayload",
    "PermanentDeliveryError",
]
