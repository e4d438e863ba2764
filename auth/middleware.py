"""Resolves the :class:`Viewer` of each /graphql request, or answers 401/403 itself.

A bearer token, when present, decides alone (RFC 6750 error responses). Otherwise the session
cookie is looked up, after the CSRF checks. No credentials at all is not an error here: the
``viewer`` field itself answers ``UNAUTHENTICATED``, so public fields stay reachable.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from auth import csrf
from auth.errors import (
    AuthError,
    CsrfRefused,
    InsufficientAuthentication,
    InsufficientScope,
    InvalidToken,
    IssuerUnavailable,
    SessionStoreUnavailable,
)
from auth.service import Auth
from auth.viewer import Viewer
from kernel.errors import ErrorCode, error_envelope

log = logging.getLogger(__name__)

VIEWER_SCOPE_KEY = "minside.viewer"
REALM = "minside"
# RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
_BEARER = re.compile(r"Bearer +([A-Za-z0-9\-._~+/]+=*)", re.IGNORECASE)


def viewer_of(scope: Scope) -> Viewer | None:
    """The viewer the gate resolved for this request (``None``: anonymous)."""
    viewer = scope.get(VIEWER_SCOPE_KEY)
    return viewer if isinstance(viewer, Viewer) else None


def bearer_token(header: str) -> str:
    """The token of an ``Authorization: Bearer`` header; InvalidToken for anything else."""
    match = _BEARER.fullmatch(header.strip())
    if match is None:
        raise InvalidToken("Authorization header must be 'Bearer <token>'")
    return match.group(1)


async def resolve_viewer(request: Request, auth: Auth) -> Viewer | None:
    """The viewer for a request; raises :class:`AuthError` when credentials are refused."""
    header = request.headers.get("authorization")
    if header is not None:
        return await auth.validator.validate(bearer_token(header))
    session_id = request.cookies.get(auth.config.cookie_name)
    if not session_id:
        return None
    refusal = csrf.graphql_refusal(request, auth.config.public_origin)
    if refusal is not None:
        raise CsrfRefused(refusal)
    data = await auth.sessions.get(session_id)
    # A browser session is Min side's own: every scope (kernel.partners).
    return replace(data.viewer(), client=auth.clients.own) if data is not None else None


def _quoted(text: str) -> str:
    # A quoted-string may not hold '"' or '\'; our messages never do, but stay safe.
    return '"' + re.sub(r'["\\\x00-\x1f\x7f-\uffff]', "", text) + '"'


def _challenge(error: str, description: str, **extra: str) -> str:
    params = {"realm": REALM, "error": error, "error_description": description, **extra}
    return "Bearer " + ", ".join(f"{name}={_quoted(value)}" for name, value in params.items())


def _body(message: str, code: ErrorCode) -> dict[str, Any]:
    return error_envelope(code, message, null_data=True)


def error_response(error: AuthError) -> JSONResponse:
    """The HTTP answer for a refused request: RFC 6750 challenge, JSON body, never a trace."""
    headers = {"Cache-Control": "no-store"}
    if isinstance(error, InsufficientScope):
        headers["WWW-Authenticate"] = _challenge(
            "insufficient_scope", error.description, scope=error.scope
        )
        return JSONResponse(_body(error.description, ErrorCode.FORBIDDEN), 403, headers)
    if isinstance(error, InsufficientAuthentication):
        # RFC 9470 (step-up): tells the client which acr_values to log in with.
        headers["WWW-Authenticate"] = _challenge(
            "insufficient_user_authentication",
            error.description,
            acr_values=error.required.value,
        )
        return JSONResponse(
            _body(error.description, ErrorCode.INSUFFICIENT_LEVEL_OF_ASSURANCE), 401, headers
        )
    if isinstance(error, InvalidToken):
        headers["WWW-Authenticate"] = _challenge("invalid_token", error.description)
        return JSONResponse(_body(error.description, ErrorCode.UNAUTHENTICATED), 401, headers)
    if isinstance(error, CsrfRefused):
        return JSONResponse(_body(error.description, ErrorCode.CSRF_REFUSED), 403, headers)
    if isinstance(error, SessionStoreUnavailable):
        return JSONResponse(
            _body("sessions are unavailable; try again shortly", ErrorCode.AUTH_UNAVAILABLE),
            503,
            headers | {"Retry-After": "5"},
        )
    if isinstance(error, IssuerUnavailable):
        return JSONResponse(
            _body("ID-porten is unavailable; try again shortly", ErrorCode.AUTH_UNAVAILABLE),
            503,
            headers | {"Retry-After": "5"},
        )
    return JSONResponse(_body("authentication failed", ErrorCode.UNAUTHENTICATED), 401, headers)


class ViewerGate:
    """ASGI wrapper: resolves the viewer into the scope, or answers the refusal itself."""

    def __init__(self, app: ASGIApp, auth: Auth) -> None:
        self.app = app
        self.auth = auth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            viewer = await resolve_viewer(Request(scope), self.auth)
        except AuthError as exc:
            # The description is safe to log: it never holds the token or the person.
            log.info("request refused: %s", exc.description)
            await error_response(exc)(scope, receive, send)
            return
        scope[VIEWER_SCOPE_KEY] = viewer
        await self.app(scope, receive, send)
