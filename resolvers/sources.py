"""How each back-office system fared for this request, for ``viewer.sources``.

Every connector call made by a resolver goes through :func:`resolvers.errors.from_source`,
which records here whether the system answered. The ``sources`` field first waits for the
calls already under way, so it reports on the whole response, not on a race.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Mapping
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


@dataclass
class SourceTracker:
    """Per-request record of back-office outcomes."""

    resilience: Mapping[str, Resilience]
    failures: dict[str, ConnectorError] = field(default_factory=dict)
    answered: set[str] = field(default_factory=set)
    in_flight: set[asyncio.Future[object]] = field(default_factory=set)

    def started(self, future: asyncio.Future[object]) -> None:
        self.in_flight.add(future)
        future.add_done_callback(self.in_flight.discard)

    def succeeded(self, system: str) -> None:
        self.answered.add(system)

    def failed(self, system: str, error: ConnectorError) -> None:
        self.failures.setdefault(system, error)

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
            if error is not None or breaker_open:
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
                as_of = _when(snapshot.last_success_at) if snapshot else None
                reports.append(SourceReport(system, SourceState.OK, as_of, None, None))
        return reports
