"""GraphQL over HTTP at the edge of /graphql: what a request body may be, and what media type
and status a response gets (https://graphql.github.io/graphql-over-http/draft/).

- :func:`decode_json_object` parses a JSON request value defensively: UTF-8 only, nesting
  bounded before the parser recurses, integers with more digits than Python converts
  refused, and only a JSON object accepted. Each failure is a :class:`RequestRefused` (400)
  whose message never quotes the client's input.
- :func:`negotiate` picks the response's media type from ``Accept``:
  ``application/graphql-response+json`` when the client accepts it (preferred),
  ``application/json`` for older clients and when ``Accept`` is absent or ``*/*``, and None
  (406) when neither is acceptable.
- :class:`GraphQLRequest` parses a multipart body as Starlette does, but refuses one that ends
  before its closing boundary (Starlette parsed it as a form without the cut-off file part and
  left that part's temporary file open; found by ``tests/fuzz``).
- :func:`is_request_error` tells a request error (parse, validation, variable coercion:
  nothing executed) from a field error during execution. With
  ``application/graphql-response+json`` the former is a 400 without ``data``; with
  ``application/json`` it stays 200, as the spec allows for legacy clients.
"""

from __future__ import annotations

import json
import re
from contextlib import aclosing
from typing import Any, Final

from cross_web import HTTPException
from starlette.datastructures import FormData
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError

from kernel.errors import ErrorCode

__all__ = [
    "GRAPHQL_RESPONSE_JSON",
    "JSON",
    "MAX_JSON_DEPTH",
    "GraphQLRequest",
    "RequestRefused",
    "decode_json_object",
    "is_request_error",
    "negotiate",
]

GRAPHQL_RESPONSE_JSON: Final = "application/graphql-response+json"
JSON: Final = "application/json"

# Deeper than any GraphQL request needs (variables of nested input objects included), far
# below the depth at which the JSON parser (or anything walking the value later) recurses out.
MAX_JSON_DEPTH: Final = 64

# A JSON string; an unterminated one runs to the end of the body (so no position is scanned
# twice: a body of many unterminated quotes stays linear).
_STRING: Final = re.compile(rb'"(?:[^"\\]|\\.)*"?', re.DOTALL)
_NOT_BRACKETS: Final = bytes(set(range(256)) - set(b"[]{}"))


class RequestRefused(HTTPException):
    """An HTTP-level refusal whose message the gateway wrote (it quotes no input), answered
    with ``extensions.code`` ``code`` (``BAD_REQUEST`` unless said otherwise)."""

    def __init__(
        self, status_code: int, reason: str, code: ErrorCode = ErrorCode.BAD_REQUEST
    ) -> None:
        super().__init__(status_code, reason)
        self.code = code


class _CompleteMultiPartParser(MultiPartParser):
    """Starlette's multipart parser, refusing a body cut off before its closing boundary.

    python-multipart signals ``end`` only at the closing boundary. Without it Starlette returns
    the parts that ended and never closes the temporary file of the part that did not."""

    _ended = False

    def on_end(self) -> None:
        self._ended = True

    async def parse(self) -> FormData:
        form = await super().parse()
        if not self._ended:
            for file in self._files_to_close_on_error:
                file.close()
            await form.close()
            raise MultiPartException("the multipart body ends before its closing boundary")
        return form


class GraphQLRequest(Request):
    """A Starlette request whose multipart body must be complete (else a 400 refusal)."""

    async def _get_form(
        self,
        *,
        max_files: int | float = 1000,
        max_fields: int | float = 1000,
        max_part_size: int = 1024 * 1024,
    ) -> FormData:
        content_type = self.headers.get("content-type", "")
        if self._form is None and content_type.split(";")[0].strip().lower() == (
            "multipart/form-data"
        ):
            try:
                async with aclosing(self.stream()) as stream:
                    parser = _CompleteMultiPartParser(
                        self.headers,
                        stream,
                        max_files=max_files,
                        max_fields=max_fields,
                        max_part_size=max_part_size,
                    )
                    self._form = await parser.parse()
            except MultiPartException as exc:
                raise RequestRefused(400, "the multipart body cannot be parsed") from exc
            return self._form
        return await super()._get_form(
            max_files=max_files, max_fields=max_fields, max_part_size=max_part_size
        )


def _too_deep(body: bytes) -> bool:
    """Whether the JSON text nests arrays/objects deeper than :data:`MAX_JSON_DEPTH`.

    Brackets inside strings do not count; the count is cheap when there are few brackets."""
    if body.count(b"[") + body.count(b"{") <= MAX_JSON_DEPTH:
        return False
    depth = 0
    for byte in _STRING.sub(b"", body).translate(None, _NOT_BRACKETS):
        if byte in b"[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return True
        else:
            depth -= 1
    return False


def _not_json(constant: str) -> object:
    """``NaN``, ``Infinity`` and ``-Infinity``: Python's extension, not JSON."""
    raise ValueError("not JSON")


def decode_json_object(data: str | bytes, what: str = "the request body") -> dict[str, Any]:
    """The JSON object in ``data``, or :class:`RequestRefused` (400) saying what is wrong."""
    if isinstance(data, str):
        try:
            data = data.encode("utf-8")
        except UnicodeEncodeError as exc:  # lone surrogates from a form field
            raise RequestRefused(400, f"{what} is not valid UTF-8") from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RequestRefused(400, f"{what} is not valid UTF-8") from exc
    if _too_deep(data):
        raise RequestRefused(400, f"{what} nests deeper than {MAX_JSON_DEPTH} levels")
    try:
        value = json.loads(text, parse_constant=_not_json)
    except RecursionError as exc:
        raise RequestRefused(400, f"{what} nests deeper than {MAX_JSON_DEPTH} levels") from exc
    except ValueError as exc:  # malformed JSON, or an integer of too many digits
        raise RequestRefused(400, f"{what} is not valid JSON") from exc
    if not isinstance(value, dict):
        raise RequestRefused(400, f"{what} must be a JSON object")
    return value


def _media_ranges(accept: str) -> list[tuple[str, float]]:
    """The media ranges of ``Accept``, lower-cased, with their quality (malformed q: 0)."""
    ranges: list[tuple[str, float]] = []
    for part in accept.split(","):
        media, *params = (item.strip() for item in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value.strip())
                except ValueError:
                    quality = 0.0
        if media:
            ranges.append((media.lower(), quality))
    return ranges


def negotiate(accept: str | None) -> str | None:
    """The response's media type for this ``Accept``, or None when none is acceptable.

    ``multipart/mixed`` (``@defer``, :mod:`gateway.incremental`) counts as accepting
    ``application/json`` too: an operation without ``@defer`` is answered as one JSON body."""
    if accept is None or not accept.strip():
        return JSON
    best: tuple[float, int, str] | None = None
    for media, quality in _media_ranges(accept):
        if quality <= 0:
            continue
        if media == GRAPHQL_RESPONSE_JSON:
            candidate = (quality, 1, GRAPHQL_RESPONSE_JSON)
        elif media in {JSON, "application/*", "*/*", "multipart/mixed"}:
            candidate = (quality, 0, JSON)
        else:
            continue
        if best is None or candidate[:2] > best[:2]:
            best = candidate
    return best[2] if best is not None else None


def is_request_error(result: ExecutionResult) -> bool:
    """Whether the operation failed before execution: parse, validation, variable coercion.

    Field errors always have a path; the request errors graphql-core reports (variable
    coercion) have none and come without data."""
    if isinstance(result, PreExecutionError):
        return True
    return (
        result.data is None
        and bool(result.errors)
        and all(error.path is None for error in result.errors or ())
    )
