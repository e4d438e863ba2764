"""Admission control for GraphQL: a cap on executions per worker, a bounded queue, 503 past it.

When more citizens come at once than one worker can serve, letting all of them in makes every
one of them slow (and holds all their memory) until back-office deadlines fire and breakers
open for what is really the gateway's own saturation. Instead, :class:`Admission` lets
``limit`` requests execute at once and queues the rest in arrival order; a request that would
wait longer than ``max_wait_s``, or that finds ``max_queued`` already waiting, is answered at
once with 503, ``Retry-After`` and an ``OVERLOADED`` error (:class:`AdmissionControl`).

Every admitted request also gets its overall time budget (:mod:`connectors.budget`), counted
from arrival so that time spent queued is part of it.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from connectors.budget import request_budget
from kernel.errors import ErrorCode, error_envelope
from schema.observe import current_operation

__all__ = ["Admission", "AdmissionControl"]


class Admission:
    """At most ``limit`` holders at once; FIFO waiters, each for at most ``max_wait_s``.

    Not thread-safe: one per worker's event loop. :meth:`acquire` returns False when the
    caller must be turned away; a True must be paired with one :meth:`release`.
    """

    def __init__(self, limit: int, *, max_wait_s: float, max_queued: int) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        if max_wait_s < 0 or max_queued < 0:
            raise ValueError("max_wait_s and max_queued must not be negative")
        self.limit = limit
        self.max_wait_s = max_wait_s
        self.max_queued = max_queued
        self._active = 0
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        self.shed = 0  # requests turned away since start (a counter for /metrics)

    @property
    def active(self) -> int:
        """Requests executing now."""
        return self._active

    @property
    def queued(self) -> int:
        """Requests waiting for an execution slot now."""
        return len(self._waiters)

    async def acquire(self) -> bool:
        """Take an execution slot, waiting in line for at most ``max_wait_s``; False if not."""
        if self._active < self.limit and not self._waiters:
            self._active += 1
            return True
        if self.max_wait_s == 0 or len(self._waiters) >= self.max_queued:
            self.shed += 1
            return False
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout(self.max_wait_s):
                await waiter
        except TimeoutError:
            # Raced: the slot may have been handed over just as the wait ran out; keep it then.
            if waiter.done() and not waiter.cancelled():
                return True
            self.shed += 1
            return False
        except BaseException:
            # Cancelled (the client went away): pass on a slot that was already handed over.
            if waiter.done() and not waiter.cancelled():
                self.release()
            raise
        finally:
            with contextlib.suppress(ValueError):
                self._waiters.remove(waiter)
        return True

    def release(self) -> None:
        """Give the slot back: to the longest-waiting request, or free."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                # The slot passes on without becoming free, so nobody can jump the queue.
                waiter.set_result(None)
                return
        self._active -= 1


class AdmissionControl:
    """ASGI wrapper: admits each HTTP request through :class:`Admission`, under its budget.

    A request turned away gets ``503`` with ``Retry-After`` and the typed error body, without
    reading its body or running anything. An admitted one runs inside
    :func:`connectors.budget.request_budget`, so its back-office calls end by then and their
    fields come back ``null`` with ``SOURCE_TIMEOUT`` while the rest of the answer is served.
    """

    def __init__(
        self, app: ASGIApp, admission: Admission, *, budget_s: float, retry_after_s: int
    ) -> None:
        self.app = app
        self.admission = admission
        self.budget_s = budget_s
        self.retry_after_s = retry_after_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with request_budget(self.budget_s):
            if not await self.admission.acquire():
                await self._overloaded(scope, receive, send)
                return
            try:
                await self.app(scope, receive, send)
            finally:
                self.admission.release()

    async def _overloaded(self, scope: Scope, receive: Receive, send: Send) -> None:
        record = current_operation.get()
        if record is not None:  # for /metrics (gateway.observe)
            record.outcome = "overloaded"
        response = JSONResponse(
            error_envelope(
                ErrorCode.OVERLOADED, "Min side is very busy right now; try again shortly"
            ),
            status_code=503,
            headers={"Retry-After": str(self.retry_after_s)},
        )
        await response(scope, receive, send)
