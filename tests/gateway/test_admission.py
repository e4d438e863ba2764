"""gateway.admission.Admission and gateway.metrics.LoopLagMonitor, without a server."""

from __future__ import annotations

import asyncio

import pytest

from gateway.admission import Admission
from gateway.metrics import LoopLagMonitor


async def turns(n: int = 5) -> None:
    for _ in range(n):
        await asyncio.sleep(0)


async def test_within_the_limit_requests_are_admitted_at_once() -> None:
    admission = Admission(2, max_wait_s=0, max_queued=0)
    assert await admission.acquire() and await admission.acquire()
    assert admission.active == 2
    assert not await admission.acquire()  # no wait allowed: shed
    assert admission.shed == 1
    admission.release()
    assert await admission.acquire()


async def test_waiters_are_served_in_arrival_order() -> None:
    admission = Admission(1, max_wait_s=60, max_queued=10)
    assert await admission.acquire()
    order: list[int] = []

    async def waiter(n: int) -> None:
        assert await admission.acquire()
        order.append(n)

    tasks = [asyncio.create_task(waiter(n)) for n in range(3)]
    await turns()
    assert admission.queued == 3
    for _ in range(3):
        admission.release()
        await turns()
    await asyncio.gather(*tasks)
    assert order == [0, 1, 2]
    assert admission.active == 1  # the last one still holds its slot
    admission.release()
    assert admission.active == 0


async def test_a_full_queue_sheds_at_once() -> None:
    admission = Admission(1, max_wait_s=60, max_queued=1)
    assert await admission.acquire()
    queued = asyncio.create_task(admission.acquire())
    await turns()
    assert not await admission.acquire()
    assert admission.shed == 1
    admission.release()
    assert await queued


async def test_a_wait_past_the_bound_is_shed() -> None:
    admission = Admission(1, max_wait_s=0.01, max_queued=10)
    assert await admission.acquire()
    assert not await admission.acquire()
    assert admission.queued == 0 and admission.shed == 1


async def test_a_cancelled_waiter_passes_its_slot_on() -> None:
    admission = Admission(1, max_wait_s=60, max_queued=10)
    assert await admission.acquire()
    gone = asyncio.create_task(admission.acquire())
    staying = asyncio.create_task(admission.acquire())
    await turns()
    admission.release()  # handed to `gone`, which is cancelled before it runs
    gone.cancel()
    with pytest.raises(asyncio.CancelledError):
        await gone
    assert await staying
    assert admission.active == 1


def test_limits_are_validated() -> None:
    with pytest.raises(ValueError):
        Admission(0, max_wait_s=1, max_queued=1)
    with pytest.raises(ValueError):
        Admission(1, max_wait_s=-1, max_queued=1)


async def test_loop_lag_sees_a_blocked_loop() -> None:
    monitor = LoopLagMonitor(interval_s=0.01)
    async with monitor.running():
        await asyncio.sleep(0.02)
        busy_until = asyncio.get_running_loop().time() + 0.1
        while asyncio.get_running_loop().time() < busy_until:
            pass  # the loop is blocked: the timer fires late
        await asyncio.sleep(0.03)
    assert monitor.take_max() > 0  # the blocked tick is in the window
    assert monitor.take_max() == monitor.lag_s  # a new window starts from the latest tick
