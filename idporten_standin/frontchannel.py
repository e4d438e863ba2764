"""Front-channel logout (OIDC Front-Channel Logout 1.0) towards participating clients.

ID-porten makes the browser load ``<frontchannel_logout_uri>?iss=<issuer>&sid=<sid>`` in hidden
iframes. The stand-in renders the same iframes and can also make the calls from the server, so
tests and headless clients observe the logout without a browser.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from urllib.parse import urlencode, urlsplit, urlunsplit

import aiohttp

log = logging.getLogger(__name__)


def frontchannel_url(logout_uri: str, issuer: str, sid: str) -> str:
    """The logout URI with ``iss`` and ``sid`` added to its query."""
    parts = urlsplit(logout_uri)
    extra = urlencode({"iss": issuer, "sid": sid})
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


async def call_frontchannel(urls: Sequence[str], timeout_s: float) -> list[bool]:
    """GET every URL (without cookies, like a third-party iframe); True where it answered 2xx.

    A failing client must not block the others' logout, so errors are logged, not raised.
    """
    if not urls:
        return []
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    async with aiohttp.ClientSession(timeout=timeout) as session:

        async def one(url: str) -> bool:
            # log the endpoint only: the query's sid identifies a person's session
            target = urlunsplit(urlsplit(url)._replace(query="", fragment=""))
            try:
                async with session.get(url, allow_redirects=False) as response:
                    await response.read()
                    ok = 200 <= response.status < 300
            except (aiohttp.ClientError, TimeoutError) as exc:
                log.warning("front-channel logout to %s failed: %s", target, type(exc).__name__)
                return False
            if not ok:
                log.warning("front-channel logout to %s answered %s", target, response.status)
            return ok

        return list(await asyncio.gather(*(one(url) for url in urls)))
