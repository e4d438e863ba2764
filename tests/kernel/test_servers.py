"""The in-process server runner: free ports, start-up failures, and stopping servers together."""

from __future__ import annotations

import socket

import aiohttp
import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from kernel import servers
from kernel.servers import ServerSpec, free_port, running_servers, start_server, stop_servers


def hello_app() -> Starlette:
    async def hello(request: object) -> PlainTextResponse:
        return PlainTextResponse("hello")

    return Starlette(routes=[Route("/", hello)])


def test_free_ports_lie_below_the_ephemeral_range_and_can_be_bound() -> None:
    for _ in range(20):
        port = free_port()
        assert port < 32_768  # no outgoing connection takes its local port from there
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", port))


async def test_a_port_in_use_is_an_ordinary_error_not_the_end_of_the_process() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(RuntimeError, match=f"127.0.0.1:{port}"):
            await start_server(ServerSpec("busy", hello_app(), port=port))
    # The event loop carries on: another server starts and answers.
    async with (
        running_servers([ServerSpec("next", hello_app())]) as (server,),
        aiohttp.ClientSession() as http,
        http.get(server.url) as response,
    ):
        assert await response.text() == "hello"


async def test_servers_stop_together_and_are_all_gone() -> None:
    async with running_servers([ServerSpec(f"s{i}", hello_app()) for i in range(3)]) as servers:
        urls = [server.url for server in servers]
    assert all(server.task.done() for server in servers)
    async with aiohttp.ClientSession() as http:
        for url in urls:
            with pytest.raises(aiohttp.ClientConnectionError):
                async with http.get(url):
                    pass
    await stop_servers([])  # nothing to stop is fine


def test_parallel_test_workers_pick_from_slices_that_do_not_overlap(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slices = []
    for worker in ("gw0", "gw1", "gw2"):
        monkeypatch.setenv("PYTEST_XDIST_WORKER", worker)
        monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "3")
        picked = servers._picked_ports()
        assert len(picked) > 4000
        assert all(servers.free_port() in picked for _ in range(5))
        slices.append(set(picked))
    assert not (slices[0] & slices[1]) and not (slices[1] & slices[2])
    monkeypatch.delenv("PYTEST_XDIST_WORKER")
    assert servers._picked_ports() == range(20_000, 32_768)  # one process: the whole range
