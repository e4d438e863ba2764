"""How each back-office system fared for this request, for ``viewer.sources``.

Every connector call made by a resolver goes through :func:`resolvers.errors.from_source`,
which records here whether the system answered. Reads served by the read cache are recorded
with when they were fetched: a fresh copy keeps the system ``OK`` (``asOf`` = the oldest copy
served), a copy served because the system failed makes it ``STALE``. The ``sources`` field
first waits for the calls already under way, so it reports on the whole response, not on a
race.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from connectors.errors import ConnectorError, SystemTimeout
from connectors.resilience import Resilience
from kernel.systems import SYSTEMS

# What messages call each registered system ("… is unavailable").
SYSTEM_NAMES: dict[str, str] = {system.name: system.title for system in SYSTEMS}


class SourceState(enum.Enum):
    """What a system's data in this response is worth."""

    OK = "OK"
    STALE = "STALE"
    UNAVAILABLE = "UNAVAILABLE"


@dataclass(frozen=True)
class SourceReport:
    """The state of one system for this response."""

    system: str
    state: SourceState
    as_of: datetime | None  # when the system last answered this gateway
    unavailable_since: datetime | None
    reason: str | None  # "timeout", "unavailable", "error": no detail a citizen must not see


OSLO = ZoneInfo("Europe/Oslo")  # the API's times are in Min side's own time zone


def _when(epoch: float | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, tz=OSLO)


Failure = tuple[str, ConnectorError]

# The failures of the loader batch running in this context, held back until the batch knows
# whether a stale copy covers them (resolvers.loaders); None outside a batch.
_held_back: ContextVar[list[Failure] | None] = ContextVar("held_back_failures", default=None)


@contextmanager
def holding_back_failures() -> Iterator[list[Failure]]:
    """Collect the failures recorded in this context instead of reporting them at once.

    The caller passes them on with :meth:`SourceTracker.record_failures`, or drops them when
    it served a stale copy instead.
    """
    held: list[Failure] = []
    token = _held_back.set(held)
    try:
        yield held
    finally:
        _held_back.reset(token)


@dataclass
class SourceTracker:
    """Per-request record of back-office outcomes."""

    resilience: Mapping[str, Resilience]
    failures: dict[str, ConnectorError] = field(default_factory=dict)
    answered: set[str] = field(default_factory=set)
    in_flight: set[asyncio.Future[object]] = field(default_factory=set)
    # Per system, the oldest fetch time of the cached copies served: fresh ones, and stale
    # ones served because the system failed.
    cached_as_of: dict[str, float] = field(default_factory=dict)
    stale_as_of: dict[str, float] = field(default_factory=dict)

    def started(self, future: asyncio.Future[object]) -> None:
        self.in_flight.add(future)
        future.add_done_callback(self.in_flight.discard)

    def succeeded(self, system: str) -> None:
        self.answered.add(system)

    def failed(self, system: str, error: ConnectorError) -> None:
        held = _held_back.get()
        if held is not None:
            held.append((system, error))
            return
        self.failures.setdefault(system, error)

    def record_failures(self, failures: Iterable[Failure]) -> None:
        """Report failures held back by :func:`holding_back_failures`."""
        for system, error in failures:
            self.failures.setdefault(system, error)

    def served_cached(self, system: str, fetched_at: float) -> None:
        """A fresh cached copy of `system`'s data, fetched at `fetched_at`, was served."""
        self.cached_as_of[system] = min(fetched_at, self.cached_as_of.get(system, fetched_at))

    def served_stale(self, system: str, fetched_at: float) -> None:
        """`system` failed and a copy fetched at `fetched_at` was served instead."""
        self.stale_as_of[system] = min(fetched_at, self.stale_as_of.get(system, fetched_at))

    async def settled(self, idle_turns: int = 25) -> None:
        """Wait until no call of this request is under way and none starts for a while.

        A nested field's call starts only some event-loop turns after its parent's call
        answered (the executor completes the parent, then a dataloader dispatches on a later
        turn), so "nothing in flight right now" is not enough: wait for `idle_turns`
        consecutive turns without any call in flight.
        """
        quiet = 0
        rounds = 0
        while quiet < idle_turns and rounds < 10_000:  # bounded: never hold `sources` forever
            rounds += 1
            pending = [future for future in self.in_flight if not future.done()]
            if pending:
                quiet = 0
                await asyncio.wait(pending)
            else:
                quiet += 1
                await asyncio.sleep(0)

    def report(self) -> list[SourceReport]:
        reports = []
        for system in SYSTEM_NAMES:
            resilience = self.resilience.get(system)
            snapshot = resilience.snapshot() if resilience is not None else None
            error = self.failures.get(system)
            breaker_open = snapshot is not None and snapshot.breaker_state == "open"
            cached = self.cached_as_of.get(system)
            stale = self.stale_as_of.get(system)
            if error is None and (stale is not None or (breaker_open and cached is not None)):
                # Every field of the system was served, some from a copy kept while it fails.
                oldest = min(t for t in (stale, cached) if t is not None)
                since = (
                    _when(snapshot.failing_since or snapshot.last_failure_at) if snapshot else None
                )
                reports.append(SourceReport(system, SourceState.STALE, _when(oldest), since, None))
            elif error is not None or breaker_open:
                reason = "timeout" if isinstance(error, SystemTimeout) else "unavailable"
                since = (
                    _when(snapshot.failing_since or snapshot.last_failure_at) if snapshot else None
                )
                reports.append(
                    SourceReport(
                        system,
                        SourceState.UNAVAILABLE,
                        _when(snapshot.last_success_at) if snapshot else None,
                        since,
                        reason,
                    )
                )
            else:
                # The oldest data served: a cached copy (older than any answer of this
                # request), else the system's last answer.
                last = snapshot.last_success_at if snapshot else None
                as_of = cached if cached is not None else last
                reports.append(SourceReport(system, SourceState.OK, _when(as_of), None, None))
        return reports
