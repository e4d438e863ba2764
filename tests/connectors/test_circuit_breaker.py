"""Unit tests for connectors.breaker.CircuitBreaker (state machine, fake clock)."""

from __future__ import annotations

import pytest

from connectors.breaker import CircuitBreaker
from tests.clocks import FakeClock


def open_breaker(clock: FakeClock, threshold: int = 2, reset_s: float = 5.0) -> CircuitBreaker:
    breaker = CircuitBreaker(threshold, reset_s, clock=clock)
    for _ in range(threshold):
        assert breaker.try_acquire()
        breaker.record_failure()
    return breaker


def test_stays_closed_below_threshold_and_success_resets_count() -> None:
    breaker = CircuitBreaker(3, 5.0, clock=FakeClock())
    for _ in range(2):
        assert breaker.try_acquire()
        breaker.record_failure()
    assert breaker.state == "closed"
    assert breaker.consecutive_failures == 2

    assert breaker.try_acquire()
    breaker.record_success()
    assert breaker.consecutive_failures == 0

    for _ in range(2):
        breaker.record_failure()
    assert breaker.state == "closed"


def test_opens_at_threshold_and_refuses_until_reset() -> None:
    clock = FakeClock()
    breaker = open_breaker(clock)
    assert breaker.state == "open"
    assert not breaker.try_acquire()

    clock.now += 4.99
    assert not breaker.try_acquire()
    clock.now += 0.01
    assert str(breaker.state) == "half-open"


def test_half_open_admits_exactly_one_probe() -> None:
    clock = FakeClock()
    breaker = open_breaker(clock)
    clock.now += 5.0

    assert breaker.try_acquire()
    assert not breaker.try_acquire()
    assert breaker.state == "half-open"

    breaker.record_success()
    assert str(breaker.state) == "closed"
    assert breaker.try_acquire()


def test_failed_probe_reopens_with_a_fresh_reset_period() -> None:
    clock = FakeClock()
    breaker = open_breaker(clock)
    clock.now += 5.0
    assert breaker.try_acquire()
    breaker.record_failure()

    assert breaker.state == "open"
    clock.now += 4.0
    assert not breaker.try_acquire()
    clock.now += 1.0
    assert breaker.try_acquire()


def test_release_frees_the_probe_slot_without_a_verdict() -> None:
    clock = FakeClock()
    breaker = open_breaker(clock)
    clock.now += 5.0
    assert breaker.try_acquire()
    breaker.release()

    assert breaker.state == "half-open"
    assert breaker.try_acquire()


def test_rejects_invalid_configuration() -> None:
    with pytest.raises(ValueError, match="failure_threshold"):
        CircuitBreaker(0, 1.0)
    with pytest.raises(ValueError, match="reset_s"):
        CircuitBreaker(1, -1.0)
