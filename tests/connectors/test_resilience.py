"""Tests for connectors.resilience: deadline, retries, breaker, concurrency, error mapping."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable, Iterator

import aiohttp
import pytest
from tenacity import wait_random_exponential

from connectors.errors import (
    CircuitOpen,
    ConnectorError,
    MalformedResponse,
    NotFound,
    Rejected,
    RemoteFault,
    SystemTimeout,
    SystemUnavailable,
)
from connectors.resilience import Resilience, ResiliencePolicy, ResilienceSnapshot
from tests.clocks import FakeClock

Make = Callable[..., Resilience]

SYNTHETIC_PID = "01017012345"  # shape of a fødselsnummer; must never leak into a message


class SleepRecorder:
    """Stands in for asyncio.sleep between retries so tests do not wait."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


class Backend:
    """Callable that fails with the given errors in turn, then answers "ok"."""

    def __init__(self, *errors: BaseException) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self) -> Awaitable[str]:
        self.calls += 1
        return self._run()

    async def _run(self) -> str:
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


def unavailable() -> SystemUnavailable:
    return SystemUnavailable("down", system="fees", operation="GetMeters")


def failing_forever(error: Callable[[], BaseException]) -> Backend:
    return Backend(*(error() for _ in range(100)))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
def make(clock: FakeClock, sleeps: SleepRecorder) -> Iterator[Callable[..., Resilience]]:
    def factory(**policy: float) -> Resilience:
        return Resilience(
            "fees",
            ResiliencePolicy(**policy),  # type: ignore[arg-type]
            clock=clock,
            wall_clock=lambda: 1_700_000_000.0 + clock(),
            sleep=sleeps,
        )

    yield factory


# --- retries -----------------------------------------------------------------


async def test_idempotent_read_is_retried_until_it_succeeds(
    make: Make, sleeps: SleepRecorder
) -> None:
    res = make(retries=2)
    backend = Backend(unavailable(), SystemTimeout("slow"))

    assert await res.call("GetMeters", backend, idempotent=True) == "ok"

    assert backend.calls == 3
    assert len(sleeps.waits) == 2


async def test_idempotent_read_gives_up_after_retries_with_last_error(
    make: Make, sleeps: SleepRecorder
) -> None:
    res = make(retries=2, breaker_failure_threshold=100)
    backend = failing_forever(unavailable)

    with pytest.raises(SystemUnavailable):
        await res.call("GetMeters", backend, idempotent=True)

    assert backend.calls == 3
    assert len(sleeps.waits) == 2


async def test_write_is_never_retried(make: Make, sleeps: SleepRecorder) -> None:
    res = make(retries=2)
    backend = Backend(unavailable())

    with pytest.raises(SystemUnavailable):
        await res.call("PostReading", backend, idempotent=False)

    assert backend.calls == 1
    assert sleeps.waits == []


@pytest.mark.parametrize(
    "error",
    [
        RemoteFault("fault", code="X"),
        Rejected("invalid", code="VALIDATION"),
        NotFound("no such case"),
        MalformedResponse("bad xml"),
    ],
)
async def test_answers_from_the_system_are_not_retried(
    make: Make, sleeps: SleepRecorder, error: ConnectorError
) -> None:
    res = make(retries=2)
    backend = Backend(error)

    with pytest.raises(type(error)):
        await res.call("GetCases", backend, idempotent=True)

    assert backend.calls == 1
    assert sleeps.waits == []


async def test_backoff_is_jittered_exponential_and_capped(
    make: Make, sleeps: SleepRecorder
) -> None:
    res = make(retries=3, backoff_base_s=0.05, backoff_max_s=0.3, breaker_failure_threshold=1000)
    assert isinstance(res.retrying(True).wait, wait_random_exponential)

    for _ in range(15):
        with pytest.raises(SystemUnavailable):
            await res.call("GetMeters", failing_forever(unavailable), idempotent=True)

    assert len(sleeps.waits) == 45
    assert all(0 <= wait <= 0.3 for wait in sleeps.waits)
    # Fixed back-off would give 3 distinct values at most; jitter gives many.
    assert len(set(sleeps.waits)) > 10


# --- deadline ----------------------------------------------------------------


async def test_deadline_turns_a_hanging_call_into_backend_timeout(make: Make) -> None:
    res = make(deadline_s=0.05, retries=0)
    never = asyncio.Event()
    calls = 0

    async def hang() -> str:
        nonlocal calls
        calls += 1
        await never.wait()
        return "never"

    with pytest.raises(SystemTimeout) as caught:
        await res.call("GetInvoices", hang, idempotent=True)

    assert calls == 1
    assert caught.value.system == "fees"
    assert caught.value.operation == "GetInvoices"
    assert "0.05s" in str(caught.value)
    assert isinstance(caught.value.__cause__, TimeoutError)


async def test_each_attempt_gets_its_own_deadline_and_is_retried(
    make: Make, sleeps: SleepRecorder
) -> None:
    res = make(deadline_s=0.05, retries=1)
    calls = 0

    async def slow_then_fast() -> str:
        nonlocal calls
        calls += 1
        if calls == 1:
            await asyncio.Event().wait()
        return "ok"

    assert await res.call("GetInvoices", slow_then_fast, idempotent=True) == "ok"
    assert calls == 2


# --- circuit breaker ---------------------------------------------------------


async def test_breaker_opens_after_threshold_and_fails_fast_without_calling(
    make: Make, sleeps: SleepRecorder
) -> None:
    res = make(retries=0, breaker_failure_threshold=3)
    backend = failing_forever(unavailable)

    for _ in range(3):
        assert res.breaker_state == "closed"
        with pytest.raises(SystemUnavailable):
            await res.call("GetMeters", backend, idempotent=True)
    assert res.breaker_state == "open"
    assert backend.calls == 3

    with pytest.raises(CircuitOpen) as caught:
        await res.call("GetMeters", backend, idempotent=True)
    assert backend.calls == 3
    assert caught.value.system == "fees"
    assert caught.value.operation == "GetMeters"


async def test_circuit_open_is_not_retried(make: Make, sleeps: SleepRecorder) -> None:
    res = make(retries=2, breaker_failure_threshold=2)
    backend = failing_forever(unavailable)

    # Two attempts fail and open the breaker; the third attempt hits CircuitOpen
    # and stops the retry loop instead of sleeping on.
    with pytest.raises(CircuitOpen):
        await res.call("GetMeters", backend, idempotent=True)
    assert backend.calls == 2
    assert len(sleeps.waits) == 2  # after attempt 1 and 2; none after CircuitOpen

    with pytest.raises(CircuitOpen):
        await res.call("GetMeters", backend, idempotent=True)
    assert backend.calls == 2
    assert len(sleeps.waits) == 2


async def test_timeouts_count_towards_the_breaker(make: Make) -> None:
    res = make(retries=0, breaker_failure_threshold=2, deadline_s=0.01)

    async def hang() -> str:
        await asyncio.Event().wait()
        return "never"

    for _ in range(2):
        with pytest.raises(SystemTimeout):
            await res.call("GetMeters", hang, idempotent=True)
    assert res.breaker_state == "open"


async def test_half_open_probe_after_reset_time_closes_on_success(
    make: Make, clock: FakeClock
) -> None:
    res = make(retries=0, breaker_failure_threshold=1, breaker_reset_s=10.0)
    with pytest.raises(SystemUnavailable):
        await res.call("GetMeters", Backend(unavailable()), idempotent=True)
    assert res.breaker_state == "open"

    clock.advance(9.9)
    with pytest.raises(CircuitOpen):
        await res.call("GetMeters", Backend(), idempotent=True)

    clock.advance(0.1)
    assert str(res.breaker_state) == "half-open"
    probe = Backend()
    assert await res.call("GetMeters", probe, idempotent=True) == "ok"
    assert probe.calls == 1
    assert str(res.breaker_state) == "closed"
    assert res.snapshot().consecutive_failures == 0


async def test_failed_probe_reopens_for_another_reset_period(make: Make, clock: FakeClock) -> None:
    res = make(retries=0, breaker_failure_threshold=1, breaker_reset_s=10.0)
    with pytest.raises(SystemUnavailable):
        await res.call("GetMeters", Backend(unavailable()), idempotent=True)

    clock.advance(10.0)
    probe = Backend(unavailable())
    with pytest.raises(SystemUnavailable) as caught:
        await res.call("GetMeters", probe, idempotent=True)
    assert not isinstance(caught.value, CircuitOpen)
    assert probe.calls == 1
    assert res.breaker_state == "open"

    clock.advance(5.0)
    untouched = Backend()
    with pytest.raises(CircuitOpen):
        await res.call("GetMeters", untouched, idempotent=True)
    assert untouched.calls == 0


async def test_half_open_lets_only_one_probe_through(make: Make, clock: FakeClock) -> None:
    res = make(retries=0, breaker_failure_threshold=1, breaker_reset_s=1.0)
    with pytest.raises(SystemUnavailable):
        await res.call("GetMeters", Backend(unavailable()), idempotent=True)
    clock.advance(1.0)

    release = asyncio.Event()
    entered = asyncio.Event()

    async def slow_probe() -> str:
        entered.set()
        await release.wait()
        return "probe"

    probe_task = asyncio.create_task(res.call("GetMeters", slow_probe, idempotent=True))
    await entered.wait()
    second = Backend()
    with pytest.raises(CircuitOpen):
        await res.call("GetMeters", second, idempotent=True)
    assert second.calls == 0

    release.set()
    assert await probe_task == "probe"
    assert res.breaker_state == "closed"


async def test_cancelled_probe_frees_the_probe_slot(make: Make, clock: FakeClock) -> None:
    res = make(retries=0, breaker_failure_threshold=1, breaker_reset_s=1.0)
    with pytest.raises(SystemUnavailable):
        await res.call("GetMeters", Backend(unavailable()), idempotent=True)
    clock.advance(1.0)

    entered = asyncio.Event()

    async def hang() -> str:
        entered.set()
        await asyncio.Event().wait()
        return "never"

    task = asyncio.create_task(res.call("GetMeters", hang, idempotent=True))
    await entered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert await res.call("GetMeters", Backend(), idempotent=True) == "ok"
    assert res.breaker_state == "closed"


@pytest.mark.parametrize(
    "error",
    [RemoteFault("fault", code="500"), NotFound("gone"), MalformedResponse("junk")],
)
async def test_answers_from_the_system_do_not_trip_the_breaker(
    make: Make, error: ConnectorError
) -> None:
    res = make(retries=0, breaker_failure_threshold=2)

    for _ in range(5):
        with pytest.raises(type(error)):
            await res.call("GetCases", Backend(error), idempotent=True)

    assert res.breaker_state == "closed"
    assert res.snapshot().consecutive_failures == 0


async def test_an_answer_resets_the_consecutive_failure_count(make: Make) -> None:
    res = make(retries=0, breaker_failure_threshold=2)
    with pytest.raises(SystemUnavailable):
        await res.call("GetCases", Backend(unavailable()), idempotent=True)
    with pytest.raises(RemoteFault):
        await res.call("GetCases", Backend(RemoteFault("fault")), idempotent=True)
    with pytest.raises(SystemUnavailable):
        await res.call("GetCases", Backend(unavailable()), idempotent=True)

    assert res.breaker_state == "closed"
    assert res.snapshot().consecutive_failures == 1


async def test_programming_errors_pass_through_and_are_not_counted(make: Make) -> None:
    res = make(retries=2, breaker_failure_threshold=1)
    backend = Backend(ValueError("bug"))

    with pytest.raises(ValueError, match="bug"):
        await res.call("GetCases", backend, idempotent=True)

    assert backend.calls == 1
    assert res.breaker_state == "closed"


# --- concurrency limit -------------------------------------------------------


async def test_semaphore_limits_concurrent_calls(make: Make) -> None:
    res = make(max_concurrency=3)
    active = 0
    peak = 0

    async def work() -> int:
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        for _ in range(5):
            await asyncio.sleep(0)
        active -= 1
        return 1

    results = await asyncio.gather(
        *(res.call("GetMeters", work, idempotent=True) for _ in range(12))
    )

    assert sum(results) == 12
    assert peak == 3


# --- error mapping -----------------------------------------------------------


@pytest.mark.parametrize(
    ("stray", "expected"),
    [
        (aiohttp.ClientConnectionError(f"refused for {SYNTHETIC_PID}"), SystemUnavailable),
        (aiohttp.ServerDisconnectedError(), SystemUnavailable),
        (ConnectionResetError(104, f"reset {SYNTHETIC_PID}"), SystemUnavailable),
        (OSError(f"no route {SYNTHETIC_PID}"), SystemUnavailable),
        (TimeoutError(f"slow {SYNTHETIC_PID}"), SystemTimeout),
        (aiohttp.ServerTimeoutError(f"read timeout {SYNTHETIC_PID}"), SystemTimeout),
    ],
)
async def test_stray_transport_errors_are_mapped(
    make: Make, stray: BaseException, expected: type[ConnectorError]
) -> None:
    res = make(retries=0)

    with pytest.raises(expected) as caught:
        await res.call("GetInvoice", Backend(stray), idempotent=False)

    assert type(caught.value) is expected
    assert caught.value.__cause__ is stray
    assert caught.value.system == "fees"
    assert caught.value.operation == "GetInvoice"
    assert SYNTHETIC_PID not in str(caught.value)
    assert SYNTHETIC_PID not in repr(caught.value)


async def test_stray_transport_errors_are_retried_for_reads(make: Make) -> None:
    res = make(retries=1)
    backend = Backend(aiohttp.ClientConnectionError("refused"))

    assert await res.call("GetInvoice", backend, idempotent=True) == "ok"
    assert backend.calls == 2


async def test_connector_errors_without_context_get_system_and_operation(make: Make) -> None:
    res = make(retries=0)

    with pytest.raises(NotFound) as caught:
        await res.call("GetCase", Backend(NotFound("no such case")), idempotent=True)
    assert (caught.value.system, caught.value.operation) == ("fees", "GetCase")

    with pytest.raises(RemoteFault) as caught_fault:
        await res.call(
            "GetCase",
            Backend(RemoteFault("x", system="p360", operation="GetCases")),
            idempotent=True,
        )
    assert (caught_fault.value.system, caught_fault.value.operation) == ("p360", "GetCases")


@pytest.mark.integration  # a real socket, in a file of unit tests
async def test_connection_refused_on_a_real_loopback_port(make: Make) -> None:
    # A bound but not listening socket keeps the port ours, and the kernel
    # answers a connect() to it with RST: a real "connection refused".
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as reserved:
        reserved.bind(("127.0.0.1", 0))
        port = reserved.getsockname()[1]
        res = make(retries=1, deadline_s=5.0)
        calls = 0
        async with aiohttp.ClientSession() as session:

            async def fetch() -> bytes:
                nonlocal calls
                calls += 1
                async with session.get(f"http://127.0.0.1:{port}/invoices") as resp:
                    return await resp.read()

            with pytest.raises(SystemUnavailable) as caught:
                await res.call("GetInvoices", fetch, idempotent=True)

    assert calls == 2
    assert isinstance(caught.value.__cause__, aiohttp.ClientConnectorError)
    assert caught.value.operation == "GetInvoices"
    assert res.snapshot().consecutive_failures == 2


# --- snapshot ----------------------------------------------------------------


async def test_snapshot_reports_state_and_timestamps(make: Make, clock: FakeClock) -> None:
    res = make(retries=0, breaker_failure_threshold=1)
    assert res.snapshot() == ResilienceSnapshot(
        system="fees",
        breaker_state="closed",
        last_failure_at=None,
        last_success_at=None,
        consecutive_failures=0,
    )

    await res.call("GetMeters", Backend(), idempotent=True)
    clock.advance(2.0)
    with pytest.raises(SystemUnavailable):
        await res.call("GetMeters", Backend(unavailable()), idempotent=True)

    snap = res.snapshot()
    assert snap.breaker_state == "open"
    assert snap.consecutive_failures == 1
    assert snap.last_success_at == 1_700_000_000.0 + 1000.0
    assert snap.last_failure_at == 1_700_000_000.0 + 1002.0


def test_policy_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="max_concurrency"):
        ResiliencePolicy(max_concurrency=0)
    with pytest.raises(ValueError, match="deadline_s"):
        ResiliencePolicy(deadline_s=0)


def test_connector_error_is_the_base_of_everything() -> None:
    assert issubclass(CircuitOpen, SystemUnavailable)
    assert all(
        issubclass(cls, ConnectorError)
        for cls in (SystemTimeout, RemoteFault, Rejected, NotFound, MalformedResponse)
    )
