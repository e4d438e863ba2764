"""JSON (and binary) over HTTP with aiohttp, for the REST-style connectors (fees, Visma).

:class:`JsonHttp` knows one back-office base URL and its HTTP Basic credentials, sends a request
on the injected :class:`aiohttp.ClientSession` and turns every way it can go wrong into the
:mod:`connectors.errors` tree (the mapping of statuses and transport failures is
:mod:`connectors.failures`), so the connectors above it only deal with shapes of the payload:
an unsuccessful status carries the problem document's ``code``, and a body that is not JSON is
a :class:`MalformedResponse`.

It does not retry and sets no deadline on a call: each call is meant to run inside
:meth:`connectors.resilience.Resilience.call`, which owns deadlines and retries. Only a streamed
body, which outlives that call, gets its own deadline between chunks. Messages name
the status and the problem code only, never the URL or a body (they may hold personal data).
Every request carries the W3C ``traceparent`` of the active span
(:func:`connectors.observe.with_trace_headers`).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import TracebackType
from typing import Any

import aiohttp
from multidict import CIMultiDictProxy

from connectors.errors import (
    MalformedResponse,
    RemoteFault,
    SystemTimeout,
    SystemUnavailable,
)
from connectors.failures import TRANSPORT_ERRORS, status_error, transport_error
from connectors.observe import with_trace_headers
from connectors.session import send_once_more_if_stale

__all__ = ["BinaryStream", "JsonHttp", "JsonResponse", "problem_code"]

STREAM_CHUNK_BYTES = 64 * 1024


@dataclass(frozen=True)
class JsonResponse:
    """A successful JSON answer: status (2xx), parsed body and response headers."""

    status: int
    body: Any
    headers: Mapping[str, str]


def problem_code(body: bytes) -> str | None:
    """The ``code`` member of an RFC 9457 problem document, or None if there is none."""
    try:
        parsed = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    if isinstance(parsed, dict):
        code = parsed.get("code")
        if isinstance(code, str) and code:
            return code
    return None


class BinaryStream:
    """An open binary response (e.g. a PDF): its content type, length and its chunks.

    The response stays open until the chunks are consumed or :meth:`aclose` is called; use it
    as an async context manager or hand :meth:`chunks` to a streaming HTTP response.
    """

    def __init__(
        self,
        response: aiohttp.ClientResponse,
        *,
        system: str,
        operation: str,
        chunk_timeout_s: float | None = None,
    ) -> None:
        self._response = response
        self._system = system
        self._operation = operation
        self._chunk_timeout_s = chunk_timeout_s
        self.content_type: str = response.content_type
        self.content_length: int | None = response.content_length

    async def chunks(self) -> AsyncIterator[bytes]:
        """Yield the body in chunks; releases the connection when done or abandoned.

        A backend that stalls for longer than ``chunk_timeout_s`` between two chunks raises
        :class:`SystemTimeout`; one that breaks off raises :class:`SystemUnavailable`.
        """
        try:
            while True:
                async with asyncio.timeout(self._chunk_timeout_s):
                    chunk = await self._response.content.read(STREAM_CHUNK_BYTES)
                if not chunk:
                    return
                yield chunk
        except TimeoutError as exc:
            raise SystemTimeout(
                "body stalled", system=self._system, operation=self._operation
            ) from exc
        except aiohttp.ClientError as exc:
            raise SystemUnavailable(
                f"body broke off ({type(exc).__name__})",
                system=self._system,
                operation=self._operation,
            ) from exc
        finally:
            self._response.release()

    async def read(self) -> bytes:
        """The whole body (convenience for small files)."""
        return b"".join([chunk async for chunk in self.chunks()])

    async def aclose(self) -> None:
        """Give the connection back without reading the rest of the body."""
        self._response.close()

    async def __aenter__(self) -> BinaryStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


class JsonHttp:
    """Requests against one HTTP/JSON back-office system, errors mapped to the shared tree.

    ``authorization`` is the ready ``Authorization`` header value, as for
    :meth:`connectors.soap.SoapService.call`: the connector owns its credentials.
    """

    def __init__(
        self, session: aiohttp.ClientSession, base_url: str, authorization: str, *, system: str
    ) -> None:
        self._session = session
        self._base_url = base_url.rstrip("/")
        self._authorization = authorization
        self.system = system

    def url(self, path: str) -> str:
        """Absolute URL of ``path`` (which starts with ``/``) under the base URL."""
        return self._base_url + path

    async def request_json(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        fault_types: Mapping[int, type[RemoteFault]] | None = None,
        idempotent: bool = False,
    ) -> JsonResponse:
        """Send ``body`` as JSON (if given) and return the parsed 2xx JSON answer.

        ``idempotent`` (a read, also one sent as POST) lets a request that met a keep-alive
        connection the server had already closed go out once more on a fresh one
        (:func:`connectors.session.send_once_more_if_stale`); a write is sent once.

        JSON numbers with a fraction are parsed as :class:`~decimal.Decimal` so money stays
        exact even if a back-office sends numbers instead of decimal strings. ``fault_types``
        picks the :class:`RemoteFault` subclass for specific statuses (e.g. 422 ->
        :class:`~connectors.errors.Rejected` for a write).
        """
        data = None if body is None else json.dumps(body, separators=(",", ":")).encode()
        send_headers = {"Accept": "application/json", "Authorization": self._authorization}
        if data is not None:
            send_headers["Content-Type"] = "application/json"
        if headers:
            send_headers.update(headers)
        with_trace_headers(send_headers)

        def send() -> Awaitable[aiohttp.ClientResponse]:
            return self._session.request(method, self.url(path), data=data, headers=send_headers)

        try:
            async with await send_once_more_if_stale(send, idempotent=idempotent) as response:
                raw = await response.read()
                self.raise_for_status(operation, response.status, raw, fault_types)
                status = response.status
                response_headers = _plain_headers(response.headers)
        except TRANSPORT_ERRORS as exc:
            raise transport_error(exc, system=self.system, operation=operation) from exc
        try:
            parsed = json.loads(raw, parse_float=Decimal)
        except (ValueError, UnicodeDecodeError) as exc:
            raise MalformedResponse(
                f"HTTP {status} body is not JSON", system=self.system, operation=operation
            ) from exc
        return JsonResponse(status, parsed, response_headers)

    async def open_binary(
        self,
        operation: str,
        path: str,
        *,
        accept: str,
        headers: Mapping[str, str] | None = None,
        chunk_timeout_s: float | None = None,
    ) -> BinaryStream:
        """GET ``path`` and return the open 2xx response as a :class:`BinaryStream`.

        Only the status line and headers are awaited here (so this fits in a deadline); the
        body is streamed by the caller.
        """
        send_headers = {"Accept": accept, "Authorization": self._authorization}
        if headers:
            send_headers.update(headers)
        with_trace_headers(send_headers)

        def send() -> Awaitable[aiohttp.ClientResponse]:
            return self._session.get(self.url(path), headers=send_headers)

        try:
            # A download is a read: once more if the kept-alive connection had gone stale.
            response = await send_once_more_if_stale(send, idempotent=True)
        except TRANSPORT_ERRORS as exc:
            raise transport_error(exc, system=self.system, operation=operation) from exc
        if response.status >= 300:
            try:
                raw = await response.read()
            except aiohttp.ClientError:
                raw = b""
            finally:
                response.release()
            self.raise_for_status(operation, response.status, raw)
        return BinaryStream(
            response, system=self.system, operation=operation, chunk_timeout_s=chunk_timeout_s
        )

    def raise_for_status(
        self,
        operation: str,
        status: int,
        body: bytes,
        fault_types: Mapping[int, type[RemoteFault]] | None = None,
    ) -> None:
        """Raise the connector error for a non-2xx ``status``; return for 2xx.

        ``fault_types`` are the operation's own readings of statuses
        (see :func:`connectors.failures.status_error`).
        """
        if 200 <= status < 300:
            return
        raise status_error(
            status,
            system=self.system,
            operation=operation,
            code=problem_code(body),
            overrides=fault_types,
        )


def _plain_headers(headers: CIMultiDictProxy[str]) -> dict[str, str]:
    # Lower-cased keys so callers can look headers up without a case-insensitive mapping.
    return {key.lower(): value for key, value in headers.items()}
