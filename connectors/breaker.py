"""A small consecutive-failure circuit breaker with an injectable clock.

Why not purgatory (installed, 3.0.1)? Its state model reads ``time.time()``
directly, so tests cannot advance time without sleeping and a wall-clock jump
(NTP, DST-free but still adjustable) can open or close a breaker; its
half-open state lets *every* concurrent caller through instead of one probe;
it raises its own ``OpenedState`` exception and counts every exception unless
excluded (we want the opposite: count only transport failures); and its async
API routes each state change through a message bus and unit of work, which is
a lot of machinery for one in-process counter. This class is the ~100 lines
we actually need.

States:

* ``closed``: calls pass; each counted failure increments a counter, any
  success resets it; reaching ``failure_threshold`` opens the breaker.
* ``open``: calls are refused until ``reset_s`` has passed since opening.
* ``half-open``: exactly one probe call is let through; its success closes the
  breaker, its failure opens it again for another ``reset_s``.

The breaker only keeps state; :class:`connectors.resilience.Resilience`
decides what counts as a failure and raises ``CircuitOpen``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal

__all__ = ["BreakerStateName", "CircuitBreaker"]

BreakerStateName = Literal["closed", "open", "half-open"]


class CircuitBreaker:
    """Consecutive-failure circuit breaker; not thread-safe, one per event loop.

    Usage: ``if not breaker.try_acquire(): fail fast``; then exactly one of
    :meth:`record_success`, :meth:`record_failure` or :meth:`release` for the
    admitted call.
    """

    def __init__(
        self,
        failure_threshold: int,
        reset_s: float,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        if reset_s < 0:
            raise ValueError("reset_s must not be negative")
        self._threshold = failure_threshold
        self._reset_s = reset_s
        self._clock = clock
        self._opened_at: float | None = None
        self._consecutive_failures = 0
        self._probe_in_flight = False

    @property
    def state(self) -> BreakerStateName:
        """Current state; an open breaker whose reset time passed reports half-open."""
        if self._opened_at is None:
            return "closed"
        if self._probe_in_flight or self._clock() - self._opened_at >= self._reset_s:
            return "half-open"
        return "open"

    @property
    def consecutive_failures(self) -> int:
        """Counted failures since the last success."""
        return self._consecutive_failures

    def try_acquire(self) -> bool:
        """Admit a call (True) or refuse it because the breaker is open (False).

        In half-open state only the first caller is admitted as the probe;
        others are refused until the probe has been recorded or released.
        """
        state = self.state
        if state == "closed":
            return True
        if state == "half-open" and not self._probe_in_flight:
            self._probe_in_flight = True
            return True
        return False

    def record_success(self) -> None:
        """The admitted call reached the system and got an answer: close."""
        self._consecutive_failures = 0
        self._opened_at = None
        self._probe_in_flight = False

    def record_failure(self) -> None:
        """The admitted call failed in a way that says the system is unhealthy."""
        self._consecutive_failures += 1
        if self._probe_in_flight or self._opened_at is not None:
            # A failed probe (or a late failure of a call admitted before the
            # breaker opened) restarts the open period.
            self._open()
        elif self._consecutive_failures >= self._threshold:
            self._open()

    def release(self) -> None:
        """The admitted call ended without a verdict (cancelled, programming error).

        Frees the half-open probe slot so the next caller can probe instead.
        """
        self._probe_in_flight = False

    def _open(self) -> None:
        self._opened_at = self._clock()
        self._probe_in_flight = False
