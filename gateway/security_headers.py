"""Security headers on every response of the gateway: :class:`SecurityHeaders`.

One ASGI middleware around the whole app, so no route can forget them:

- ``Cache-Control: no-store`` on every response of ``/graphql`` and ``/files/*``: any of them
  may carry personal data (an error too: it can name a case or an address), and no browser
  cache or shared proxy may keep it;
- ``X-Content-Type-Options: nosniff`` and ``Referrer-Policy: no-referrer`` everywhere a route
  sets none (Min side's page at ``/`` sets ``same-origin``: under ``no-referrer`` its logout
  form's POST would carry ``Origin: null``, which ``/auth/logout`` refuses; ``gateway.web``);
- a Content-Security-Policy: the strict :data:`API_CSP` (nothing may load, nothing may frame
  it) for everything but the GraphiQL page, which gets :func:`graphiql_csp`: its vendored
  scripts and styles from the gateway itself ('self'), its one inline script by hash, inline
  styles (React sets ``style`` attributes; the page has a ``<style>`` block) and the
  ``data:`` fonts, images and icon its CSS and page use; ``connect-src 'self'`` for the
  queries it sends;
- ``X-Frame-Options: DENY`` beside the CSP's ``frame-ancestors 'none'`` (older browsers).

A route that sets its own Content-Security-Policy keeps it and gets no ``X-Frame-Options``:
``/auth/frontchannel-logout`` is framed by ID-porten on purpose and names its frame ancestors
itself (``auth.bff``).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
from typing import Final

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.http.ides import get_graphql_ide_html

from gateway.graphiql import localized_ide_html

__all__ = ["API_CSP", "NO_STORE_PATHS", "SecurityHeaders", "graphiql_csp", "inline_script_hashes"]

API_CSP: Final = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
GRAPHIQL_PATH: Final = "/graphql"
# Paths (exact, or a prefix ending in "/") whose every response gets Cache-Control: no-store.
NO_STORE_PATHS: Final = ("/graphql", "/files/")

_INLINE_SCRIPT: Final = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def inline_script_hashes(html: str) -> list[str]:
    """CSP source expressions ('sha256-…') of the inline scripts of an HTML page."""
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"
        for body in _INLINE_SCRIPT.findall(html)
    ]


@functools.cache
def graphiql_csp() -> str:
    """The GraphiQL page's policy (see the module doc); its inline script allowed by hash."""
    page = localized_ide_html(get_graphql_ide_html(graphql_ide="graphiql"))
    scripts = " ".join(["'self'", *inline_script_hashes(page)])
    return "; ".join(
        [
            "default-src 'none'",
            f"script-src {scripts}",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        ]
    )


def _no_store(path: str) -> bool:
    return any(
        path.startswith(prefix) if prefix.endswith("/") else path == prefix
        for prefix in NO_STORE_PATHS
    )


class SecurityHeaders:
    """ASGI wrapper: the headers of the module doc on every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if _no_store(path):
                    headers["Cache-Control"] = "no-store"
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "no-referrer")
                if "content-security-policy" not in headers:
                    page = path == GRAPHIQL_PATH and headers.get("content-type", "").startswith(
                        "text/html"
                    )
                    headers["Content-Security-Policy"] = graphiql_csp() if page else API_CSP
                    headers["X-Frame-Options"] = "DENY"
            await send(message)

        await self.app(scope, receive, with_headers)
