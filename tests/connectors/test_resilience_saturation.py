"""connectors.resilience under the gateway's own saturation: the slot wait counts inside the
call's deadline, the request budget ends calls, and neither is blamed on the back-office.

No test here measures time: deadlines are short and real, and what is asserted is which error
came out, how often the backend was called, and what the breaker saw.
"""

from __future__ import annotations

import asyncio

import pytest
from tenacity import AsyncRetrying, RetryCallState

from connectors.budget import budget_deadline, budget_remaining, request_budget
from connectors.errors import (
    GatewayTimeout,
    LoopBusyTimeout,
    RequestBudgetSpent,
    SlotWaitTimeout,
    SystemTimeout,
    SystemUnavailable,
)
from connectors.resilience import (
    Resilience,
    ResiliencePolicy,
    is_retryable,
    stop_when_budget_too_short,
)


class Held:
    """A backend call that holds its slot until released (or forever)."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.release = asyncio.Event()
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        self.started.set()
        await self.release.wait()
        return "ok"


def make(**policy: object) -> Resilience:
    values: dict[str, object] = {
        "deadline_s": 0.2,
        "retries": 2,
        "backoff_base_s": 0,
        "backoff_max_s": 0,
        "breaker_failure_threshold": 1,
        "max_concurrency": 1,
    }
    values.update(policy)
    return Resilience("p360", ResiliencePolicy(**values))  # type: ignore[arg-type]


async def test_slot_wait_counts_inside_the_deadline_and_not_against_the_breaker() -> None:
    resilience = make(deadline_s=30.0)
    holder = Held()
    first = asyncio.create_task(resilience.call("GetCases", holder, idempotent=True))
    await holder.started.wait()
    assert resilience.in_flight == 1

    second_backend = Held()
    short = make(deadline_s=0.05)
    # The same semaphore, a short deadline: share the saturated resilience's slot.
    short._semaphore = resilience._semaphore
    with pytest.raises(SlotWaitTimeout) as raised:
        await short.call("GetCases", second_backend, idempotent=True)

    assert isinstance(raised.value, SystemTimeout)  # callers degrade as for any timeout
    assert second_backend.calls == 0  # never reached the system, and not retried
    assert short.breaker_state == "closed"
    assert short.snapshot().consecutive_failures == 0
    assert short.snapshot().last_failure_at is None
    assert short.waiting == 0

    holder.release.set()
    assert await first == "ok"
    assert resilience.breaker_state == "closed"
    assert resilience.in_flight == 0


async def test_a_call_queued_behind_a_slow_one_times_out_at_its_own_deadline() -> None:
    resilience = make(deadline_s=0.1)
    holder = Held()
    first = asyncio.create_task(resilience.call("GetCases", holder, idempotent=False))
    await holder.started.wait()
    second = Held()
    with pytest.raises(SlotWaitTimeout):
        await resilience.call("GetDocuments", second, idempotent=True)
    assert second.calls == 0
    # The first call held the slot for its whole deadline: that one is the system's doing.
    with pytest.raises(SystemTimeout) as raised:
        await first
    assert not isinstance(raised.value, GatewayTimeout)
    assert resilience.breaker_state == "open"


async def test_a_wait_that_shortens_the_call_is_not_blamed_on_the_system() -> None:
    resilience = make(deadline_s=0.2, retries=0)
    holder = Held()
    first = asyncio.create_task(resilience.call("GetCases", holder, idempotent=True))
    await holder.started.wait()

    slow = Held()  # gets the slot late, then never answers within what is left
    second = asyncio.create_task(resilience.call("GetDocuments", slow, idempotent=True))
    for _ in range(5):  # a few loop turns: the second call queues on the semaphore
        await asyncio.sleep(0)
    assert resilience.waiting == 1
    holder.release.set()
    assert await first == "ok"
    await slow.started.wait()
    with pytest.raises(SlotWaitTimeout):
        await second
    assert slow.calls == 1
    assert resilience.breaker_state == "closed"
    assert resilience.snapshot().consecutive_failures == 0


async def test_the_request_budget_ends_a_call_without_counting_or_retrying_it() -> None:
    resilience = make(deadline_s=30.0, max_concurrency=5)
    backend = Held()
    with request_budget(0.05), pytest.raises(RequestBudgetSpent):
        await resilience.call("GetCases", backend, idempotent=True)
    assert backend.calls == 1
    assert resilience.breaker_state == "closed"
    assert resilience.snapshot().last_failure_at is None
    assert resilience.in_flight == 0


async def test_a_spent_budget_does_not_call_the_system_at_all() -> None:
    resilience = make(deadline_s=30.0)
    backend = Held()
    with request_budget(0.01):
        await asyncio.sleep(0.02)
        remaining = budget_remaining()
        assert remaining is not None and remaining < 0
        with pytest.raises(RequestBudgetSpent):
            await resilience.call("GetCases", backend, idempotent=True)
    assert backend.calls == 0
    assert budget_deadline() is None  # the budget ends with its block


async def test_a_budget_that_waits_for_a_slot_is_spent_not_a_slot_timeout() -> None:
    resilience = make(deadline_s=30.0)
    holder = Held()
    first = asyncio.create_task(resilience.call("GetCases", holder, idempotent=True))
    await holder.started.wait()
    with request_budget(0.05), pytest.raises(RequestBudgetSpent):
        await resilience.call("GetCases", Held(), idempotent=True)
    holder.release.set()
    assert await first == "ok"


async def test_a_real_timeout_without_contention_still_opens_the_breaker() -> None:
    resilience = make(deadline_s=0.02, retries=0)
    with pytest.raises(SystemTimeout) as raised:
        await resilience.call("GetCases", Held(), idempotent=True)
    assert not isinstance(raised.value, GatewayTimeout)
    assert resilience.breaker_state == "open"


async def test_budgets_nest_to_the_earlier_deadline() -> None:
    with request_budget(10.0) as outer, request_budget(100.0) as inner:
        assert inner == outer
    with request_budget(10.0) as outer, request_budget(1.0) as inner:
        assert inner < outer
    with pytest.raises(ValueError):
        request_budget(0).__enter__()


async def test_the_budget_reaches_tasks_started_inside_it() -> None:
    async def seen() -> float | None:
        return budget_deadline()

    with request_budget(5.0) as deadline:
        assert await asyncio.create_task(seen()) == deadline
    assert await asyncio.create_task(seen()) is None


def test_gateway_timeouts_are_not_retried() -> None:
    assert not is_retryable(SlotWaitTimeout("x"))
    assert not is_retryable(RequestBudgetSpent("x"))
    assert is_retryable(SystemTimeout("x"))
    assert is_retryable(SystemUnavailable("x"))


async def test_retries_stop_when_the_back_off_would_outlast_the_budget() -> None:
    stop = stop_when_budget_too_short()
    state = RetryCallState(AsyncRetrying(), None, (), {})
    state.upcoming_sleep = 0.5
    assert stop(state) is False  # no budget: only the attempt count stops
    with request_budget(0.1):
        assert stop(state) is True
    with request_budget(5.0):
        assert stop(state) is False


async def test_a_deadline_seen_late_by_a_busy_loop_is_not_blamed_on_the_system() -> None:
    resilience = make(deadline_s=0.05, retries=2, max_concurrency=5)
    backend = Held()
    call = asyncio.create_task(resilience.call("GetCases", backend, idempotent=True))
    await backend.started.wait()
    busy_until = asyncio.get_running_loop().time() + 0.5
    while asyncio.get_running_loop().time() < busy_until:
        pass  # CPU-bound work holds the loop past the deadline: its timer runs late
    with pytest.raises(LoopBusyTimeout):
        await call
    assert backend.calls == 1  # not retried
    assert resilience.breaker_state == "closed"
    assert resilience.snapshot().consecutive_failures == 0
