"""A correlation id per HTTP request: :class:`RequestIdMiddleware`.

Each request gets an id: the caller's ``X-Request-Id`` when it is a sane one (a partner's
proxy or the front end may set it; 8 to 64 letters, digits, ``-``, ``_``, ``.`` or ``:``),
otherwise a new random one. It is set in :data:`kernel.logs.request_id` for the request's
whole handling, so every log line of the request carries it, and it is echoed in the
response's ``X-Request-Id`` header; an internal error's GraphQL error carries it too
(``extensions.requestId``), so a citizen's support case can be matched to the log.

An incoming id is never trusted for anything but correlation, and one that does not match the
pattern (too long, odd characters that could forge a log line) is replaced, not cleaned; so is
one holding a run of 11 digits or what the log redaction takes for a fødselsnummer (also
written ``138180-97953``), which could have been put there to reach the logs
(the log redaction scrubs messages, not the fields of a record).

A server fault that escapes the app (outside GraphQL, which masks its own) is logged here once,
at ERROR with the id, and answered ``500`` with the id in the header and a typed body, instead
of Starlette's outermost error handler doing it without the id.
"""

from __future__ import annotations

import logging
import re
import secrets
from typing import Final

from starlette.datastructures import MutableHeaders
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from auth.redaction import PID
from kernel.errors import ErrorCode, error_envelope
from kernel.logs import request_id

log = logging.getLogger("minside.gateway")

__all__ = ["HEADER", "RequestIdMiddleware", "accepted_request_id", "new_request_id"]

HEADER: Final = "x-request-id"
_SANE: Final = re.compile(r"[A-Za-z0-9._:-]{8,64}")
_ELEVEN_DIGITS: Final = re.compile(r"\d{11}")  # any longer run of digits too


def _may_hold_a_pid(given: str) -> bool:
    # The log redaction's own pattern (also "138180-97953"), plus any run of 11+ digits.
    return bool(_ELEVEN_DIGITS.search(given) or PID.search(given))


def new_request_id() -> str:
    """A fresh random id (128 bits, 32 hex digits)."""
    return secrets.token_hex(16)


def accepted_request_id(given: str | None) -> str:
    """``given`` if it is a sane id (see the module doc), else a new one."""
    if given is not None and _SANE.fullmatch(given) and not _may_hold_a_pid(given):
        return given
    return new_request_id()


class RequestIdMiddleware:
    """ASGI wrapper around the whole app: the request id in a contextvar and in the response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        given = None
        for name, value in scope.get("headers", ()):
            if name == HEADER.encode():
                given = value.decode("latin-1")
                break
        rid = accepted_request_id(given)
        token = request_id.set(rid)
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                MutableHeaders(scope=message)[HEADER] = rid
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            if scope["type"] != "http":
                raise
            # Once, here, with the id (the record's request_id field and the message).
            log.exception("unhandled error in %s (request %s)", scope.get("path", "?"), rid)
            if started:
                return  # the response is under way: the client sees a cut-off answer
            body = error_envelope(
                ErrorCode.INTERNAL, f"Internal error; quote request id {rid}", null_data=True
            )
            body["errors"][0]["extensions"]["requestId"] = rid
            await JSONResponse(body, 500, {HEADER: rid})(scope, receive, send)
        finally:
            request_id.reset(token)
