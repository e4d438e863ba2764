"""Min side itself: the reference citizen web page at ``/`` (``MINSIDE_WEB_PAGE``).

A static shell (:func:`page_html`), one script and one style sheet, all served by the gateway
(no CDN: the page works on a network without internet). The script is a small client of the
public API only — the BFF login and its session cookie, ``application/json`` POSTs and the
``Apollo-Require-Preflight`` header for uploads (``auth.csrf``), automatic persisted queries
and ``@defer`` — exactly what a municipality's own frontend would use; it gets no shortcut.

The page's Content-Security-Policy is its own, as narrow as the page allows: scripts, styles,
images and fetches from the gateway only ('self'; no inline script or style), and forms may
post to the gateway and to the ID-porten issuer (logout is a form POST to ``/auth/logout``,
which sends the browser on to the issuer's end-session endpoint).
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

__all__ = ["ASSETS_PATH", "LANGUAGES", "STATIC_DIR", "page_csp", "page_html", "web_routes"]

STATIC_DIR: Final = Path(__file__).resolve().parent / "static"
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


def web_routes(issuer: str) -> list[BaseRoute]:
    """``/`` (the shell, ``?lang=nb|nn|en``) and ``/minside-assets/*`` (script and styles)."""
    csp = page_csp(issuer)

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
        Mount(ASSETS_PATH, app=StaticFiles(directory=STATIC_DIR), name="minside-assets"),
    ]
