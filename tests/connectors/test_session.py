"""The shared client session and stale keep-alive connections, over a real socket.

A back-office closes an idle keep-alive connection after its own timeout; a request the
gateway writes into it at that moment gets no answer (``ServerDisconnectedError``). The tiny
HTTP server here does exactly that, deterministically: it answers the first request of each
connection, keeps the connection open, and drops the connection when a second request
arrives on it, like a server whose idle timer fired as the request came in. No test sleeps.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import aiohttp
import pytest
import uvicorn

from connectors.errors import SystemUnavailable
from connectors.http import JsonHttp
from connectors.p360 import P360Client
from connectors.resilience import Resilience, ResiliencePolicy
from connectors.session import KEEPALIVE_S, open_session, send_once_more_if_stale

PING_REPLY = (
    b'<?xml version="1.0" encoding="utf-8"?>'
    b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
    b'<PingResponse xmlns="http://software-innovation.com/SI.Data"/></s:Body></s:Envelope>'
)


@dataclass
class ClosingServer:
    """Answers one request per connection; a second request on it finds the socket closed."""

    url: str = ""
    reply: bytes = PING_REPLY
    content_type: bytes = b"text/xml; charset=utf-8"
    connections: int = 0
    requests: int = 0
    dropped: int = 0
    writers: list[asyncio.StreamWriter] = field(default_factory=list)

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.writers.append(writer)
        answered = False
        try:
            while await self._read_request(reader):
                self.requests += 1
                if answered:
                    self.dropped += 1  # the idle timer won the race: close, answer nothing
                    break
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: %s\r\n"
                    b"Content-Length: %d\r\nConnection: keep-alive\r\n\r\n"
                    % (self.content_type, len(self.reply))
                    + self.reply
                )
                await writer.drain()
                answered = True
        finally:
            writer.close()

    @staticmethod
    async def _read_request(reader: asyncio.StreamReader) -> bool:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            return False
        length = 0
        for line in head.split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        await reader.readexactly(length)
        return True


@pytest.fixture
async def server() -> AsyncIterator[ClosingServer]:
    state = ClosingServer()
    listener = await asyncio.start_server(state.serve, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    state.url = f"http://127.0.0.1:{port}"
    async with listener:
        yield state
        for writer in state.writers:
            writer.close()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with open_session() as client_session:
        yield client_session


def p360(session: aiohttp.ClientSession, url: str, **policy: int) -> tuple[P360Client, Resilience]:
    resilience = Resilience(
        "p360", ResiliencePolicy(retries=0, breaker_failure_threshold=1, **policy)
    )
    return P360Client(session, url + "/SIF", "u", "p", resilience), resilience


def test_client_keepalive_is_shorter_than_the_back_offices() -> None:
    # uvicorn serves the simulators; its idle timeout is the shortest of the back-offices'.
    server_keepalive = uvicorn.Config(app=None).timeout_keep_alive
    assert server_keepalive > KEEPALIVE_S


async def test_open_session_applies_the_keepalive() -> None:
    async with open_session(keepalive_s=1.5) as client_session:
        connector = client_session.connector
        assert isinstance(connector, aiohttp.TCPConnector)
        assert connector._keepalive_timeout == 1.5


async def test_a_read_on_a_stale_connection_goes_out_once_more(
    server: ClosingServer, session: aiohttp.ClientSession
) -> None:
    client, resilience = p360(session, server.url)
    await client.ping()  # opens the connection the pool keeps
    await client.ping()  # meets it closed, goes out again on a new one
    assert (server.requests, server.dropped, server.connections) == (3, 1, 2)
    # Nothing reached the breaker: the back-office never failed.
    snapshot = resilience.snapshot()
    assert snapshot.breaker_state == "closed"
    assert snapshot.last_failure_at is None


async def test_a_write_on_a_stale_connection_is_not_sent_twice(
    server: ClosingServer, session: aiohttp.ClientSession
) -> None:
    client, _ = p360(session, server.url)
    await client.ping()
    with pytest.raises(SystemUnavailable):
        # Ping sent as a write: the stale connection fails it and nothing resends it.
        await client._call("CaseService", "Ping", idempotent=False, parse=lambda r: r)
    assert (server.requests, server.dropped) == (2, 1)


async def test_a_refused_connection_is_not_resent(session: aiohttp.ClientSession) -> None:
    listener = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    listener.close()
    await listener.wait_closed()  # nothing listens there any more: connecting is refused
    calls = 0

    async def refused() -> aiohttp.ClientResponse:
        nonlocal calls
        calls += 1
        return await session.post(f"http://127.0.0.1:{port}/", data=b"")

    with pytest.raises(aiohttp.ClientConnectorError):
        await send_once_more_if_stale(refused, idempotent=True)
    assert calls == 1


@pytest.mark.parametrize(
    "error", [aiohttp.ServerDisconnectedError(), aiohttp.ClientOSError(104, "reset")]
)
async def test_a_second_stale_failure_is_raised(error: Exception) -> None:
    calls = 0

    async def fail() -> None:
        nonlocal calls
        calls += 1
        raise error

    send: Callable[[], Awaitable[None]] = fail
    with pytest.raises(type(error)):
        await send_once_more_if_stale(send, idempotent=True)
    assert calls == 2


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_a_json_read_on_a_stale_connection_goes_out_once_more(
    server: ClosingServer, session: aiohttp.ClientSession, method: str
) -> None:
    # The JSON systems' reads include POSTs (fees' queryProperties, Visma's lookups), which
    # aiohttp itself never resends.
    server.reply, server.content_type = b'{"ok":true}', b"application/json"
    http = JsonHttp(session, server.url, "Basic dTpw", system="fees")
    for _ in range(2):
        answer = await http.request_json("query", method, "/q", body={}, idempotent=True)
        assert answer.body == {"ok": True}
    assert (server.requests, server.dropped, server.connections) == (3, 1, 2)


async def test_a_json_write_on_a_stale_connection_is_not_sent_twice(
    server: ClosingServer, session: aiohttp.ClientSession
) -> None:
    server.reply, server.content_type = b'{"ok":true}', b"application/json"
    http = JsonHttp(session, server.url, "Basic dTpw", system="fees")
    await http.request_json("submit", "POST", "/w", body={})
    with pytest.raises(SystemUnavailable):
        await http.request_json("submit", "POST", "/w", body={})
    assert (server.requests, server.dropped) == (2, 1)
