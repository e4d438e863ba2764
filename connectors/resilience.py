"""One resilience policy around every back-office call.

:class:`Resilience` wraps a connector's coroutine with, from the outside in:

1. **retries** (tenacity): only for idempotent calls and only on
   :class:`SystemUnavailable` / :class:`SystemTimeout`, with full-jitter
   exponential back-off so a fleet of gateways does not retry in lock-step;
   writes are never retried here because a lost answer does not mean a lost
   write (writes carry an idempotency key and are retried by their outbox);
2. a **deadline per attempt** (``asyncio.timeout_at``) -> :class:`SystemTimeout`, which
   covers the wait for a concurrency slot too, and ends no later than the request's
   time budget (:mod:`connectors.budget`);
3. a **concurrency limit** (``asyncio.Semaphore``) per system, so a slow
   backend cannot absorb every request of the gateway;
4. a **circuit breaker** (:class:`connectors.breaker.CircuitBreaker`) that
   counts only transport failures and fails fast with :class:`CircuitOpen`.

The breaker counts only what the back-office did. A deadline that passed while the call
waited for a slot (or that such a wait shortened), the request's budget running out, or a
deadline timer that ran late because the event loop was busy, is the gateway's own
saturation: the caller gets a :class:`GatewayTimeout` (:class:`SlotWaitTimeout`,
:class:`RequestBudgetSpent`, :class:`LoopBusyTimeout`), the breaker is not told, and it is
not retried.

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

from opentelemetry import trace
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    stop_any,
    wait_random_exponential,
)
from tenacity.stop import stop_base

from connectors.breaker import BreakerStateName, CircuitBreaker
from connectors.budget import budget_deadline
from connectors.errors import (
    CircuitOpen,
    ConnectorError,
    GatewayTimeout,
    LoopBusyTimeout,
    RequestBudgetSpent,
    SlotWaitTimeout,
    SystemTimeout,
    SystemUnavailable,
)
from connectors.failures import TRANSPORT_ERRORS, transport_error
from connectors.observe import NO_OBSERVER, CallObserver, call_span, outcome_of

__all__ = ["Resilience", "ResiliencePolicy", "ResilienceSnapshot"]

T = TypeVar("T")

# A deadline timer that runs this late says the event loop was busy elsewhere when the
# deadline passed, so an answer may have sat unread in the socket: the gateway's saturation.
# Timers normally run within milliseconds; a quarter second is far beyond noise.
LATE_TIMER_S = 0.25

# Errors that say "the system is unhealthy": retried (if idempotent) and
# counted by the breaker. Everything else means the system answered.
TRANSIENT_ERRORS: tuple[type[ConnectorError], ...] = (SystemUnavailable, SystemTimeout)


def is_retryable(exc: BaseException) -> bool:
    """True for transport failures worth another attempt; never for ``CircuitOpen`` nor for a
    :class:`GatewayTimeout` (another attempt would only queue behind the same saturation)."""
    return isinstance(exc, TRANSIENT_ERRORS) and not isinstance(exc, CircuitOpen | GatewayTimeout)


class stop_when_budget_too_short(stop_base):
    """tenacity stop condition: the request's budget ends before the next attempt would start.

    Stopping keeps the last real failure (unavailable, timeout) as the caller's error instead
    of replacing it with a :class:`RequestBudgetSpent` after a pointless back-off.
    """

    def __call__(self, retry_state: RetryCallState) -> bool:
        deadline = budget_deadline()
        if deadline is None:
            return False
        upcoming = retry_state.upcoming_sleep or 0.0
        return asyncio.get_running_loop().time() + upcoming >= deadline


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

    ``observer`` is told of every call as it ends (system, operation, outcome, seconds; see
    :mod:`connectors.observe`); the app sets its metrics there after construction.
    """

    def __init__(
        self,
        system: str,
        policy: ResiliencePolicy,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        observer: CallObserver = NO_OBSERVER,
    ) -> None:
        self.system = system
        self.observer = observer
        self.policy = policy
        self._breaker = CircuitBreaker(
            policy.breaker_failure_threshold, policy.breaker_reset_s, clock=clock
        )
        self._wall_clock = wall_clock
        self._sleep = sleep
        self._semaphore = asyncio.Semaphore(policy.max_concurrency)
        self._in_flight = 0
        self._waiting = 0
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
            stop=stop_any(
                stop_after_attempt(self.policy.retries + 1 if idempotent else 1),
                stop_when_budget_too_short(),
            ),
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

        The call, retries included, is one span (:func:`connectors.observe.call_span`) and one
        report to :attr:`observer`.
        """
        started = time.perf_counter()
        failure: BaseException | None = None
        with call_span(self.system, operation) as span:
            try:
                async for attempt in self.retrying(idempotent):
                    with attempt:
                        return await self._attempt(operation, fn)
                # Unreachable: reraise=True makes tenacity raise the last error.
                raise AssertionError("retry loop ended without result")  # pragma: no cover
            except BaseException as exc:
                failure = exc
                raise
            finally:
                outcome = outcome_of(failure)
                span.set_attribute("minside.outcome", outcome)
                if failure is not None:
                    span.set_status(trace.StatusCode.ERROR, outcome)
                self.observer.on_call(
                    self.system, operation, outcome, time.perf_counter() - started
                )

    @property
    def in_flight(self) -> int:
        """Calls to this system holding a concurrency slot now."""
        return self._in_flight

    @property
    def waiting(self) -> int:
        """Calls to this system waiting for a concurrency slot now."""
        return self._waiting

    async def _attempt(self, operation: str, fn: Callable[[], Awaitable[T]]) -> T:
        loop = asyncio.get_running_loop()
        now = loop.time()
        own_deadline = now + self.policy.deadline_s
        budget = budget_deadline()
        budget_binds = budget is not None and budget < own_deadline
        when = budget if budget is not None and budget_binds else own_deadline
        if when <= now:  # only a spent budget can be in the past
            raise self._gateway_timeout(operation, budget=True)
        # The slot wait is inside the call's deadline: a queue of callers behind a slow system
        # ends with the deadline instead of adding to it.
        waited = self._semaphore.locked()
        self._waiting += 1
        try:
            async with asyncio.timeout_at(when):
                await self._semaphore.acquire()
        except TimeoutError:
            raise self._gateway_timeout(operation, budget_binds, queued=True) from None
        finally:
            self._waiting -= 1
        self._in_flight += 1
        try:
            # Checked after queueing on the semaphore: the backend may have
            # been declared dead while this call waited.
            if not self._breaker.try_acquire():
                raise CircuitOpen(
                    "circuit breaker is open; call not attempted",
                    system=self.system,
                    operation=operation,
                )
            try:
                result = await self._run_until(operation, fn, when)
            except _DeadlinePassed as passed:
                if budget_binds or waited:
                    # The system had less than its own deadline: saturation, not a failure.
                    self._breaker.release()
                    raise self._gateway_timeout(operation, budget_binds) from passed
                if loop.time() - when > LATE_TIMER_S:
                    self._breaker.release()
                    raise LoopBusyTimeout(
                        "the gateway was too busy to read the answer in time",
                        system=self.system,
                        operation=operation,
                    ) from passed
                self._failed()
                raise SystemTimeout(
                    f"no answer within {self.policy.deadline_s:g}s",
                    system=self.system,
                    operation=operation,
                ) from passed.__cause__
            except TRANSIENT_ERRORS:
                self._failed()
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
        finally:
            self._in_flight -= 1
            self._semaphore.release()

    def _gateway_timeout(
        self, operation: str, budget: bool, *, queued: bool = False
    ) -> GatewayTimeout:
        """The error of a call the gateway itself ran out of time for (see the module doc).

        ``budget``: the request's budget ended it. Else its own deadline did: in the slot
        queue (``queued``), or while it ran for less than the deadline after waiting there.
        """
        if budget:
            return RequestBudgetSpent(
                "the request's time budget ran out", system=self.system, operation=operation
            )
        where = "waiting for a concurrency slot" if queued else "after waiting for a slot"
        return SlotWaitTimeout(
            f"deadline of {self.policy.deadline_s:g}s passed {where}",
            system=self.system,
            operation=operation,
        )

    def _failed(self) -> None:
        self._last_failure_at = self._wall_clock()
        if self._failing_since is None:
            self._failing_since = self._last_failure_at
        self._breaker.record_failure()

    def _answered(self) -> None:
        self._last_success_at = self._wall_clock()
        self._failing_since = None
        self._breaker.record_success()

    async def _run_until(self, operation: str, fn: Callable[[], Awaitable[T]], when: float) -> T:
        deadline = asyncio.timeout_at(when)
        try:
            async with deadline:
                return await fn()
        except ConnectorError as exc:
            self._fill_context(exc, operation)
            raise
        except TimeoutError as exc:
            # Before OSError: TimeoutError is an OSError subclass, and aiohttp's
            # ServerTimeoutError is both a ClientError and a TimeoutError.
            if deadline.expired():
                # Which deadline it was decides who is to blame: the caller knows.
                raise _DeadlinePassed() from exc
            raise SystemTimeout(
                f"timed out ({type(exc).__name__})", system=self.system, operation=operation
            ) from exc
        except TRANSPORT_ERRORS as exc:
            raise transport_error(exc, system=self.system, operation=operation) from exc

    def _fill_context(self, exc: ConnectorError, operation: str) -> None:
        # Connectors that raise the shared classes without context still get
        # a useful "system.operation" in logs.
        if exc.system == ConnectorError.system:
            exc.system = self.system
        if exc.operation == ConnectorError.operation:
            exc.operation = operation


class _DeadlinePassed(Exception):
    """Internal: the attempt's own deadline (not the transport's timeout) cut the call short."""
