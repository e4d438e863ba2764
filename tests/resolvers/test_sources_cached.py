"""What ``viewer.sources`` says when data came from the read cache (resolvers.sources)."""

from __future__ import annotations

from dataclasses import dataclass

from connectors.errors import SystemUnavailable
from resolvers.sources import SourceState, SourceTracker, holding_back_failures


@dataclass
class _Snapshot:
    breaker_state: str
    last_success_at: float | None = 100.0
    last_failure_at: float | None = 200.0
    failing_since: float | None = 150.0


class _Resilience:
    def __init__(self, breaker_state: str) -> None:
        self._snapshot = _Snapshot(breaker_state)

    def snapshot(self) -> _Snapshot:
        return self._snapshot


def _fees(tracker: SourceTracker):
    (report,) = [r for r in tracker.report() if r.system == "fees"]
    return report


def test_fresh_copies_are_ok_as_of_the_oldest_fetch() -> None:
    tracker = SourceTracker({"fees": _Resilience("closed")})
    tracker.served_cached("fees", 50.0)
    tracker.served_cached("fees", 40.0)
    report = _fees(tracker)
    assert report.state is SourceState.OK and report.as_of.timestamp() == 40.0


def test_fresh_copies_while_the_breaker_is_open_are_stale_not_unavailable() -> None:
    tracker = SourceTracker({"fees": _Resilience("open")})
    tracker.served_cached("fees", 50.0)
    report = _fees(tracker)
    assert report.state is SourceState.STALE and report.as_of.timestamp() == 50.0
    assert report.unavailable_since is not None


def test_an_unserved_failure_beats_a_stale_copy() -> None:
    tracker = SourceTracker({"fees": _Resilience("closed")})
    tracker.served_stale("fees", 50.0)
    tracker.failed("fees", SystemUnavailable("down", system="fees"))
    assert _fees(tracker).state is SourceState.UNAVAILABLE


def test_held_back_failures_count_only_when_passed_on() -> None:
    tracker = SourceTracker({})
    with holding_back_failures() as held:
        tracker.failed("fees", SystemUnavailable("down", system="fees"))
    assert tracker.failures == {} and len(held) == 1
    tracker.record_failures(held)
    assert set(tracker.failures) == {"fees"}
