"""The admin surface every simulator shares: call counters and injected faults per operation.

A simulator calls :meth:`SimulatorControl.record` and then :meth:`SimulatorControl.apply` for
each operation it serves, and renders the verdict in its own protocol ("error" as a SOAP fault
or HTTP 500, "outage" as an empty 503, ``slow_body_ms`` as a trickled body). Tests and the demo
drive it over HTTP (no authentication, like a sidecar on loopback):

- ``GET /_admin/calls`` → ``{"GetCases": 3, ...}``
- ``POST /_admin/reset`` → counters and faults cleared; ``?state=true`` also drops every
  mutation of the population (readings, cases, payments)
- ``GET /_admin/faults`` → the faults in force
- ``POST /_admin/faults`` with ``{"operation": "GetCases" | "*", "latency_ms": 0,
  "error_rate": 0.0, "outage": false, "slow_body_ms": 0}`` → set the fault of an operation
  (``"*"``: every operation without its own fault)
- ``DELETE /_admin/faults`` (``?operation=X`` for one) → faults cleared
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from simulators.population import Population

ALL_OPERATIONS = "*"
MAX_DELAY_MS = 600_000
Verdict = Literal["ok", "error", "outage"]


@dataclass
class Fault:
    """What to do to an operation: delay it, fail a share of calls, fail all, or send slowly."""

    latency_ms: int = 0
    error_rate: float = 0.0
    outage: bool = False
    slow_body_ms: int = 0


@dataclass(frozen=True)
class FaultOutcome:
    """The verdict on one call: ``result`` "ok" | "error" | "outage", and how slowly to send
    the body when it is "ok"."""

    result: Verdict
    slow_body_ms: int = 0

    @property
    def ok(self) -> bool:
        """True when the call is to be answered normally."""
        return self.result == "ok"


class FaultSpecError(ValueError):
    """A fault request is malformed; the message says which field and why."""


def _int_field(body: dict[str, Any], name: str) -> int:
    value = body.get(name, 0)
    # bool is an int in Python; "latency_ms": true is a mistake, not 1 ms.
    if isinstance(value, bool) or not isinstance(value, int):
        raise FaultSpecError(f"{name} must be an integer number of milliseconds")
    if not 0 <= value <= MAX_DELAY_MS:
        raise FaultSpecError(f"{name} must be between 0 and {MAX_DELAY_MS}")
    return value


def parse_fault(body: object) -> tuple[str, Fault]:
    """(operation, fault) from a ``POST /_admin/faults`` body; raises :class:`FaultSpecError`."""
    if not isinstance(body, dict):
        raise FaultSpecError("the body must be a JSON object")
    unknown = sorted(set(body) - {"operation", *Fault.__dataclass_fields__})
    if unknown:
        raise FaultSpecError(f"unknown field(s): {', '.join(unknown)}")
    operation = body.get("operation")
    if not isinstance(operation, str) or not operation.strip():
        raise FaultSpecError('operation is required: an operation name or "*"')
    rate = body.get("error_rate", 0.0)
    if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0.0 <= rate <= 1.0:
        raise FaultSpecError("error_rate must be a number between 0.0 and 1.0")
    outage = body.get("outage", False)
    if not isinstance(outage, bool):
        raise FaultSpecError("outage must be true or false")
    fault = Fault(
        latency_ms=_int_field(body, "latency_ms"),
        error_rate=float(rate),
        outage=outage,
        slow_body_ms=_int_field(body, "slow_body_ms"),
    )
    return operation.strip(), fault


class SimulatorControl:
    """Per-operation call counters and injected faults of one simulator.

    ``rng`` decides which calls fail under an ``error_rate``; it is seeded from the system name
    by default so a run is reproducible (tests wanting certainty use 0.0 or 1.0).
    """

    def __init__(
        self, system: str, population: Population, *, rng: random.Random | None = None
    ) -> None:
        self.system = system
        self.population = population
        self.calls: Counter[str] = Counter()
        self.faults: dict[str, Fault] = {}
        # (operation, start, end) in monotonic seconds of the last calls' fault phase, for
        # in-process tests that prove calls to different systems overlapped in time.
        self.intervals: deque[tuple[str, float, float]] = deque(maxlen=10_000)
        # The W3C traceparent headers of the latest requests (TraceparentLog), for tests that
        # check that the gateway's trace reaches the back-office.
        self.traceparents: deque[str] = deque(maxlen=100)
        # And their W3C baggage headers, for tests that check a client's baggage is not passed
        # on (the gateway propagates trace context only).
        self.baggage: deque[str] = deque(maxlen=100)
        # Not for security: reproducible fault injection is the point.
        self._rng = rng or random.Random(f"faults:{system}")  # noqa: S311

    def record(self, operation: str) -> None:
        """Count a call of `operation`."""
        self.calls[operation] += 1

    def set_fault(self, operation: str, fault: Fault) -> None:
        """Inject `fault` into `operation` (``"*"``: all operations without their own)."""
        self.faults[operation] = fault

    def clear_faults(self, operation: str | None = None) -> None:
        """Remove the fault of one operation, or all faults."""
        if operation is None:
            self.faults.clear()
        else:
            self.faults.pop(operation, None)

    def fault_for(self, operation: str) -> Fault | None:
        """The fault in force for `operation`: its own, else the wildcard's, else None."""
        return self.faults.get(operation) or self.faults.get(ALL_OPERATIONS)

    async def apply(self, operation: str) -> FaultOutcome:
        """Sleep the injected latency, then say how to answer this call."""
        fault = self.fault_for(operation)
        if fault is None:
            return FaultOutcome("ok")
        if fault.latency_ms > 0:
            started = time.monotonic()
            await asyncio.sleep(fault.latency_ms / 1000)
            self.intervals.append((operation, started, time.monotonic()))
        if fault.outage:
            return FaultOutcome("outage")
        if fault.error_rate > 0 and self._rng.random() < fault.error_rate:
            return FaultOutcome("error")
        return FaultOutcome("ok", fault.slow_body_ms)

    def reset(self, *, state: bool = False) -> None:
        """Clear counters and faults; with `state` also the population's mutations."""
        self.calls.clear()
        self.faults.clear()
        self.intervals.clear()
        self.traceparents.clear()
        self.baggage.clear()
        if state:
            self.population.reset()

    # --- HTTP ----------------------------------------------------------------------------

    def admin_routes(self, extra: Sequence[BaseRoute] = ()) -> list[BaseRoute]:
        """The ``/_admin`` routes, plus a simulator's own admin routes (`extra`)."""
        return [
            Route("/_admin/calls", self._calls, methods=["GET"]),
            Route("/_admin/reset", self._reset, methods=["POST"]),
            Route("/_admin/faults", self._faults, methods=["GET", "POST", "DELETE"]),
            *extra,
        ]

    async def _calls(self, request: Request) -> Response:
        return JSONResponse(dict(self.calls))

    async def _reset(self, request: Request) -> Response:
        flag = request.query_params.get("state", "false").lower()
        if flag not in ("true", "false", "1", "0"):
            return _bad_request("state must be true or false")
        state = flag in ("true", "1")
        self.reset(state=state)
        return JSONResponse({"system": self.system, "reset": True, "state": state})

    def _faults_payload(self) -> dict[str, Any]:
        return {operation: asdict(fault) for operation, fault in self.faults.items()}

    async def _faults(self, request: Request) -> Response:
        if request.method == "GET":
            return JSONResponse(self._faults_payload())
        if request.method == "DELETE":
            self.clear_faults(request.query_params.get("operation"))
            return JSONResponse(self._faults_payload())
        raw = await request.body()
        try:
            body = json.loads(raw)
        except ValueError:
            return _bad_request("the body must be JSON")
        try:
            operation, fault = parse_fault(body)
        except FaultSpecError as exc:
            return _bad_request(str(exc))
        self.set_fault(operation, fault)
        return JSONResponse({"operation": operation, **asdict(fault)})


def _bad_request(message: str) -> Response:
    return JSONResponse({"error": "bad_request", "message": message}, status_code=400)


class TraceparentLog:
    """ASGI wrapper around a simulator: keeps each request's ``traceparent`` header in its
    control's :attr:`SimulatorControl.traceparents` (a trace context, no personal data), and
    any ``baggage`` header in :attr:`SimulatorControl.baggage`."""

    def __init__(self, app: ASGIApp, control: SimulatorControl) -> None:
        self.app = app
        self.control = control

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for name, value in scope.get("headers", ()):
                if name == b"traceparent":
                    self.control.traceparents.append(value.decode("latin-1"))
                elif name == b"baggage":
                    self.control.baggage.append(value.decode("latin-1"))
        await self.app(scope, receive, send)
