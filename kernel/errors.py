"""Every error code a client can branch on, and the JSON error envelope they arrive in.

Clients (the Min side front end, partner portals) switch on these strings, so they are part
of the API: each is listed here once, and every layer that emits one imports it from here
(the kernel is below all of them). The exception classes that carry them stay where they are
raised: :mod:`schema.errors`, :mod:`schema.relay`, :mod:`resolvers.errors`,
:mod:`auth.middleware`, :mod:`gateway.downloads`, :mod:`gateway.admission`,
:mod:`gateway.rate_limit`, :mod:`gateway.http_protocol` and ``app.RequestSizeLimit``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

__all__ = ["DownloadErrorCode", "ErrorCode", "SubmissionErrorCode", "error_envelope"]


class ErrorCode(StrEnum):
    """``extensions.code`` of a GraphQL error, in a response's ``errors`` list."""

    # Who is asking (auth.middleware answers these before GraphQL runs; schema.errors in it).
    UNAUTHENTICATED = "UNAUTHENTICATED"
    INSUFFICIENT_LEVEL_OF_ASSURANCE = "INSUFFICIENT_LEVEL_OF_ASSURANCE"
    FORBIDDEN = "FORBIDDEN"
    CSRF_REFUSED = "CSRF_REFUSED"
    # The client (a partner portal, kernel.partners) lacks the scope this field needs; the
    # field is null, extensions.scope names the scope, and the rest is answered (schema.scopes).
    FORBIDDEN_FOR_CLIENT = "FORBIDDEN_FOR_CLIENT"
    AUTH_UNAVAILABLE = "AUTH_UNAVAILABLE"
    # The request itself (app.RequestSizeLimit; schema.relay for ids, cursors, page sizes).
    PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
    # An HTTP-level refusal before GraphQL runs (app.GatewayGraphQL, gateway.http_protocol):
    # a body that is not a JSON object, not UTF-8, nested too deep, a malformed multipart
    # upload, an unsupported Content-Type (415) or Accept (406). Nothing was executed; the
    # message says what is wrong without quoting the request.
    BAD_REQUEST = "BAD_REQUEST"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    # The document itself (schema.error_codes; graphql-core and strawberry raise these): not
    # GraphQL syntax, not valid against the schema, nested deeper than the depth limit, more
    # tokens than the parser reads. A variable that does not coerce to its type (a wrong-typed
    # value, an Upload that is no file part) is BAD_USER_INPUT. Nothing was executed.
    GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
    GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
    DEPTH_LIMIT_EXCEEDED = "DEPTH_LIMIT_EXCEEDED"
    TOKEN_LIMIT_EXCEEDED = "TOKEN_LIMIT_EXCEEDED"  # noqa: S105 (a code, not a secret)
    # An operation over a static limit, refused before it executes (schema.cost); the error's
    # extensions.cost and extensions.limit state what it asked and what is allowed.
    COST_LIMIT_EXCEEDED = "COST_LIMIT_EXCEEDED"
    ALIAS_LIMIT_EXCEEDED = "ALIAS_LIMIT_EXCEEDED"
    FIELD_LIMIT_EXCEEDED = "FIELD_LIMIT_EXCEEDED"
    # An introspection query (__schema, __type) where MINSIDE_INTROSPECTION is off (the
    # production default; schema.introspection). Nothing was executed.
    INTROSPECTION_DISABLED = "INTROSPECTION_DISABLED"
    # Persisted queries (gateway.persisted_queries). A hash-only request whose hash the
    # gateway does not know: HTTP 200 with the message "PersistedQueryNotFound", which Apollo
    # Client and urql answer by resending the query with its hash (automatic persisted queries).
    PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
    # A persistedQuery extension the gateway does not take: a version other than 1, or (with
    # MINSIDE_PERSISTED_QUERIES=off, HTTP 200, message "PersistedQueryNotSupported") any: the
    # clients then send full queries. Also a documentId or doc_id (400) where there are no
    # trusted documents.
    PERSISTED_QUERY_NOT_SUPPORTED = "PERSISTED_QUERY_NOT_SUPPORTED"
    # MINSIDE_PERSISTED_QUERIES=trusted-only: the document is not in the trusted documents
    # manifest (400), whether sent by hash, by documentId or doc_id, or in full.
    PERSISTED_QUERY_NOT_ALLOWED = "PERSISTED_QUERY_NOT_ALLOWED"
    # A query sent with GET that is not a persisted query (405; MINSIDE_GRAPHQL_GET_QUERIES=
    # persisted): send it with POST, or by its hash.
    PERSISTED_QUERY_REQUIRED = "PERSISTED_QUERY_REQUIRED"
    # /graphql asked with a method it does not have (PUT, DELETE, PATCH, …): 405 with Allow.
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    # The gateway itself is saturated: 503 with Retry-After, nothing executed (gateway.admission).
    OVERLOADED = "OVERLOADED"
    # A viewer's, client's or address's cost budget per window is spent: 429 with Retry-After
    # and RateLimit headers, nothing executed (gateway.rate_limit). extensions.limit, .window
    # (seconds), .scope and .retryAfter (seconds) say which budget and when to try again.
    RATE_LIMITED = "RATE_LIMITED"
    # A back-office system failed; only its fields are null (resolvers.errors).
    SOURCE_TIMEOUT = "SOURCE_TIMEOUT"
    SOURCE_UNAVAILABLE = "SOURCE_UNAVAILABLE"
    SOURCE_ERROR = "SOURCE_ERROR"
    # The gateway's store of citizen writes does not answer: not accepted; try again
    # (resolvers.submission.outbox). Reads from the back-office systems are unaffected.
    SUBMISSIONS_UNAVAILABLE = "SUBMISSIONS_UNAVAILABLE"
    # The store of the citizen's access log does not answer: viewer.accessLog is null
    # (schema.access_log). Other fields are unaffected.
    ACCESS_LOG_UNAVAILABLE = "ACCESS_LOG_UNAVAILABLE"
    # A fault of the gateway itself; the message is generic and extensions.requestId names
    # the log line (schema.observe).
    INTERNAL = "INTERNAL"


class SubmissionErrorCode(StrEnum):
    """Why a submission's input was refused (the GraphQL enum ``SubmissionErrorCode``).

    Not an ``extensions.code``: these are data, in a mutation's ``Submit…Errors`` result.
    """

    REQUIRED = "REQUIRED"
    INVALID_FORMAT = "INVALID_FORMAT"
    OUT_OF_RANGE = "OUT_OF_RANGE"
    TOO_LONG = "TOO_LONG"
    NOT_FOUND = "NOT_FOUND"
    METER_REPLACED = "METER_REPLACED"
    DATE_IN_FUTURE = "DATE_IN_FUTURE"
    DATE_BEFORE_LAST_READING = "DATE_BEFORE_LAST_READING"
    VALUE_BELOW_LAST_READING = "VALUE_BELOW_LAST_READING"
    UNUSUAL_CONSUMPTION = "UNUSUAL_CONSUMPTION"
    UNKNOWN_TYPE = "UNKNOWN_TYPE"
    UNKNOWN_FIELD = "UNKNOWN_FIELD"
    DUPLICATE_FIELD = "DUPLICATE_FIELD"
    INVALID_CHOICE = "INVALID_CHOICE"
    UNKNOWN_ATTACHMENT = "UNKNOWN_ATTACHMENT"
    ATTACHMENT_REQUIRED = "ATTACHMENT_REQUIRED"
    TOO_MANY_FILES = "TOO_MANY_FILES"
    FILE_TOO_LARGE = "FILE_TOO_LARGE"
    FILE_TYPE_NOT_ALLOWED = "FILE_TYPE_NOT_ALLOWED"
    EMPTY_FILE = "EMPTY_FILE"
    # The file's content is not a whole valid file of its declared type (a PNG with HTML after
    # its header, a renamed executable, a truncated PDF): refused, nothing stored.
    ATTACHMENT_TYPE_MISMATCH = "ATTACHMENT_TYPE_MISMATCH"
    # All files of one application together (the form PDF included) exceed what the archive
    # takes in one document (MINSIDE_UPLOAD_MAX_APPLICATION_BYTES).
    APPLICATION_TOO_LARGE = "APPLICATION_TOO_LARGE"
    INSUFFICIENT_LEVEL_OF_ASSURANCE = "INSUFFICIENT_LEVEL_OF_ASSURANCE"
    CONFLICT = "CONFLICT"
    SOURCE_UNAVAILABLE = "SOURCE_UNAVAILABLE"


class DownloadErrorCode(StrEnum):
    """The ``error`` of a refused ``GET /files/<token>`` (a plain JSON body, not GraphQL)."""

    UNAUTHENTICATED = "unauthenticated"
    # 403: the client (a partner portal) lacks the scope of this kind of file (schema.scopes).
    FORBIDDEN_FOR_CLIENT = "forbidden_for_client"
    NOT_FOUND = "not_found"
    SOURCE_TIMEOUT = "source_timeout"
    SOURCE_UNAVAILABLE = "source_unavailable"
    # 429: the download's cost (gateway.rate_limit.DOWNLOAD_COST) is over a budget; the
    # RateLimit headers and Retry-After say when to try again. Nothing was asked of the archive.
    RATE_LIMITED = "rate_limited"


def error_envelope(code: ErrorCode, message: str, *, null_data: bool = False) -> dict[str, Any]:
    """A GraphQL-shaped body for an error answered outside GraphQL execution:
    ``{"errors": [{"message": …, "extensions": {"code": …}}]}``.

    ``null_data`` puts ``"data": null`` first, as the authentication refusals always have
    (clients may read it; the key order is kept so the bytes stay the same).
    """
    error = {"message": message, "extensions": {"code": code.value}}
    if null_data:
        return {"data": None, "errors": [error]}
    return {"errors": [error]}
