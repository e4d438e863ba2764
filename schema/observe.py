"""What one GraphQL operation tells observability: its name and outcome, and its errors' logs.

- :class:`OperationRecord` / :data:`current_operation`: the HTTP layer (``gateway.observe``)
  puts an empty record in the contextvar for each request; :class:`RecordOperation`, a schema
  extension, fills in the operation's name and outcome (``ok``, ``errors`` when some fields
  failed, ``rejected`` when the document did not parse or validate and nothing executed).
  Outside such a request (a test executing the schema directly) there is no record and the
  extension does nothing.
- :func:`log_errors`: how the gateway logs GraphQL errors instead of strawberry's traceback per
  error (``Schema.process_errors``), once per request whatever the number of failing fields
  (450 aliases of a failing field are one line, not 450 tracebacks). A client's mistakes
  (parse or validation error, not logged in, bad input: an error with a typed code) are one
  INFO line with their count, codes and the operation's name; back-office failures
  (:class:`~resolvers.errors.SourceError`) one WARNING line per system, the connector layer
  having logged the details; anything else is a fault of the gateway: one ERROR line per
  exception type, with the first one's traceback and the request id. Each kind at a bounded
  rate per process (:class:`BoundedLog`: :data:`CLIENT_LINES`, :data:`SOURCE_LINES`, and
  :data:`FAULT_LINES` with a higher bound); what is left out is counted and summarised later.
- :class:`MaskInternalErrors`: such a fault reaches the client only as ``INTERNAL`` with a
  generic message and ``extensions.requestId`` (the id in the log line and in the response's
  ``X-Request-Id``), never with the exception's text.
- Incremental delivery (``@defer``/``@stream``): strawberry hands neither the initial part's
  errors nor the later parts' to ``Schema.process_errors``. :class:`MaskInternalErrors` does
  it for the initial part, and :func:`observe_deferred` for the later parts as they are sent:
  codes and clean messages (:func:`schema.error_codes.fill_error_codes`), faults masked, and
  all of a response's deferred errors logged by :func:`log_errors` once, when it ends.
"""

from __future__ import annotations

import contextvars
import logging
import math
import re
import threading
import time
from collections import Counter
from collections.abc import AsyncGenerator, Callable, Iterator
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any, Final

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError
from strawberry.extensions import MaskErrors, SchemaExtension
from strawberry.types import ExecutionContext
from strawberry.types import ExecutionResult as StrawberryExecutionResult

from kernel.errors import ErrorCode
from kernel.logs import current_request_id
from resolvers.errors import SourceError
from schema.error_codes import fill_error_codes

__all__ = [
    "CLIENT_LINES",
    "FAULT_LINES",
    "INTERNAL_MESSAGE",
    "SOURCE_LINES",
    "BoundedLog",
    "MaskInternalErrors",
    "OperationRecord",
    "RecordOperation",
    "current_operation",
    "is_unexpected",
    "log_errors",
    "observe_deferred",
]

log = logging.getLogger("minside.graphql")

INTERNAL_MESSAGE: Final = "Internal error; quote extensions.requestId when reporting it"


@dataclass
class OperationRecord:
    """The name and outcome of the request's GraphQL operation (None: not known yet)."""

    name: str | None = None
    kind: str | None = None  # "query", "mutation"
    outcome: str | None = None
    named: bool = False  # True once the extension saw the operation


current_operation: contextvars.ContextVar[OperationRecord | None] = contextvars.ContextVar(
    "minside_graphql_operation", default=None
)


def _result_errors(result: Any) -> list[GraphQLError] | None:
    if isinstance(result, GraphQLExecutionResult | StrawberryExecutionResult):
        return result.errors
    initial = getattr(result, "initial_result", None)  # incremental delivery (@defer)
    return getattr(initial, "errors", None) if initial is not None else None


class RecordOperation(SchemaExtension):
    """Fills the request's :class:`OperationRecord` (see the module doc)."""

    def __init__(self, *, execution_context: ExecutionContext | None = None) -> None:
        self._executed = False

    def on_execute(self) -> Iterator[None]:
        self._executed = True
        yield

    def on_operation(self) -> Iterator[None]:
        self._executed = False
        try:
            yield
        finally:
            # Also when a hook raised (the parser cache raises a syntax error from on_parse).
            self._record()

    def _record(self) -> None:
        record = current_operation.get()
        if record is None:
            return
        context = self.execution_context
        try:
            record.name = context.operation_name
        except Exception:  # a document that did not parse has no name
            record.name = None
        try:
            record.kind = context.operation_type.value
        except Exception:  # nor a type
            record.kind = None
        record.named = True
        if not self._executed:
            record.outcome = "rejected"
        elif _result_errors(context.result):
            record.outcome = "errors"
        else:
            record.outcome = "ok"


def is_unexpected(error: GraphQLError) -> bool:
    """True for an error the gateway did not raise on purpose: a bug or a raw library error.

    Errors raised on purpose carry a code; parse and validation errors have no original.
    """
    original = error.original_error
    if original is None:
        return False
    return not isinstance(original, GraphQLError) and not (error.extensions or {}).get("code")


def _code(error: GraphQLError) -> str:
    code = (error.extensions or {}).get("code")
    return str(code) if code else "GRAPHQL_VALIDATION"


class BoundedLog:
    """A logger's lines of one kind at a bounded rate: at most ``per_second`` lines in each
    second; the rest are counted and, at the first line of this kind at least ``summary_s``
    after the first one left out, summarised in one line ("suppressed 1234 client-error lines
    in the last 10 s"). One request's lines cannot flood the log, nor can a client sending
    bad requests back to back."""

    def __init__(
        self,
        logger: logging.Logger,
        kind: str,
        per_second: int,
        *,
        summary_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.logger = logger
        self.kind = kind
        self.per_second = per_second
        self.summary_s = summary_s
        self.clock = clock
        self._lock = threading.Lock()
        self._second = -math.inf  # start of the current one-second window
        self._used = 0
        self._suppressed = 0
        self._suppressed_since = 0.0

    def log(self, level: int, message: str, *args: object, exc_info: Any = None) -> bool:
        """Log the line if the budget allows (True), else count it as suppressed (False)."""
        with self._lock:
            now = self.clock()
            if now - self._second >= 1.0:
                self._second, self._used = now, 0
            summary: tuple[int, float] | None = None
            if self._suppressed and now - self._suppressed_since >= self.summary_s:
                summary = (self._suppressed, now - self._suppressed_since)
                self._suppressed = 0
            admitted = self._used < self.per_second
            if admitted:
                self._used += 1
            else:
                if not self._suppressed:
                    self._suppressed_since = now
                self._suppressed += 1
        if summary is not None:
            self.logger.log(
                level,
                "suppressed %d %s lines in the last %.0f s",
                summary[0],
                self.kind,
                summary[1],
            )
        if admitted:
            self.logger.log(level, message, *args, exc_info=exc_info)
        return admitted


#: Client errors (INFO), back-office failures (WARNING) and faults of the gateway (ERROR, with
#: a higher bound: each is a bug someone must see), each kind with its own budget.
CLIENT_LINES = BoundedLog(log, "client-error", per_second=10)
SOURCE_LINES = BoundedLog(log, "back-office-failure", per_second=20)
FAULT_LINES = BoundedLog(log, "internal-error", per_second=50)

_NAME: Final = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,63}")


def _operation_label(name: str | None) -> str:
    """The operation's name as a log shows it; a client's odd name (it is free text until the
    document parses) is not copied into the log."""
    if name is None:
        return "anonymous operation"
    return f"operation {name}" if _NAME.fullmatch(name) else "operation with an invalid name"


def _counted(codes: Counter[str]) -> str:
    return ", ".join(f"{code}×{count}" for code, count in sorted(codes.items()))


def log_errors(errors: list[GraphQLError], operation: str | None = None) -> None:
    """Log one request's errors, each cause at its level, once per request (module doc).

    A client's mistakes are one INFO line (how many, their codes, the operation), a
    back-office failure one WARNING line per system, and a fault of the gateway one ERROR
    line per exception type with the first one's traceback; each at a bounded rate
    (:class:`BoundedLog`). No message text of the errors is logged: it may echo the client's
    input.
    """
    label = _operation_label(operation)
    client: Counter[str] = Counter()
    sources: dict[str, Counter[str]] = {}
    faults: dict[str, list[GraphQLError]] = {}
    for error in errors:
        original = error.original_error
        if isinstance(original, SourceError):
            sources.setdefault(original.system, Counter())[_code(error)] += 1
        elif is_unexpected(error):
            faults.setdefault(type(original).__name__, []).append(error)
        else:
            client[_code(error)] += 1
    if client:
        CLIENT_LINES.log(
            logging.INFO,
            "GraphQL client errors in %s: %d (%s)",
            label,
            client.total(),
            _counted(client),
        )
    for system, codes in sources.items():
        SOURCE_LINES.log(
            logging.WARNING,
            "GraphQL fields failed on %s in %s: %d (%s)",
            system,
            label,
            codes.total(),
            _counted(codes),
        )
    for name, same in faults.items():
        first = same[0]
        path = ".".join(str(key) for key in first.path or ()) or "-"
        more = f" and {len(same) - 1} more field(s)" if len(same) > 1 else ""
        FAULT_LINES.log(
            logging.ERROR,
            "GraphQL field %s%s in %s: internal error %s (request %s)",
            path,
            more,
            label,
            name,
            current_request_id() or "-",
            exc_info=first.original_error,
        )


def _operation_name(context: ExecutionContext) -> str | None:
    try:
        return context.operation_name
    except Exception:  # a document that did not parse has no name
        return None


class MaskInternalErrors(MaskErrors):
    """Strawberry's masking of unexpected errors, as ``INTERNAL`` with the request id.

    The initial part of an incremental (``@defer``) result is not given to
    ``Schema.process_errors``: its errors get their codes and are logged here, before they are
    masked (the traceback of a fault is still there)."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=is_unexpected, error_message=INTERNAL_MESSAGE)

    def on_operation(self) -> Iterator[None]:
        masking = super().on_operation()
        next(masking)
        yield
        initial = getattr(self.execution_context.result, "initial_result", None)
        if initial is not None and initial.errors:
            fill_error_codes(initial.errors)
            log_errors(initial.errors, _operation_name(self.execution_context))
        for _ in masking:  # masks the errors, initial part included
            pass

    def mask(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        """``errors`` with each fault replaced by its ``INTERNAL`` stand-in."""
        return self._process_errors(errors)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        extensions: dict[str, Any] = {"code": ErrorCode.INTERNAL.value}
        rid = current_request_id()
        if rid is not None:
            extensions["requestId"] = rid
        return GraphQLError(
            message=self.error_message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=None,
            extensions=extensions,
        )


async def observe_deferred(
    results: AsyncGenerator[Any, None], operation: str | None = None
) -> AsyncGenerator[Any, None]:
    """The later parts of an incremental result, their errors treated as the schema treats an
    ordinary result's: codes and clean messages, faults masked as ``INTERNAL``; and logged once
    for the whole response, when it ends (also when the client went away), at a bounded rate.

    Without a name given, the one :class:`RecordOperation` found is used."""
    record = current_operation.get()
    masking = MaskInternalErrors()
    seen: list[GraphQLError] = []
    try:
        async with aclosing(results):
            async for result in results:
                for part in (
                    *(getattr(result, "incremental", None) or ()),
                    *(getattr(result, "completed", None) or ()),
                ):
                    errors = getattr(part, "errors", None)
                    if errors:
                        fill_error_codes(errors)
                        seen.extend(errors)
                        part.errors = masking.mask(errors)
                yield result
    finally:
        if seen:
            name = operation or (record.name if record is not None else None)
            log_errors(seen, name)
