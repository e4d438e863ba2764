"""Partner portals at the HTTP edge: CORS for their origins, and their trusted documents.

- :class:`PartnerCors`: a browser page on a partner's origin (``MINSIDE_PARTNERS_FILE``) may call
  ``/graphql`` and ``/files/…`` with a bearer token: preflights from a listed origin are answered
  (Starlette's :class:`~starlette.middleware.cors.CORSMiddleware`), never with
  ``Access-Control-Allow-Credentials``; a request from any other origin gets no CORS header at
  all (a preflight then finds no route: 405). Cookie-authenticated requests from a partner's
  origin stay refused by the CSRF check (:mod:`auth.csrf`), which only bearer requests skip.
- :class:`PartnerDocuments`: a partner with ``trusted_documents`` runs only the documents of its
  manifest (400 ``PERSISTED_QUERY_NOT_ALLOWED`` for any other), checked once the client is known.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from auth.viewer import Viewer
from gateway.http_protocol import RequestRefused
from gateway.persisted_queries import load_trusted_documents, sha256_hex
from gateway.rate_limit import HEADER_NAMES as RATE_LIMIT_HEADERS
from kernel.errors import ErrorCode
from kernel.partners import VARIABLE, PartnerCatalogue
from kernel.settings import SettingsError

__all__ = ["CORS_PATHS", "PartnerCors", "PartnerDocuments"]

# The API a partner's page calls; /auth/* (the browser session) is Min side's own.
CORS_PATHS = ("/graphql", "/files/")
ALLOWED_HEADERS = (
    "Authorization",
    "Content-Type",
    "Accept",
    "Accept-Language",
    "Apollo-Require-Preflight",
    "X-Requested-With",
    "X-Request-Id",
    "traceparent",
    "tracestate",
)
PREFLIGHT_MAX_AGE_S = 600


class PartnerCors:
    """ASGI middleware: CORS for the partners' origins on :data:`CORS_PATHS` only."""

    def __init__(self, app: ASGIApp, origins: Sequence[str]) -> None:
        self.app = app
        self.origins = frozenset(origins)
        self.cors = CORSMiddleware(
            app,
            allow_origins=sorted(self.origins),
            allow_methods=["GET", "POST"],
            allow_headers=list(ALLOWED_HEADERS),
            # Partners call with a bearer token; a browser must never send them our cookies.
            allow_credentials=False,
            # Content-Disposition: the file name of a /files download; the RateLimit headers
            # and Retry-After, so a partner's page can pace itself (gateway.rate_limit).
            expose_headers=[
                "X-Request-Id",
                "WWW-Authenticate",
                "Content-Disposition",
                *RATE_LIMIT_HEADERS,
            ],
            max_age=PREFLIGHT_MAX_AGE_S,
        )

    def _origin(self, scope: Scope) -> str | None:
        for name, value in scope.get("headers", ()):
            if name == b"origin":
                return str(value.decode("latin-1"))
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and str(scope.get("path", "")).startswith(CORS_PATHS)
            and self._origin(scope) in self.origins
        ):
            await self.cors(scope, receive, send)
            return
        await self.app(scope, receive, send)


class PartnerDocuments:
    """The trusted-documents manifests of the partners that have one, by client id."""

    def __init__(self, hashes: dict[str, frozenset[str]]) -> None:
        self._hashes = hashes

    @classmethod
    def load(cls, catalogue: PartnerCatalogue) -> PartnerDocuments:
        """Read each partner's manifest now, so a bad one stops start-up naming the partner."""
        hashes: dict[str, frozenset[str]] = {}
        for partner in catalogue.partners:
            if partner.trusted_documents is None:
                continue
            try:
                documents = load_trusted_documents(partner.trusted_documents)
            except SettingsError as exc:
                raise SettingsError(
                    f"{VARIABLE}: partner {partner.client_id!r}: trusted_documents: {exc}"
                ) from exc
            # By the SHA-256 of each text, whatever hash the manifest is keyed by (Relay: MD5).
            hashes[partner.client_id] = frozenset(documents.by_sha256)
        return cls(hashes)

    def check(self, viewer: Viewer | None, query: str | None) -> None:
        """Raise :class:`RequestRefused` if the viewer's partner may not run `query`."""
        if viewer is None or query is None:
            return
        allowed = self._hashes.get(viewer.client.client_id)
        if allowed is not None and viewer.client.is_partner and sha256_hex(query) not in allowed:
            raise RequestRefused(
                400,
                "this client runs only the documents of its trusted documents manifest; "
                "this one is not in it",
                ErrorCode.PERSISTED_QUERY_NOT_ALLOWED,
            )
