"""What one GraphQL operation tells observability: its name and outcome, and its errors' logs.

- :class:`OperationRecord` / :data:`current_operation`: the HTTP layer (``gateway.observe``)
  puts an empty record in the contextvar for each request; :class:`RecordOperation`, a schema
  extension, fills in the operation's name and outcome (``ok``, ``errors`` when some fields
  failed, ``rejected`` when the document did not parse or validate and nothing executed).
  Outside such a request (a test executing the schema directly) there is no record and the
  extension does nothing.
- :func:`log_errors`: how the gateway logs GraphQL errors instead of strawberry's traceback per
  error (``Schema.process_errors``). A client's mistake (parse or validation error, not logged
  in, bad input: an error with a typed code) is one INFO line; a back-office failure
  (:class:`~resolvers.errors.SourceError`) one WARNING line, the connector layer having logged
  the details; anything else is a fault of the gateway: logged at ERROR once, with its
  traceback and the request id.
- :class:`MaskInternalErrors`: such a fault reaches the client only as ``INTERNAL`` with a
  generic message and ``extensions.requestId`` (the id in the log line and in the response's
  ``X-Request-Id``), never with the exception's text.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Iterator
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

__all__ = [
    "INTERNAL_MESSAGE",
    "MaskInternalErrors",
    "OperationRecord",
    "RecordOperation",
    "current_operation",
    "is_unexpected",
    "log_errors",
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


def log_errors(errors: list[GraphQLError]) -> None:
    """Log each error at the level its cause deserves (see the module doc)."""
    for error in errors:
        path = ".".join(str(key) for key in error.path or ()) or "-"
        original = error.original_error
        if isinstance(original, SourceError):
            log.warning("GraphQL field %s failed: %s %s", path, _code(error), error.message)
        elif is_unexpected(error):
            log.error(
                "GraphQL field %s: internal error %s (request %s)",
                path,
                type(original).__name__,
                current_request_id() or "-",
                exc_info=original,
            )
        else:
            log.info("GraphQL client error at %s: %s %s", path, _code(error), error.message)


class MaskInternalErrors(MaskErrors):
    """Strawberry's masking of unexpected errors, as ``INTERNAL`` with the request id."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=is_unexpected, error_message=INTERNAL_MESSAGE)

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
