"""What an outgoing back-office request carries of the trace: W3C Trace Context only.

OpenTelemetry's default global propagator also writes W3C Baggage; whatever is in the context's
baggage (a client's, say, if anything ever attached it) must not reach the municipality's
systems.
"""

from __future__ import annotations

from opentelemetry import baggage, context, trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

from connectors.observe import with_trace_headers

TRACE_ID = 0x4BF92F3577B34DA6A3CE929D0E0E4736
SPAN_ID = 0x00F067AA0BA902B7


def test_only_the_trace_context_is_injected_never_baggage() -> None:
    span = NonRecordingSpan(
        SpanContext(TRACE_ID, SPAN_ID, is_remote=False, trace_flags=TraceFlags(1))
    )
    ctx = baggage.set_baggage("tenant", "evil", context=trace.set_span_in_context(span))
    token = context.attach(ctx)
    try:
        headers = with_trace_headers({"Content-Type": "text/xml"})
    finally:
        context.detach(token)
    assert headers["traceparent"] == f"00-{TRACE_ID:032x}-{SPAN_ID:016x}-01"
    assert "baggage" not in {name.lower() for name in headers}
    assert headers["Content-Type"] == "text/xml"


def test_nothing_is_added_without_a_trace() -> None:
    assert with_trace_headers({}) == {}
