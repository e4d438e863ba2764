"""Clocks that tests move by hand, so nothing waits on real time.

Production code takes its clock as an argument (``clock=`` on breakers, resilience, session
stores, JWKS caches, the outbox); tests pass one of these and move it with :meth:`advance` or
by setting ``now``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

# A fixed moment for wall-clock tests: midday, mid-June 2026 (Oslo summer time is UTC+2).
T0 = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


class FakeClock:
    """Seconds as a float, standing in for ``time.monotonic`` or ``time.time``."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds``."""
        self.now += seconds


class FakeDateTimeClock:
    """An aware :class:`~datetime.datetime`, standing in for ``datetime.now(UTC)``."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds``."""
        self.now += timedelta(seconds=seconds)
