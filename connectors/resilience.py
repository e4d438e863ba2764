"""One resilience policy around every back-office call.

:class:`Resilience` wraps a connector's coroutine with, from the outside in:

1. **retries** (tenacity): only for idempotent calls and only on
   :class:`SystemUnavailable` / :class:`SystemTimeout`, with full-jitter
   exponential back-off so a fleet of gateways does not retry in lock-step;
   writes are never retried here because a lost answer does not mean a lost
   write (writes carry an idempotency key and are retried by their outbox);
2. a **concurrency limit** (``asyncio.Semaphore``) per system, so a slow
   backend cannot absorb every request of the gateway;
3. a **circuit breaker** (:class:`connectors.breaker.CircuitBreaker`) that
   counts only transport failures and fails fast with :class:`CircuitOpen`;
4. a **deadline per attempt** (``asyncio.timeout``) -> :class:`SystemTimeout`.

``fn`` should already translate its transport errors into the
:mod:`connectors.errors` tree; stray ``aiohttp.ClientError`` / ``OSError`` are
mapped to :class:`SystemUnavailable` and ``TimeoutError`` to
:class:`SystemTimeout` here as a safety net. Messages carry only the system,
the operation and an exception class name, never a body or an identifier.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

from connectors.breaker import BreakerStateName, CircuitBreaker
from connectors.errors import (
    CircuitOpen,
    ConnectorError,
    SystemTimeout,
    SystemUnavailable,
)
from connectors.failures import TRANSPORT_ERRORS, transport_error

__all__ = ["Resilience", "ResiliencePolicy", "ResilienceSnapshot"]

T = TypeVar("T")

# Errors that say "the system is unhealthy": retried (if idempotent) and
# counted by the breaker. Everything else means the system answered.
TRANSIENT_ERRORS: tuple[type[ConnectorError], ...] = (SystemUnavailable, SystemTimeout)


def is_retryable(exc: BaseException) -> bool:
    """True for transport failures worth another attempt; never for ``CircuitOpen``."""
    return isinstance(exc, TRANSIENT_ERRORS) and not isinstance(exc, CircuitOpen)


@dataclass(frozen=True)
class ResiliencePolicy:
    """Tunables of :class:`Resilience`; one policy per back-office system."""

    deadline_s: float = 5.0
    retries: int = 2
    backoff_base_s: float = 0.05
    backoff_max_s: float = 1.0
    breaker_failure_threshold: int = 5
    breaker_reset_s: float = 10.0
    max_concurrency: int = 20

    def __post_init__(self) -> None:
        if self.deadline_s <= 0:
            raise ValueError("deadline_s must be positive")
        if self.retries < 0:
            raise ValueError("retries must not be negative")
        if self.backoff_base_s < 0 or self.backoff_max_s < 0:
            raise ValueError("back-off times must not be negative")
        if self.breaker_failure_threshold < 1:
            raise ValueError("breaker_failure_threshold must be at least 1")
        if self.breaker_reset_s < 0:
            raise ValueError("breaker_reset_s must not be negative")
        if self.max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")


@dataclass(frozen=True)
class ResilienceSnapshot:
    """Health of one system as seen by its :class:`Resilience` (for sources, /readyz).

    Timestamps are wall-clock epoch seconds of the last attempt that ended in a
    transport failure / in an answer, or ``None`` if there was none yet.
    """

    system: str
    breaker_state: BreakerStateName
    last_failure_at: float | None
    last_success_at: float | None
    consecutive_failures: int
    failing_since: float | None = None  # first transport failure since the last answer


class Resilience:
    """Deadline, retries, circuit breaker and concurrency limit for one system.

    Create one per system in the app's lifespan and share it between requests;
    the breaker and semaphore are only meaningful when shared. ``clock``
    (monotonic seconds) drives the breaker, ``wall_clock`` stamps the
    snapshot and ``sleep`` waits between retries; tests inject all three.
    """

    def __init__(
        self,
        system: str,
        policy: ResiliencePolicy,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.system = system
        self.policy = policy
        self._breaker = CircuitBreaker(
            policy.breaker_failure_threshold, policy.breaker_reset_s, clock=clock
        )
        self._wall_clock = wall_clock
        self._sleep = sleep
        self._semaphore = asyncio.Semaphore(policy.max_concurrency)
        self._last_failure_at: float | None = None
        self._last_success_at: float | None = None
        self._failing_since: float | None = None

    @property
    def breaker_state(self) -> BreakerStateName:
        """``"closed"``, ``"open"`` or ``"half-open"``."""
        return self._breaker.state

    def snapshot(self) -> ResilienceSnapshot:
        """A point-in-time view of this system's health."""
        return ResilienceSnapshot(
            system=self.system,
            breaker_state=self._breaker.state,
            last_failure_at=self._last_failure_at,
            last_success_at=self._last_success_at,
            consecutive_failures=self._breaker.consecutive_failures,
            failing_since=self._failing_since,
        )

    def retrying(self, idempotent: bool) -> AsyncRetrying:
        """The tenacity controller used for one call (public so tests can inspect it)."""
        return AsyncRetrying(
            stop=stop_after_attempt(self.policy.retries + 1 if idempotent else 1),
            # Full jitter: uniform(0, min(max, base * 2**n)).
            wait=wait_random_exponential(
                multiplier=self.policy.backoff_base_s, max=self.policy.backoff_max_s
            ),
            retry=retry_if_exception(is_retryable),
            sleep=self._sleep,
            reraise=True,
        )

    async def call(self, operation: str, fn: Callable[[], Awaitable[T]], *, idempotent: bool) -> T:
        """Run ``fn`` under the policy and return its result.

        ``fn`` is called once per attempt and must build a fresh awaitable each
        time. Raises the :mod:`connectors.errors` tree; ``CircuitOpen`` when the
        breaker refuses the call without running ``fn``.
        """
        async for attempt in self.retrying(idempotent):
            with attempt:
                return await self._attempt(operation, fn)
        # Unreachable: reraise=True makes tenacity raise the last error.
        raise AssertionError("retry loop ended without result")  # pragma: no cover

    async def _attempt(self, operation: str, fn: Callable[[], Awaitable[T]]) -> T:
        async with self._semaphore:
            # Checked after queueing on the semaphore: the backend may have
            # been declared dead while this call waited.
            if not self._breaker.try_acquire():
                raise CircuitOpen(
                    "circuit breaker is open; call not attempted",
                    system=self.system,
                    operation=operation,
                )
            try:
                result = await self._run_with_deadline(operation, fn)
            except TRANSIENT_ERRORS:
                self._last_failure_at = self._wall_clock()
                if self._failing_since is None:
                    self._failing_since = self._last_failure_at
                self._breaker.record_failure()
                raise
            except ConnectorError:
                # The system answered (fault, not found, garbage): it is alive.
                self._answered()
                raise
            except BaseException:
                # Cancellation or a bug in fn says nothing about the backend.
                self._breaker.release()
                raise
            self._answered()
            return result

    def _answered(self) -> None:
        self._last_success_at = self._wall_clock()
        self._failing_since = None
        self._breaker.record_success()

    async def _run_with_deadline(self, operation: str, fn: Callable[[], Awaitable[T]]) -> T:
        deadline = asyncio.timeout(self.policy.deadline_s)
        try:
            async with deadline:
                return await fn()
        except ConnectorError as exc:
            self._fill_context(exc, operation)
            raise
        except TimeoutError as exc:
            # Before OSError: TimeoutError is an OSError subclass, and aiohttp's
            # ServerTimeoutError is both a ClientError and a TimeoutError.
            reason = (
                f"no answer within {self.policy.deadline_s:g}s"
                if deadline.expired()
                else f"timed out ({type(exc).__name__})"
            )
            raise SystemTimeout(reason, system=self.system, operation=operation) from exc
        except TRANSPORT_ERRORS as exc:
            raise transport_error(exc, system=self.system, operation=operation) from exc

    def _fill_context(self, exc: ConnectorError, operation: str) -> None:
        # Connectors that raise the shared classes without context still get
        # a useful "system.operation" in logs.
        if exc.system == ConnectorError.system:
            exc.system = self.system
        if exc.operation == ConnectorError.operation:
            exc.operation = operation
