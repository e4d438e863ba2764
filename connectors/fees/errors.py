"""Errors of the fee/meter connector beyond the shared tree in :mod:`connectors.errors`."""

from __future__ import annotations

from enum import StrEnum

from connectors.errors import RemoteFault

SYSTEM = "fees"


class IdempotencyConflict(RemoteFault):
    """HTTP 409: the idempotency key was already used for a *different* reading.

    Permanent (retrying with the same key can never succeed) but not a business rejection of
    the reading itself: it means the caller reused a key, which is a bug on our side.
    """

    system = SYSTEM


class ReadingRejectionCode(StrEnum):
    """The ``code`` of a :class:`~connectors.errors.Rejected` raised by ``submit_reading``.

    The register may add codes; callers should treat an unknown code as a generic rejection.
    """

    UNKNOWN_METER = "unknown_meter"
    METER_REPLACED = "meter_replaced"
    DATE_IN_FUTURE = "date_in_future"
    BEFORE_LAST_READING = "before_last_reading"
    BELOW_LAST_READING = "below_last_reading"
    INVALID_VALUE = "invalid_value"
