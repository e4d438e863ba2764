"""The gateway's shared HTTP client session, and what to do when a kept-alive connection is stale.

A keep-alive connection is closed by whichever side's idle timeout runs out first. When the
server closes it first (uvicorn, which serves the simulators, and most back-office web servers
close after ~5 s idle), a client that reuses it writes its request into a socket the server has
already closed, and the request fails with ``ServerDisconnectedError`` or a reset
(``ClientOSError``) although the back-office is healthy. Under load that happened dozens of
times a minute and opened breakers. Two measures, both here:

- :func:`open_session` keeps idle connections for :data:`KEEPALIVE_S`, shorter than the
  back-offices' own idle timeout, so the client drops a connection before the server does;
- :func:`send_once_more_if_stale` sends an idempotent read once more, on a new connection, when
  it failed that way before any answer came back. The retry happens inside one attempt of
  :class:`~connectors.resilience.Resilience`, so the breaker never counts the stale socket.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Final, TypeVar

import aiohttp

__all__ = ["KEEPALIVE_S", "STALE_CONNECTION_ERRORS", "open_session", "send_once_more_if_stale"]

T = TypeVar("T")

#: Idle keep-alive of the client's pooled connections, in seconds. The back-offices close idle
#: connections after about 5 s (uvicorn's default, and IIS/nginx defaults are longer); 3 s
#: leaves room for a request that is written just as the client's own timer runs out. Not a
#: setting: it only has to be shorter than every server's, and a shorter one costs only an
#: occasional new TCP connection on loopback or the municipality's network.
KEEPALIVE_S: Final = 3.0

#: What a request that met a connection the server had closed raises. ``ClientConnectorError``
#: (a subclass of ``ClientOSError``) is not among them: failing to connect is an outage.
STALE_CONNECTION_ERRORS: Final[tuple[type[Exception], ...]] = (
    aiohttp.ServerDisconnectedError,
    aiohttp.ClientOSError,
)


def open_session(
    *,
    timeout: aiohttp.ClientTimeout | None = None,
    keepalive_s: float = KEEPALIVE_S,
    limit: int = 100,
) -> aiohttp.ClientSession:
    """The client session every connector shares (created in the app's lifespan).

    Idle connections are kept ``keepalive_s`` (default :data:`KEEPALIVE_S`), shorter than the
    back-offices keep theirs. Use it as an async context manager so the pool is closed.
    """
    connector = aiohttp.TCPConnector(limit=limit, keepalive_timeout=keepalive_s)
    return aiohttp.ClientSession(
        connector=connector,
        timeout=timeout or aiohttp.ClientTimeout(total=30, connect=5),
        raise_for_status=False,
    )


def is_stale_connection(exc: BaseException) -> bool:
    """True for a failure that a closed keep-alive connection explains (not a refused connect)."""
    return isinstance(exc, STALE_CONNECTION_ERRORS) and not isinstance(
        exc, aiohttp.ClientConnectorError
    )


async def send_once_more_if_stale(send: Callable[[], Awaitable[T]], *, idempotent: bool) -> T:
    """``await send()``; an idempotent read that failed on a stale connection goes out once more.

    ``send`` must cover the request up to the response's status line and headers only, so a
    failure inside it means no answer came back. aiohttp drops a connection that failed, so
    the second try gets a new one. This is aiohttp's own rule for GET and the other
    idempotent HTTP methods, applied to the SOAP and JSON reads that go out as POST.
    A write is never sent twice here.
    """
    try:
        return await send()
    except STALE_CONNECTION_ERRORS as exc:
        if not idempotent or not is_stale_connection(exc):
            raise
    return await send()
