"""Shared pieces of the HTTP/JSON simulators (fee/meter register, Visma invoices).

- :func:`problem` renders RFC 9457 problem documents with a machine-readable ``code``;
- :class:`JsonApi` wraps each operation's handler with HTTP Basic auth, the
  :class:`~simulators.admin.SimulatorControl` hooks (call counter, latency, injected errors,
  outage, slow body) and a per-simulator "garble" switch that makes an operation answer with
  malformed JSON, so connectors can be tested against a system that talks nonsense;
- a request log of every path (and query string) the simulator was asked for, so tests can
  prove that no fødselsnummer ever travelled in a URL.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import secrets
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from simulators.admin import SimulatorControl

__all__ = ["GARBLE_MODES", "JsonApi", "ProblemError", "problem", "read_json"]

Handler = Callable[[Request], Awaitable[Response]]

PROBLEM_MEDIA_TYPE = "application/problem+json"
GARBLE_MODES = ("truncated", "not_json", "wrong_shape")
SLOW_BODY_PIECES = 10
REQUEST_LOG_SIZE = 2000


class ProblemError(Exception):
    """Raised by a handler to answer with a problem document."""

    def __init__(self, status: int, code: str, title: str, detail: str | None = None) -> None:
        super().__init__(title)
        self.status = status
        self.code = code
        self.title = title
        self.detail = detail


def problem(status: int, code: str, title: str, detail: str | None = None) -> JSONResponse:
    """An RFC 9457 problem response with a machine-readable ``code``."""
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status, "code": code}
    if detail is not None:
        body["detail"] = detail
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE)


async def read_json(request: Request) -> Any:
    """The request body as JSON, or a 400 problem."""
    raw = await request.body()
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ProblemError(400, "invalid_request", "Request body is not JSON") from None


class JsonApi:
    """Auth, control hooks, garbling and the request log for one JSON simulator."""

    def __init__(
        self,
        control: SimulatorControl,
        *,
        username: str,
        password: str,
        openapi_path: Path,
    ) -> None:
        self.control = control
        self._credentials = f"{username}:{password}".encode()
        self._openapi_path = openapi_path
        self._garbled: dict[str, str] = {}
        self.request_log: deque[str] = deque(maxlen=REQUEST_LOG_SIZE)

    # --- wrapping operations -----------------------------------------------------------------

    def operation(self, name: str, handler: Handler, *, auth: bool = True) -> Handler:
        """``handler`` behind Basic auth (unless ``auth`` is False) and the control hooks,
        counted as ``name``."""

        async def endpoint(request: Request) -> Response:
            response: Response
            if auth and not self._authorized(request):
                response = problem(401, "unauthorized", "Authentication required")
                response.headers["WWW-Authenticate"] = 'Basic realm="simulator"'
                return response
            self.control.record(name)
            outcome = await self.control.apply(name)
            if outcome.result == "outage":
                return Response(status_code=503)
            if outcome.result == "error":
                return problem(500, "internal_error", "Internal server error")
            try:
                response = await handler(request)
            except ProblemError as exc:
                response = problem(exc.status, exc.code, exc.title, exc.detail)
            mode = self._garbled.get(name) or self._garbled.get("*")
            if mode is not None and response.status_code < 300:
                response = _garble(response, mode)
            if outcome.slow_body_ms > 0:
                response = _trickle(response, outcome.slow_body_ms)
            return response

        return endpoint

    def _authorized(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            given = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            return False
        return secrets.compare_digest(given, self._credentials)

    # --- routes every JSON simulator has -----------------------------------------------------

    def common_routes(self) -> list[BaseRoute]:
        """``/healthz``, ``/openapi.yaml`` and the extra admin routes of JSON simulators."""
        return [
            # Open like a load balancer's probe, but subject to injected faults.
            Route("/healthz", self.operation("health", _health, auth=False), methods=["GET"]),
            Route("/openapi.yaml", self._openapi, methods=["GET"]),
        ]

    def reset_route(self, on_state_reset: Callable[[], None] | None = None) -> BaseRoute:
        """``POST /_admin/reset`` that also clears this simulator's own test state.

        Listed before :meth:`SimulatorControl.admin_routes` so it takes precedence: it resets
        the control (counters, faults; with ``?state=true`` the population), the garble switch
        and the request log, and calls ``on_state_reset`` with ``?state=true`` (e.g. to forget
        idempotency keys whose readings the population just dropped).
        """

        async def reset(request: Request) -> Response:
            flag = request.query_params.get("state", "false").lower()
            if flag not in ("true", "false", "1", "0"):
                return problem(400, "invalid_request", "state must be true or false")
            state = flag in ("true", "1")
            self.control.reset(state=state)
            self._garbled.clear()
            self.request_log.clear()
            if state and on_state_reset is not None:
                on_state_reset()
            return JSONResponse({"system": self.control.system, "reset": True, "state": state})

        return Route("/_admin/reset", reset, methods=["POST"])

    def admin_extras(self) -> list[BaseRoute]:
        """``/_admin/garble`` (POST/DELETE) and ``/_admin/requests`` (GET)."""
        return [
            Route("/_admin/garble", self._set_garble, methods=["POST"]),
            Route("/_admin/garble", self._clear_garble, methods=["DELETE"]),
            Route("/_admin/requests", self._requests, methods=["GET"]),
        ]

    def middleware(self) -> Middleware:
        """The request-log middleware, for ``Starlette(middleware=[...])``."""
        return Middleware(RequestLog, log=self.request_log)

    async def _openapi(self, request: Request) -> Response:
        return Response(self._openapi_path.read_bytes(), media_type="application/yaml")

    async def _set_garble(self, request: Request) -> Response:
        try:
            body = await read_json(request)
        except ProblemError as exc:
            return problem(exc.status, exc.code, exc.title)
        operation = body.get("operation") if isinstance(body, dict) else None
        mode = body.get("mode", "truncated") if isinstance(body, dict) else None
        if not isinstance(operation, str) or mode not in GARBLE_MODES:
            return problem(422, "invalid_request", "Need operation and a known mode")
        self._garbled[operation] = mode
        return JSONResponse(self._garbled)

    async def _clear_garble(self, request: Request) -> Response:
        self._garbled.clear()
        return JSONResponse(self._garbled)

    async def _requests(self, request: Request) -> Response:
        return JSONResponse(list(self.request_log))


class RequestLog:
    """ASGI middleware recording the path and query string of every HTTP request."""

    def __init__(self, app: ASGIApp, log: deque[str]) -> None:
        self._app = app
        self._log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            query = scope.get("query_string", b"").decode("latin-1")
            self._log.append(scope["path"] + (f"?{query}" if query else ""))
        await self._app(scope, receive, send)


async def _health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


def _garble(response: Response, mode: str) -> Response:
    """A broken version of a successful answer, keeping its status code.

    ``not_json`` is what a misconfigured proxy sends: an HTML page with status 200;
    ``truncated`` and ``wrong_shape`` keep the content type so only the body gives it away.
    """
    media_type = response.media_type or "application/json"
    if mode == "not_json":
        body = b"<html><body>Proxy error</body></html>"
        media_type = "text/html"
    elif mode == "wrong_shape":
        body = b'{"unexpected": [1, 2, 3]}'
    else:
        body = bytes(response.body)[: max(1, len(response.body) // 2)]
    return Response(body, status_code=response.status_code, media_type=media_type)


def _trickle(response: Response, slow_body_ms: int) -> Response:
    """The same response, its body sent in pieces spread over ``slow_body_ms``."""
    body = bytes(response.body)
    piece = max(1, -(-len(body) // SLOW_BODY_PIECES))
    pause = slow_body_ms / 1000 / SLOW_BODY_PIECES

    async def pieces() -> AsyncIterator[bytes]:
        for start in range(0, len(body), piece):
            await asyncio.sleep(pause)
            yield body[start : start + piece]

    headers = {
        key: value
        for key, value in response.headers.items()
        if key.lower() not in {"content-length", "content-type"}
    }
    return StreamingResponse(
        pieces(),
        status_code=response.status_code,
        headers=headers,
        media_type=response.media_type,
    )
