"""Log formats: a JSON line per record with the request and trace ids (and a redacted
traceback), a text line with the request id; configure_logging wires either to stderr."""

from __future__ import annotations

import io
import json
import logging

import pytest
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

from auth.redaction import install_log_redaction
from kernel.logs import (
    RequestContextFilter,
    configure_logging,
    json_formatter,
    logging_configured_as,
    request_id,
    text_formatter,
)

PID = "01017012345"  # an 11-digit number: what the redaction takes for a fødselsnummer


def emit(formatter: logging.Formatter, message: str, *args: object, **kwargs: object) -> str:
    """The text one record of ``message`` becomes through a handler with ``formatter``."""
    install_log_redaction()
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(formatter)
    handler.addFilter(RequestContextFilter())
    logger = logging.getLogger("tests.kernel.logs")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    try:
        logger.info(message, *args, **kwargs)  # type: ignore[arg-type]
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    return out.getvalue()


def test_a_json_line_has_the_request_and_trace_ids_and_nothing_personal() -> None:
    context = SpanContext(
        trace_id=0x4BF92F3577B34DA6A3CE929D0E0E4736,
        span_id=0x00F067AA0BA902B7,
        is_remote=True,
        trace_flags=TraceFlags(TraceFlags.SAMPLED),
    )
    token = request_id.set("req-12345678")
    try:
        with trace.use_span(NonRecordingSpan(context)):
            line = emit(json_formatter("minside-gateway"), "looked up %s", PID)
    finally:
        request_id.reset(token)
    assert line.endswith("\n") and line.count("\n") == 1
    record = json.loads(line)
    assert record["message"] == "looked up [redacted-pid]"
    assert record["level"] == "INFO"
    assert record["logger"] == "tests.kernel.logs"
    assert record["request_id"] == "req-12345678"
    assert record["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert record["service"] == "minside-gateway"
    assert record["time"]
    assert PID not in line
    assert not {"process", "processName", "thread", "pid"} & set(record)


def test_outside_a_request_the_ids_are_empty() -> None:
    record = json.loads(emit(json_formatter("svc"), "idle"))
    assert record["request_id"] is None
    assert record["trace_id"] is None


def test_a_json_traceback_is_the_redacted_one() -> None:
    try:
        raise ValueError(f"bad value {PID}")
    except ValueError:
        line = emit(json_formatter("svc"), "failed", exc_info=True)
    record = json.loads(line)
    assert "ValueError: bad value [redacted-pid]" in record["exc_info"]
    assert PID not in line


def test_a_text_line_shows_the_request_id() -> None:
    token = request_id.set("abcdef123456")
    try:
        line = emit(text_formatter(), "hello %s", PID)
    finally:
        request_id.reset(token)
    assert line.rstrip("\n").endswith("INFO tests.kernel.logs [abcdef123456]: hello [redacted-pid]")


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_configure_logging_installs_one_handler_in_the_format(fmt: str) -> None:
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    try:
        configure_logging("WARNING", fmt, "svc")  # type: ignore[arg-type]
        (handler,) = root.handlers
        assert root.level == logging.WARNING
        assert logging_configured_as() == fmt
        assert any(isinstance(f, RequestContextFilter) for f in handler.filters)
        formatted = handler.format(logging.makeLogRecord({"msg": "x", "levelname": "INFO"}))
        assert formatted.startswith("{") == (fmt == "json")
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
        import kernel.logs

        kernel.logs._configured = None
