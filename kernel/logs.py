"""Logging set-up shared by the gateway, the simulators and the stand-in.

Every line says which request it belongs to: :data:`request_id` is set per HTTP request (by
``gateway.request_id.RequestIdMiddleware``) and :class:`RequestContextFilter` adds it, and the
active trace's id, to each record. Two formats (``MINSIDE_LOG_FORMAT``):

- ``text``: one human-readable line, ``time LEVEL logger [request id]: message``;
- ``json``: one JSON object per line for a log pipeline (python-json-logger), with ``time``,
  ``level``, ``logger``, ``message``, ``request_id``, ``trace_id`` (null outside a request or
  trace) and ``service``, and the
  traceback (already redacted by ``auth.redaction``) as ``exc_info``.

Nothing here logs personal data; ``auth.redaction.install_log_redaction`` scrubs tokens and
fødselsnumre from every record before any handler formats it, for both formats.
"""

from __future__ import annotations

import contextvars
import logging
from datetime import UTC, datetime
from typing import Final, Literal

from opentelemetry import trace
from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

__all__ = [
    "RequestContextFilter",
    "configure_logging",
    "current_request_id",
    "json_formatter",
    "logging_configured_as",
    "request_id",
    "text_formatter",
]

LogFormat = Literal["text", "json"]

#: The id of the HTTP request being served (``None`` outside a request).
request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "minside_request_id", default=None
)

NO_REQUEST: Final = "-"
TEXT_FORMAT: Final = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"
_JSON_FIELDS: Final = "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(trace_id)s"

_configured: LogFormat | None = None


def current_request_id() -> str | None:
    """The id of the request being served, if any."""
    return request_id.get()


def current_trace_id() -> str | None:
    """The active span's trace id as 32 hex digits, or None when no trace is active."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return trace.format_trace_id(context.trace_id)


class RequestContextFilter(logging.Filter):
    """Adds ``request_id`` and ``trace_id`` to every record a handler emits (never drops one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id()
        if not hasattr(record, "trace_id"):
            record.trace_id = current_trace_id()
        return True


class _TextFormatter(logging.Formatter):
    """:data:`TEXT_FORMAT`, with ``-`` for a record outside a request (or one that reached
    the handler without its filter)."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def formatMessage(self, record: logging.LogRecord) -> str:
        values = {**record.__dict__, "request_id": getattr(record, "request_id", None)}
        values["request_id"] = values["request_id"] or NO_REQUEST
        return TEXT_FORMAT % values


class _RedactedJsonFormatter(JsonFormatter):
    """python-json-logger with ISO 8601 UTC times; a traceback already formatted (and
    redacted) on the record is used as it is instead of being formatted again."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")

    def format(self, record: logging.LogRecord) -> str:
        if record.exc_info and record.exc_text:
            # The handler holds its lock while formatting, so this brief change is not seen
            # by another handler.
            exc_info, record.exc_info = record.exc_info, None
            try:
                return super().format(record)
            finally:
                record.exc_info = exc_info
        return super().format(record)


def json_formatter(service: str) -> logging.Formatter:
    """One JSON object per record: time, level, logger, message, request_id, trace_id, service."""
    return _RedactedJsonFormatter(
        _JSON_FIELDS,
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        static_fields={"service": service},
        # uvicorn adds a copy of its messages with terminal colours.
        reserved_attrs=[*RESERVED_ATTRS, "color_message"],
        json_ensure_ascii=False,
    )


def text_formatter() -> logging.Formatter:
    """A single human-readable line per record, with the request id."""
    return _TextFormatter()


def configure_logging(level: str, fmt: LogFormat = "text", service: str = "minside") -> None:
    """Single-line log records on stderr, as ``text`` or ``json`` (see the module doc)."""
    global _configured
    handler = logging.StreamHandler()
    handler.setFormatter(json_formatter(service) if fmt == "json" else text_formatter())
    handler.addFilter(RequestContextFilter())
    logging.basicConfig(level=level, handlers=[handler], force=True)
    _configured = fmt


def logging_configured_as() -> LogFormat | None:
    """The format :func:`configure_logging` set up in this process (None: not called)."""
    return _configured
