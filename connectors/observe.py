"""What the connectors tell the outside about their calls, without knowing who listens.

- :class:`CallObserver`: one :meth:`~CallObserver.on_call` per back-office call that
  :class:`connectors.resilience.Resilience` ran (retries included), with the system, the
  operation, the outcome (``ok`` or the error's class name, see :func:`outcome_of`) and the
  seconds it took. The gateway's metrics implement it and set it on each ``Resilience``; the
  default, :data:`NO_OBSERVER`, does nothing.
- OpenTelemetry: :func:`call_span` is the span of one call (attributes: system, operation,
  outcome; never a URL, an identifier or a body) and :func:`with_trace_headers` adds the W3C
  ``traceparent`` (and ``tracestate``) of the active span to an outgoing request's headers,
  so a back-office that traces sees its part of the citizen's request. Without a configured
  tracer provider (``MINSIDE_TRACING=off``) both cost next to nothing, and an incoming
  ``traceparent`` still passes through unchanged.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from typing import Final, Protocol

from opentelemetry import trace
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from connectors.errors import ConnectorError

__all__ = [
    "NO_OBSERVER",
    "CallObserver",
    "NoCallObserver",
    "call_span",
    "outcome_of",
    "with_trace_headers",
]

OK: Final = "ok"
_tracer = trace.get_tracer("minside.connectors")


class CallObserver(Protocol):
    """Told of every back-office call as it ends (must be cheap: it runs on the hot path)."""

    def on_call(self, system: str, operation: str, outcome: str, seconds: float) -> None:
        """One call of ``system``'s ``operation`` ended with ``outcome`` after ``seconds``."""


class NoCallObserver:
    """The default observer: ignores every call."""

    def on_call(self, system: str, operation: str, outcome: str, seconds: float) -> None:
        return None


NO_OBSERVER: Final[CallObserver] = NoCallObserver()


def outcome_of(exc: BaseException | None) -> str:
    """``ok``; the class name of a connector error (``SystemTimeout``, ``CircuitOpen``, …: a
    bounded set); ``cancelled``; or ``other`` for anything else (a bug)."""
    if exc is None:
        return OK
    if isinstance(exc, ConnectorError):
        return type(exc).__name__
    if isinstance(exc, asyncio.CancelledError):
        return "cancelled"
    return "other"


@contextmanager
def call_span(system: str, operation: str) -> Iterator[trace.Span]:
    """The span of one back-office call (kind CLIENT); the caller sets ``minside.outcome``."""
    with _tracer.start_as_current_span(
        f"{system}.{operation}",
        kind=trace.SpanKind.CLIENT,
        attributes={"minside.system": system, "minside.operation": operation},
        # The outcome attribute says what failed; a traceback of a back-office outage on every
        # span would be noise (and exception messages are not for export).
        record_exception=False,
        set_status_on_exception=False,  # Resilience.call sets it, without the exception's text
    ) as span:
        yield span


# W3C Trace Context only (traceparent, tracestate), not the global propagator: OpenTelemetry's
# default also injects W3C Baggage, which would carry whatever a client put in the context on
# to the municipality's back-office systems.
_PROPAGATOR: Final = TraceContextTextMapPropagator()


def with_trace_headers(headers: MutableMapping[str, str]) -> MutableMapping[str, str]:
    """``headers`` with the active trace context added (W3C Trace Context only: traceparent
    and tracestate, never baggage), for an outgoing back-office request; unchanged when no
    trace is active."""
    _PROPAGATOR.inject(headers)
    return headers
