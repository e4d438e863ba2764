"""``GET /files/<token>``: stream a case file or an invoice PDF to the viewer it was made for.

The token (see :mod:`kernel.file_links`) is checked to be ours, unexpired and minted for this
very viewer; every refusal — bad, expired, someone else's, or missing at the back-office — is
the same 404, so a link reveals nothing about whether the object exists.

A download served goes into the citizen's access log as a download of its document (a case
file) or invoice (a PDF), by that object's global id.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from auth.middleware import viewer_of
from connectors.errors import ConnectorError, NotFound, SystemTimeout
from connectors.p360.client import P360Client
from connectors.registry import Connectors
from connectors.visma.client import VismaClient
from gateway.rate_limit import DOWNLOAD_COST, RequestCharge
from gateway.state import GatewayState
from kernel.errors import DownloadErrorCode
from kernel.file_links import FileKind, FileLinkError, FileRef
from resolvers.access_recorder import AccessReads
from resolvers.document_visibility import DocumentVisibility
from schema.access_log.reads import PERSONAL_DATA
from schema.relay import global_id
from schema.scopes import FILE_SCOPES

log = logging.getLogger(__name__)

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._ -]+")
_NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def content_disposition(name: str) -> str:
    """An attachment header with an ASCII fallback and the UTF-8 name (RFC 6266)."""
    fallback = _SAFE_NAME.sub("_", name).strip() or "file"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"


def _refusal(
    code: DownloadErrorCode,
    message: str,
    status_code: int,
    headers: dict[str, str],
    **extra: str,
) -> Response:
    # {"error": <code>, <extra>…, "message": …}: the key order clients have always seen.
    body = {"error": code.value, **extra, "message": message}
    return JSONResponse(body, status_code=status_code, headers=headers)


def _not_found() -> Response:
    return _refusal(
        DownloadErrorCode.NOT_FOUND, "No such file, or the link has expired", 404, _NO_STORE
    )


def _failed(error: ConnectorError) -> Response:
    timeout = isinstance(error, SystemTimeout)
    return _refusal(
        DownloadErrorCode.SOURCE_TIMEOUT if timeout else DownloadErrorCode.SOURCE_UNAVAILABLE,
        "The archive or invoice system did not answer; try again shortly",
        504 if timeout else 503,
        {**_NO_STORE, "Retry-After": "30"},
        source=(error.system or "unknown").upper(),
    )


async def _prepend(first: bytes, rest: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    if first:
        yield first
    async for chunk in rest:
        yield chunk


class DownloadEndpoint:
    """ASGI endpoint behind :class:`auth.middleware.ViewerGate` (the viewer is resolved)."""

    def __init__(self, state: GatewayState) -> None:
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self.respond(Request(scope, receive))
        await response(scope, receive, send)

    async def respond(self, request: Request) -> Response:
        viewer = viewer_of(request.scope)
        if viewer is None:
            return _refusal(
                DownloadErrorCode.UNAUTHENTICATED, "Log in to download files", 401, _NO_STORE
            )
        services = self.state.shared()
        try:
            ref = services.file_links.open(request.path_params["token"])
        except FileLinkError:
            return _not_found()
        if ref.viewer_key != services.server_secret.viewer_key(viewer.pid):
            log.info("download refused: link minted for another viewer")
            return _not_found()
        scope = FILE_SCOPES[ref.kind]
        if not viewer.client.allows(scope):
            return _refusal(
                DownloadErrorCode.FORBIDDEN_FOR_CLIENT,
                f"This client may not download this file: it needs the scope {scope.value!r}",
                403,
                _NO_STORE,
                scope=scope.value,
            )
        # The download's cost in the request's budgets (the RateLimitGate around this adds
        # the RateLimit headers, and 429 with Retry-After when refused).
        charge = RequestCharge.of(request.scope)
        decision = await charge.charge(DOWNLOAD_COST) if charge is not None else None
        if decision is not None and decision.refused is not None:
            return _refusal(
                DownloadErrorCode.RATE_LIMITED, decision.error().message, 429, _NO_STORE
            )
        reads = AccessReads()
        try:
            if ref.kind is FileKind.INVOICE_PDF:
                response = await self._invoice_pdf(services.connectors, ref, viewer.pid, reads)
            else:
                response = await self._case_file(
                    services.connectors, services.document_visibility, ref, viewer.pid, reads
                )
            services.access_log.record(viewer, reads)  # buffered: the download never waits
            return response
        except NotFound:
            return _not_found()
        except ConnectorError as error:
            return _failed(error)

    async def _invoice_pdf(
        self, connectors: Connectors, ref: FileRef, pid: str, reads: AccessReads
    ) -> Response:
        # The customer is passed on so the ERP, too, refuses an invoice of someone else.
        stream = await connectors.get(VismaClient).invoice_pdf_stream(ref.ref, customer_pid=pid)
        headers = {**_NO_STORE, "Content-Disposition": content_disposition(ref.name)}
        if stream.content_length is not None:
            headers["Content-Length"] = str(stream.content_length)
        chunks = stream.chunks()
        # Wait for the first bytes before answering: an ERP that stalls or breaks off before
        # sending anything gets a clean 504/503 instead of a 200 with a broken body.
        first = await anext(chunks, b"")
        reads.add(PERSONAL_DATA["Invoice"], global_id("Invoice", ref.ref), download=True)
        return StreamingResponse(
            _prepend(first, chunks), media_type=stream.content_type, headers=headers
        )

    async def _case_file(
        self,
        connectors: Connectors,
        visibility: DocumentVisibility,
        ref: FileRef,
        pid: str,
        reads: AccessReads,
    ) -> Response:
        p360 = connectors.get(P360Client)
        # The link proves it was made for this viewer; ownership is checked again now, since a
        # case's parties or documents may have changed in the archive since the link was made.
        cases, documents = await asyncio.gather(
            p360.cases_for_person(pid), p360.documents_for_person(pid)
        )
        own_cases = {case.case_number for case in cases}
        own_files = {
            file.recno: document.document_number
            for case_number, listed in documents.items()
            if case_number in own_cases
            # Only files the citizen may see: not those of an internal note or exempt entry.
            for document in visibility.visible(listed)
            for file in document.files
        }
        if int(ref.ref) not in own_files:
            log.info("download refused: the file is no longer on one of the viewer's cases")
            return _not_found()
        content = await p360.file_with_content(int(ref.ref))
        document = global_id("Document", own_files[int(ref.ref)])
        reads.add(PERSONAL_DATA["Document"], document, download=True)
        headers = {**_NO_STORE, "Content-Disposition": content_disposition(ref.name)}
        return Response(content.data, media_type=content.content_type, headers=headers)
