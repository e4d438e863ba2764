"""How an HTTP exchange that went wrong becomes a :mod:`connectors.errors` exception.

The one place both connector families (SOAP in :mod:`connectors.soap`, JSON in
:mod:`connectors.http`) turn an unsuccessful HTTP status or a transport failure into the shared
error tree:

- connection refused / reset / broken body -> :class:`SystemUnavailable`
- a socket timeout of the session -> :class:`SystemTimeout`
- HTTP 502, 503, 504 -> :class:`SystemUnavailable` (the breaker counts them)
- HTTP 401, 403 -> :class:`RemoteFault` with code ``unauthorized`` / ``forbidden``
- HTTP 404 -> :class:`NotFound`
- any other status -> :class:`RemoteFault` carrying the remote code (a problem document's
  ``code``) or ``http_<status>``

A family reads only the statuses it trusts (a SOAP 404 or 403 says nothing about an object, and
a SOAP 500 usually carries a Fault that says more), and an operation may give a status its own
:class:`RemoteFault` subclass (409 on a write is an idempotency conflict): both are data passed
in, never another copy of this mapping. Messages name the status and the remote code only,
never a URL or a body (they may hold personal data).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import aiohttp

from connectors.errors import (
    ConnectorError,
    NotFound,
    RemoteFault,
    SystemTimeout,
    SystemUnavailable,
)

__all__ = [
    "HTTP_STATUSES",
    "SOAP_STATUSES",
    "TRANSPORT_ERRORS",
    "StatusRule",
    "status_error",
    "transport_error",
]

# What a request raises when it gets no answer: callers catch these and call transport_error.
TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (aiohttp.ClientError, OSError)


@dataclass(frozen=True)
class StatusRule:
    """What one HTTP status means: the error to raise, its message and its ``code``.

    ``code`` is only used for :class:`RemoteFault` subclasses (the other errors carry none).
    """

    error: type[ConnectorError]
    message: str
    code: str | None = None


def _unavailable(status: int) -> StatusRule:
    return StatusRule(SystemUnavailable, f"HTTP {status}")


# Statuses with a meaning of their own; every other unsuccessful status is a RemoteFault.
HTTP_STATUSES: Mapping[int, StatusRule] = {
    401: StatusRule(RemoteFault, "HTTP 401: credentials refused", "unauthorized"),
    403: StatusRule(RemoteFault, "HTTP 403: access denied", "forbidden"),
    404: StatusRule(NotFound, "HTTP 404"),
    502: _unavailable(502),
    503: _unavailable(503),
    504: _unavailable(504),
}

# SOAP decides on the status alone only where no SOAP Fault can be behind it: credentials
# refused in front of the service, and a proxy saying the service is not there. A SOAP 404 is a
# wrong endpoint (not a missing object) and a 403/500 page may carry a Fault, so those are read.
SOAP_STATUSES: Mapping[int, StatusRule] = {
    status: HTTP_STATUSES[status] for status in (401, 502, 503, 504)
}


def status_error(
    status: int,
    *,
    system: str,
    operation: str,
    code: str | None = None,
    statuses: Mapping[int, StatusRule] = HTTP_STATUSES,
    overrides: Mapping[int, type[RemoteFault]] | None = None,
) -> ConnectorError:
    """The error for an unsuccessful ``status`` of ``system.operation``.

    ``code`` is the remote error code when the answer has one. ``statuses`` is the family's
    reading of statuses (:data:`HTTP_STATUSES` or :data:`SOAP_STATUSES`); ``overrides`` picks the
    :class:`RemoteFault` subclass for specific statuses of one operation (e.g. 422 ->
    :class:`~connectors.errors.Rejected` for a write) and wins over ``statuses``.
    """
    context: dict[str, str] = {"system": system, "operation": operation}
    if overrides and status in overrides:
        rule = StatusRule(overrides[status], _labelled(status, code), code or f"http_{status}")
    else:
        rule = statuses.get(status) or StatusRule(
            RemoteFault, _labelled(status, code), code or f"http_{status}"
        )
    if issubclass(rule.error, RemoteFault):
        return rule.error(rule.message, code=rule.code, **context)
    return rule.error(rule.message, **context)


def transport_error(exc: BaseException, *, system: str, operation: str) -> ConnectorError:
    """The error for a request that got no HTTP answer (``aiohttp.ClientError``/``OSError``).

    Only the exception's class name goes into the message: its text can hold the URL.
    """
    name = type(exc).__name__
    if isinstance(exc, TimeoutError):
        # aiohttp's own socket timeouts (ServerTimeoutError) are timeouts, not outages.
        return SystemTimeout(f"timed out ({name})", system=system, operation=operation)
    return SystemUnavailable(f"transport failure ({name})", system=system, operation=operation)


def _labelled(status: int, code: str | None) -> str:
    return f"HTTP {status} ({code})" if code else f"HTTP {status}"
