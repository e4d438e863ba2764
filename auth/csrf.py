"""CSRF defence for cookie-authenticated requests.

A cross-site HTML form can only send ``application/x-www-form-urlencoded``,
``multipart/form-data`` or ``text/plain``; anything else (``application/json``) needs a CORS
preflight the gateway never grants. Browsers also send ``Origin`` on POSTs, which must then be
this site's own. Bearer-token requests need none of this: the browser never attaches a token.
"""

from __future__ import annotations

from starlette.requests import Request

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def origin_refusal(request: Request, public_origin: str) -> str | None:
    """Why the request's ``Origin`` / ``Sec-Fetch-Site`` look cross-site, or ``None`` if fine."""
    origin = request.headers.get("origin")
    if origin is not None and origin.rstrip("/") != public_origin:
        return "cross-site request refused (Origin does not match)"
    if request.headers.get("sec-fetch-site") == "cross-site":
        return "cross-site request refused (Sec-Fetch-Site)"
    return None


def graphql_refusal(request: Request, public_origin: str) -> str | None:
    """Why a cookie-authenticated /graphql request is refused as possible CSRF, or ``None``."""
    if request.method in SAFE_METHODS:
        return None
    content_type = request.headers.get("content-type", "")
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type != "application/json":
        return "cookie-authenticated requests must be sent as application/json"
    return origin_refusal(request, public_origin)
