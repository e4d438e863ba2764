"""A request's overall time budget, as seen by every back-office call made for it.

The gateway opens a budget when a request arrives (:func:`request_budget`, in
:mod:`gateway.admission`); :class:`connectors.resilience.Resilience` ends each call, its slot
wait and its retries by the budget's deadline at the latest. A context variable carries it
because the calls are made deep below the request (dataloaders, nested resolvers) in tasks that
asyncio creates with a copy of the request's context: no signature in between has to pass it
on, and work started outside a request (the delivery worker) has no budget.

Deadlines are in event-loop time (``loop.time()``), the clock ``asyncio.timeout_at`` uses.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

__all__ = ["budget_deadline", "budget_remaining", "request_budget"]

_DEADLINE: ContextVar[float | None] = ContextVar("minside_request_deadline", default=None)


@contextlib.contextmanager
def request_budget(seconds: float) -> Iterator[float]:
    """Give the code run inside (and the tasks it starts) `seconds` in all; yields the deadline.

    A budget opened inside another never extends it: the earlier deadline wins.
    """
    if seconds <= 0:
        raise ValueError("a request budget must be positive")
    deadline = asyncio.get_running_loop().time() + seconds
    outer = _DEADLINE.get()
    if outer is not None:
        deadline = min(deadline, outer)
    token = _DEADLINE.set(deadline)
    try:
        yield deadline
    finally:
        _DEADLINE.reset(token)


def budget_deadline() -> float | None:
    """The current request's deadline in loop time, or ``None`` outside a request."""
    return _DEADLINE.get()


def budget_remaining() -> float | None:
    """Seconds left of the current request's budget (negative once spent), or ``None``."""
    deadline = _DEADLINE.get()
    if deadline is None:
        return None
    return deadline - asyncio.get_running_loop().time()
