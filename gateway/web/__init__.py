"""Min side itself: the reference citizen web page at ``/`` (``MINSIDE_WEB_PAGE``).

A static shell (:func:`page_html`), one script and one style sheet, all served by the gateway
(no CDN: the page works on a network without internet), and the page's GraphQL documents
(``minside.graphql``; :func:`page_documents`), which ``trusted-documents.json`` lists as a
trusted-documents manifest for a gateway run with ``MINSIDE_PERSISTED_QUERIES=trusted-only``.
The script is a small client of the public API only — the BFF login and its session cookie,
``application/json`` POSTs and the ``Apollo-Require-Preflight`` header for uploads
(``auth.csrf``), automatic persisted queries and ``@defer`` — exactly what a municipality's
own frontend would use; it gets no shortcut.

The page's Content-Security-Policy is its own, as narrow as the page allows: scripts, styles,
images and fetches from the gateway only ('self'; no inline script or style), and forms may
post to the gateway and to the ID-porten issuer (logout is a form POST to ``/auth/logout``,
which sends the browser on to the issuer's end-session endpoint).
"""

from __future__ import annotations

import hashlib
import json
from html import escape
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    Node,
    OperationDefinitionNode,
    Visitor,
    parse,
    print_ast,
    visit,
)
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

__all__ = [
    "ASSETS_PATH",
    "DOCUMENTS_FILE",
    "LANGUAGES",
    "STATIC_DIR",
    "TRUSTED_DOCUMENTS_FILE",
    "page_csp",
    "page_documents",
    "page_html",
    "trusted_documents",
    "web_routes",
    "write_trusted_documents",
]

HERE: Final = Path(__file__).resolve().parent
STATIC_DIR: Final = HERE / "static"
DOCUMENTS_FILE: Final = HERE / "minside.graphql"
TRUSTED_DOCUMENTS_FILE: Final = HERE / "trusted-documents.json"
ASSETS_PATH: Final = "/minside-assets"
LANGUAGES: Final = ("nb", "nn", "en")

_NOSCRIPT: Final = {
    "nb": "Min side trenger JavaScript. Slå det på i nettleseren, eller bruk API-et direkte.",
    "nn": "Mi side treng JavaScript. Slå det på i nettlesaren, eller bruk API-et direkte.",
    "en": "Min side needs JavaScript. Turn it on in your browser, or use the API directly.",
}
_LOADING: Final = {"nb": "Laster …", "nn": "Lastar …", "en": "Loading …"}


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def page_csp(issuer: str) -> str:
    """The page's policy: everything from the gateway itself, forms also to the issuer."""
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "connect-src 'self'",
            "base-uri 'none'",
            f"form-action 'self' {_origin(issuer)}",
            "frame-ancestors 'none'",
        ]
    )


def page_html(lang: str) -> str:
    """The shell: landmarks, the four section headings' places and the assets."""
    lang = lang if lang in LANGUAGES else "nb"
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<title>Min side</title><link rel="icon" href="data:,">'
        f'<link rel="stylesheet" href="{ASSETS_PATH}/minside.css">'
        f'<script src="{ASSETS_PATH}/minside.js" defer></script>'
        "</head><body>"
        '<div id="app"><main id="main">'
        f'<h1>Min side</h1><p role="status">{escape(_LOADING[lang])}</p>'
        f"<noscript><p>{escape(_NOSCRIPT[lang])}</p></noscript>"
        "</main></div></body></html>"
    )


class _Spreads(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []

    def enter_fragment_spread(self, node: FragmentSpreadNode, *_: object) -> None:
        self.names.append(node.name.value)


def _fragments_used(node: Node, fragments: dict[str, FragmentDefinitionNode]) -> list[str]:
    """The fragments `node` spreads, directly or through others, in order of first use."""
    used: list[str] = []
    pending = [node]
    while pending:
        spreads = _Spreads()
        visit(pending.pop(0), spreads)
        for name in spreads.names:
            if name not in used:
                used.append(name)
                pending.append(fragments[name])
    return used


def page_documents(source: str | None = None) -> dict[str, str]:
    """Each operation of ``minside.graphql`` (or `source`) as the page sends it: the operation
    and the fragments it uses, by operation name."""
    document: DocumentNode = parse(source if source is not None else DOCUMENTS_FILE.read_text())
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    texts: dict[str, str] = {}
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode) and definition.name is not None:
            parts = [definition, *(fragments[n] for n in _fragments_used(definition, fragments))]
            texts[definition.name.value] = "\n\n".join(print_ast(part) for part in parts)
    return texts


def trusted_documents() -> dict[str, str]:
    """The page's documents as a trusted-documents manifest: ``{"<sha256 hex>": text}``."""
    return {hashlib.sha256(text.encode()).hexdigest(): text for text in page_documents().values()}


def write_trusted_documents(path: Path = TRUSTED_DOCUMENTS_FILE) -> None:
    """Write :func:`trusted_documents` to `path` (``trusted-documents.json`` beside this)."""
    path.write_text(json.dumps(trusted_documents(), indent=2, sort_keys=True) + "\n")


def web_routes(issuer: str) -> list[BaseRoute]:
    """``/`` (the shell, ``?lang=nb|nn|en``), ``/minside-assets/documents.json`` (the page's
    GraphQL documents by name) and ``/minside-assets/*`` (script and styles)."""
    csp = page_csp(issuer)
    documents = page_documents()  # read and parsed now: a broken file stops the app

    async def documents_json(request: Request) -> Response:
        return JSONResponse(documents, headers={"Cache-Control": "no-cache"})

    async def page(request: Request) -> Response:
        html = page_html(request.query_params.get("lang", "nb"))
        # The shell holds no personal data; it is revalidated so a new release shows at once.
        headers = {
            "Content-Security-Policy": csp,
            "X-Frame-Options": "DENY",
            "Cache-Control": "no-cache",
            # Not the gateway's no-referrer: under it a browser sends "Origin: null" with the
            # logout form's POST, which /auth/logout's CSRF check refuses. Same-origin
            # requests carry the page's address; other sites still get nothing.
            "Referrer-Policy": "same-origin",
        }
        return HTMLResponse(html, headers=headers)

    return [
        Route("/", page, methods=["GET"]),
        Route(f"{ASSETS_PATH}/documents.json", documents_json, methods=["GET"]),
        Mount(ASSETS_PATH, app=StaticFiles(directory=STATIC_DIR), name="minside-assets"),
    ]
