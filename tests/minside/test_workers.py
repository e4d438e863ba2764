"""`minside serve --workers N`: N processes on one port, a dead one replaced, a graceful stop
that lets the requests in flight finish, and a clear refusal without shared state."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from kernel.servers import free_port
from minside.cli import main
from tests.gateway_process import GatewayProcess
from tests.graph.submission.helpers import wait_until
from tests.services import RedisNamespace


def test_more_than_one_worker_without_redis_is_refused_with_the_reason(capsys):
    assert main(["serve", "--workers", "2"]) == 2
    message = capsys.readouterr().err
    assert "MINSIDE_REDIS_URL" in message
    assert "logged out" in message  # why: sessions would live in one worker's memory


def children(pid: int) -> set[int]:
    """The child processes of `pid` (Linux /proc), the multiprocessing helper left out."""
    found = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
            if b"resource_tracker" not in cmdline:
                found.add(int(child))
    return found


def alive(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists()


async def slow_issuer(delay_s: float) -> tuple[web.AppRunner, str]:
    """An issuer whose discovery document takes `delay_s`: a request to /readyz in flight."""

    async def discovery(request: web.Request) -> web.Response:
        await asyncio.sleep(delay_s)
        return web.json_response({"issuer": "unused"})

    app = web.Application()
    app.router.add_get("/.well-known/openid-configuration", discovery)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, f"http://127.0.0.1:{port}"


async def test_two_workers_on_one_port_are_replaced_when_killed_and_stop_gracefully(
    tmp_path: Path, redis_namespace: RedisNamespace
) -> None:
    runner, issuer = await slow_issuer(2.0)
    gateway = GatewayProcess(
        free_port(),
        {
            "MINSIDE_REDIS_URL": redis_namespace.url,
            "MINSIDE_REDIS_KEY_PREFIX": redis_namespace.prefix,
            "MINSIDE_IDPORTEN_ISSUER": issuer,
            "MINSIDE_READINESS_TIMEOUT_S": "10",
            "MINSIDE_OUTBOX_URL": f"sqlite:///{tmp_path / 'outbox.sqlite3'}",
        },
        tmp_path,
        "workers",
        workers=2,
    )
    try:
        async with aiohttp.ClientSession() as http:
            await gateway.ready(http)

            async def two_workers() -> set[int] | None:
                found = children(gateway.process.pid)
                return found if len(found) == 2 else None

            first = await wait_until(two_workers)
            for _ in range(10):
                async with http.get(gateway.url + "/healthz") as response:
                    assert response.status == 200

            # A worker that dies is replaced; the port keeps answering.
            victim = min(first)
            os.kill(victim, signal.SIGKILL)

            async def replaced() -> set[int] | None:
                found = children(gateway.process.pid)
                return found if len(found) == 2 and victim not in found else None

            second = await wait_until(replaced, within_s=30)
            assert second & first == first - {victim}
            await gateway.ready(http)
            assert "exited with -9" in gateway.output()

            # SIGTERM while a request is in flight: it is answered whole, then all exit 0.
            in_flight = asyncio.create_task(http.get(gateway.url + "/readyz"))
            await asyncio.sleep(0.5)
            gateway.process.send_signal(signal.SIGTERM)
            response = await in_flight
            body = await response.json()
            assert response.status == 503  # the slow issuer is no real one: a complete answer
            assert "idporten" in body["dependencies"]
            assert await gateway.stop() == 0, gateway.output()
            assert not any(alive(pid) for pid in second)
    finally:
        gateway.kill()
        await runner.cleanup()


@pytest.mark.parametrize("workers", ["0", "-1"])
def test_a_worker_count_below_one_is_refused(capsys, workers):
    assert main(["serve", "--workers", workers]) == 2
    assert "at least 1" in capsys.readouterr().err
