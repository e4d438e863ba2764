"""CSRF defence for cookie-authenticated requests.

A cross-site HTML form can only send ``application/x-www-form-urlencoded``,
``multipart/form-data`` or ``text/plain``; anything else (``application/json``) needs a CORS
preflight the gateway never grants. Browsers also send ``Origin`` on POSTs, which must then be
this site's own. Bearer-token requests need none of this: the browser never attaches a token.

File uploads (GraphQL multipart requests) must be ``multipart/form-data``, which a cross-site
form *can* send; a cookie-authenticated one must therefore also carry a header a form cannot
set and a cross-site script cannot send without a preflight (``Apollo-Require-Preflight`` or
``X-Requested-With``, as Apollo's CSRF prevention asks), besides passing the Origin check.
"""

from __future__ import annotations

from starlette.requests import Request

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PREFLIGHT_HEADERS = ("apollo-require-preflight", "x-requested-with")


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
    if media_type == "multipart/form-data":
        if not any(request.headers.get(name) for name in PREFLIGHT_HEADERS):
            return (
                "cookie-authenticated uploads need an Apollo-Require-Preflight or "
                "X-Requested-With header"
            )
    elif media_type != "application/json":
        return "cookie-authenticated requests must be sent as application/json"
    return origin_refusal(request, public_origin)
