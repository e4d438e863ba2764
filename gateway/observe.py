"""Each /graphql request as observability sees it: :class:`ObservedGraphQL`.

An ASGI middleware of the app, for the ``/graphql`` path, so it also sees the requests turned
away before GraphQL runs (too large, not authenticated, overloaded). Per request it

- continues the caller's trace (an incoming W3C ``traceparent``) or starts one, with a
  server span named after the operation (``query Dashboard``; the name bounded as the
  metric's label is) around everything the request does: the dataloaders' batches and the
  back-office calls are its children;
- counts the request in ``minside_graphql_requests`` by operation and outcome and observes
  its whole time, to the last byte of a ``@defer`` multipart response, in
  ``minside_graphql_request_duration_seconds`` (:class:`gateway.metrics.GatewayMetrics`).

The operation's name and outcome come from the schema extension
(:class:`schema.observe.RecordOperation`) through :data:`schema.observe.current_operation`;
admission control marks an ``overloaded`` request there, and a request GraphQL never saw is
``rejected`` (4xx) or ``failed`` (5xx) with the operation ``unknown``. A plain GET of the
GraphiQL page is not an operation and is not counted.
"""

from __future__ import annotations

import time
from typing import Final

from opentelemetry import trace
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.metrics import UNKNOWN, GatewayMetrics
from kernel.logs import current_request_id
from schema.observe import OperationRecord, current_operation

__all__ = ["ObservedGraphQL", "outcome_of_request"]

_tracer = trace.get_tracer("minside.gateway")
# W3C Trace Context only, whatever the global propagator says (OpenTelemetry's default adds
# W3C Baggage): a browser's baggage is untrusted input and must not reach the back-offices.
_PROPAGATOR: Final = TraceContextTextMapPropagator()
_PROPAGATED: Final = frozenset({b"traceparent", b"tracestate"})


def outcome_of_request(record: OperationRecord, status: int | None) -> str | None:
    """The request's outcome label; None for a request that is not counted."""
    if record.outcome is not None:
        return record.outcome
    if status is None or status >= 500:
        return "failed"
    if status >= 400:
        return "rejected"
    return None  # a page (GraphiQL), not an operation


class ObservedGraphQL:
    """ASGI wrapper: the request's span and its GraphQL metrics (see the module doc)."""

    def __init__(self, app: ASGIApp, metrics: GatewayMetrics, path: str | None = None) -> None:
        self.app = app
        self.metrics = metrics
        self.path = path  # only requests to this path (None: every request)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (self.path is not None and scope["path"] != self.path):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        carrier = {
            name.decode("latin-1"): value.decode("latin-1")
            for name, value in scope.get("headers", ())
            if name in _PROPAGATED
        }
        record = OperationRecord()
        token = current_operation.set(record)
        status: int | None = None

        async def observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        with _tracer.start_as_current_span(
            "graphql",
            context=_PROPAGATOR.extract(carrier) if carrier else None,
            kind=trace.SpanKind.SERVER,
            # No exception texts in spans (they may quote input); the outcome says what failed.
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            try:
                await self.app(scope, receive, observed)
            finally:
                current_operation.reset(token)
                self._observe(span, record, status, time.perf_counter() - started)

    def _observe(
        self, span: trace.Span, record: OperationRecord, status: int | None, seconds: float
    ) -> None:
        outcome = outcome_of_request(record, status)
        label = self.metrics.operation_label(record.name) if record.named else UNKNOWN
        if outcome is not None:
            self.metrics.on_operation(label, outcome, seconds)
        if span.is_recording():
            span.update_name(f"{record.kind} {label}" if record.kind else f"graphql {label}")
            span.set_attribute("graphql.operation.name", label)
            if record.kind:
                span.set_attribute("graphql.operation.type", record.kind)
            span.set_attribute("minside.outcome", outcome or "page")
            if status is not None:
                span.set_attribute("http.response.status_code", status)
            rid = current_request_id()
            if rid is not None:
                span.set_attribute("minside.request_id", rid)
            if outcome == "failed":
                span.set_status(trace.StatusCode.ERROR)
