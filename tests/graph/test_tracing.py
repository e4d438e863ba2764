"""OpenTelemetry traces over the real stack: a dashboard is one trace (the operation's server
span, a span per dataloader batch, a client span per back-office call), every back-office
system receives its W3C traceparent, and a partner's incoming traceparent is continued.

The tracer provider is global and can be set once per process: :func:`recorder` installs an
SDK provider for the rest of the session (unless one is there) with a span processor that
keeps spans only while a test of this file asks it to.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider

from kernel.systems import SYSTEM_NAMES

DASHBOARD = (Path(__file__).parents[2] / "bench" / "dashboard.graphql").read_text()


class Recorder(SpanProcessor):
    """Keeps the spans that end while it is open."""

    def __init__(self) -> None:
        self.spans: list[ReadableSpan] = []
        self.open = False

    def on_end(self, span: ReadableSpan) -> None:
        if self.open:
            self.spans.append(span)

    async def server_span(self) -> ReadableSpan:
        """The request's server span (it ends just after the response was sent)."""
        for _ in range(200):
            servers = [s for s in self.spans if s.kind == trace.SpanKind.SERVER]
            if servers:
                (server,) = servers
                return server
            await asyncio.sleep(0.01)
        raise AssertionError("no server span")


@pytest.fixture(scope="session")
def recorder() -> Recorder:
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider(resource=Resource.create({"service.name": "minside-tests"}))
        trace.set_tracer_provider(provider)
    kept = Recorder()
    provider.add_span_processor(kept)
    return kept


@pytest.fixture
def spans(recorder: Recorder) -> Iterator[Recorder]:
    recorder.spans.clear()
    recorder.open = True
    try:
        yield recorder
    finally:
        recorder.open = False
        recorder.spans.clear()


def hex_trace_id(span: ReadableSpan) -> str:
    assert span.context is not None
    return trace.format_trace_id(span.context.trace_id)


def traceparent_trace_ids(graph, system: str) -> set[str]:
    return {header.split("-")[1] for header in graph.stack.control(system).traceparents}


async def test_a_dashboard_is_one_trace_down_to_the_back_office(graph, spans):
    pid = graph.pid(1)
    result = await graph.query(DASHBOARD, pid=pid)
    assert "errors" not in result, result["errors"]
    server = await spans.server_span()
    assert server.name == "query Dashboard"
    assert server.attributes is not None
    assert server.attributes["graphql.operation.name"] == "Dashboard"
    assert server.attributes["minside.outcome"] == "ok"
    assert server.parent is None  # no traceparent came in: a new trace

    assert server.context is not None
    mine = [s for s in spans.spans if s.context and s.context.trace_id == server.context.trace_id]
    by_id = {s.context.span_id: s for s in mine if s.context}

    def root(span: ReadableSpan) -> ReadableSpan:
        while span.parent is not None and span.parent.span_id in by_id:
            span = by_id[span.parent.span_id]
        return span

    assert all(root(s) is server for s in mine)
    batches = [s for s in mine if s.name.endswith(" batch")]
    calls = [s for s in mine if s.kind == trace.SpanKind.CLIENT]
    assert batches and calls
    for batch in batches:
        attributes = dict(batch.attributes or {})
        assert attributes.get("minside.system", "matrikkel") in SYSTEM_NAMES  # if it asks one
        assert attributes["minside.loader"] == batch.name.removesuffix(" batch")
        assert int(attributes["minside.batch_size"]) >= 1
    assert {dict(c.attributes or {})["minside.system"] for c in calls} == set(SYSTEM_NAMES)
    assert {dict(c.attributes or {})["minside.outcome"] for c in calls} == {"ok"}
    # Back-office calls of a loader are children of its batch span.
    assert any(c.parent is not None and by_id.get(c.parent.span_id) in batches for c in calls)
    # Every back-office system got the trace in its traceparent header (SOAP and JSON).
    for system in SYSTEM_NAMES:
        assert hex_trace_id(server) in traceparent_trace_ids(graph, system), system
    # No personal data in any span.
    for span in mine:
        assert pid not in f"{span.name} {dict(span.attributes or {})}"


async def test_a_partners_traceparent_is_continued(graph, spans):
    trace_id, parent_id = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
    result = await graph.query(
        "query Cases { viewer { cases { totalCount } } }",
        pid=graph.pid(1),
        headers={"traceparent": f"00-{trace_id}-{parent_id}-01"},
    )
    assert "errors" not in result, result["errors"]
    server = await spans.server_span()
    assert hex_trace_id(server) == trace_id
    assert server.parent is not None and server.parent.is_remote
    assert trace.format_span_id(server.parent.span_id) == parent_id
    assert trace_id in traceparent_trace_ids(graph, "p360")


async def test_a_clients_baggage_is_not_passed_on_to_the_back_office(graph, spans):
    # The trace context continues to the back-office; the caller's W3C baggage (untrusted:
    # any browser can send it) stops at the gateway.
    trace_id, parent_id = "5bf92f3577b34da6a3ce929d0e0e4737", "10f067aa0ba902b7"
    result = await graph.query(
        "query Cases { viewer { cases { totalCount } } }",
        pid=graph.pid(1),
        headers={
            "traceparent": f"00-{trace_id}-{parent_id}-01",
            "baggage": "tenant=evil,role=admin",
        },
    )
    assert "errors" not in result, result["errors"]
    server = await spans.server_span()
    assert hex_trace_id(server) == trace_id
    assert trace_id in traceparent_trace_ids(graph, "p360")
    assert list(graph.stack.control("p360").baggage) == []


@pytest.mark.gateway(cache="off")
async def test_a_failed_call_is_an_error_span_with_its_outcome(graph, spans):
    await graph.fault("visma", operation="*", outage=True)
    result = await graph.query(
        "query Invoices { viewer { invoices { totalCount } } }", pid=graph.pid(4)
    )
    assert result["errors"]
    server = await spans.server_span()
    assert server.attributes is not None and server.attributes["minside.outcome"] == "errors"
    (call,) = [s for s in spans.spans if s.kind == trace.SpanKind.CLIENT]
    assert call.attributes is not None
    assert call.attributes["minside.system"] == "visma"
    assert call.attributes["minside.outcome"] == "SystemUnavailable"
    assert call.status.status_code == trace.StatusCode.ERROR
