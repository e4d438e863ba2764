"""An ``extensions.code`` for the errors graphql-core and strawberry raise themselves, and
client-facing messages that quote no fødselsnummer and no Python object.

The gateway's own errors carry their code already (:mod:`kernel.errors`). A syntax error, a
validation error, a variable that does not coerce, the depth and the token limit come from the
libraries without one; :class:`ValidationErrorCodes` marks the errors of the validation step
(only it knows which they are) and :func:`fill_error_codes`, run by the schema's
``process_errors`` before the errors are logged and sent, does the rest. Errors of execution
(with a ``path``) and unexpected ones (an original that is no GraphQLError) get no code here:
those are :class:`schema.observe.MaskInternalErrors`' to mask as ``INTERNAL``.

graphql-core quotes what the client sent in its messages ("Int cannot represent non 32-bit
signed integer value: 13818097953"). A fødselsnummer sent in the wrong place must not come
back in the response (nor reach a log): runs of 11 digits are replaced, as in the logs
(:data:`auth.redaction.PID`). A file mapped into a variable of another type would show as a
Python object; that is replaced with plain words.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.extensions import SchemaExtension

from auth.redaction import PID
from kernel.errors import ErrorCode

REDACTED_NUMBER = "[redacted-number]"
# graphql-core's inspect() of an object ("<UploadFile instance>") and Python's default repr.
_OBJECT = re.compile(r"<([A-Za-z_][\w.]*) (?:instance|object at 0x[0-9a-fA-F]+)>")
_DEPTH = "exceeds maximum operation depth"
_TOKENS = re.compile(r"Document contains more than \d+ tokens")


def client_message(message: str) -> str:
    """``message`` without 11-digit numbers and without Python object representations."""
    return _OBJECT.sub(_plain_object, PID.sub(REDACTED_NUMBER, message))


def _plain_object(match: re.Match[str]) -> str:
    return "an uploaded file" if "Upload" in match.group(1) else "a value of another kind"


def _set_code(error: GraphQLError, code: ErrorCode) -> None:
    error.extensions = {**(error.extensions or {}), "code": code.value}


def _has_code(error: GraphQLError) -> bool:
    return bool((error.extensions or {}).get("code"))


def fill_error_codes(errors: list[GraphQLError]) -> None:
    """Give each error the libraries raised a code, and clean every message (in place: these
    are the objects the response is made of)."""
    for error in errors:
        error.message = client_message(error.message)
        if _has_code(error):
            continue
        if isinstance(error, GraphQLSyntaxError):
            limit = _TOKENS.search(error.message)
            _set_code(
                error,
                ErrorCode.TOKEN_LIMIT_EXCEEDED if limit else ErrorCode.GRAPHQL_PARSE_FAILED,
            )
        elif error.path is None and (
            error.original_error is None or isinstance(error.original_error, GraphQLError)
        ):
            # Before execution, after validation (which marked its own): the variables did not
            # coerce (graphql-core wraps a scalar's GraphQLError), or the operation to run could
            # not be chosen.
            _set_code(error, ErrorCode.BAD_USER_INPUT)


class ValidationErrorCodes(SchemaExtension):
    """``GRAPHQL_VALIDATION_FAILED`` (or ``DEPTH_LIMIT_EXCEEDED``) on the validation step's
    errors, which look like later ones (no path, no original) once the step is over."""

    def on_validate(self) -> Iterator[None]:
        yield
        for error in self.execution_context.pre_execution_errors or []:
            if not _has_code(error):
                depth = _DEPTH in error.message
                _set_code(
                    error,
                    ErrorCode.DEPTH_LIMIT_EXCEEDED
                    if depth
                    else ErrorCode.GRAPHQL_VALIDATION_FAILED,
                )
