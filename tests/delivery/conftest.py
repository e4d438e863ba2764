"""Fixtures of the delivery tests (defined in :mod:`tests.delivery.stack`)."""

from __future__ import annotations

from tests.delivery.stack import clock, outbox, stack

__all__ = ["clock", "outbox", "stack"]
