"""Run several ASGI apps (gateway, simulators, ID-porten stand-in) on their own ports.

One event loop serves them all, so `minside demo` is one process and tests can start any subset
on free loopback ports with :func:`running_servers`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass

import uvicorn
from starlette.types import ASGIApp
from uvicorn.config import LOGGING_CONFIG

from kernel.logs import logging_configured_as


@dataclass(frozen=True)
class ServerSpec:
    """One ASGI app to serve: a name for messages, the app, and where it listens."""

    name: str
    app: ASGIApp
    host: str = "127.0.0.1"
    port: int = 0  # 0: pick a free port

    def with_port(self, port: int) -> ServerSpec:
        return ServerSpec(self.name, self.app, self.host, port)


@dataclass(frozen=True)
class RunningServer:
    """A started server: its spec (with the real port) and base URL."""

    spec: ServerSpec
    server: _Server
    task: asyncio.Task[None]

    @property
    def url(self) -> str:
        return f"http://{self.spec.host}:{self.spec.port}"


# Ports are picked below the ephemeral range (Linux: 32768-60999, macOS and Windows: 49152 and
# up), where the kernel takes the local port of every outgoing connection: a port picked there
# and released can be taken by any client's connection on the machine before the server
# listens on it, and the server then fails to start. Test suites running side by side make
# thousands of connections, so that happened.
_PICKED_PORTS = range(20_000, 32_768)
_PICK_ATTEMPTS = 200


def _picked_ports() -> range:
    """The ports this process picks from: the whole range, or, when the tests run in several
    pytest-xdist workers (each a process picking ports at the same time), this worker's own
    slice of it, so two workers never pick the same port between a check and a bind."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    count = os.environ.get("PYTEST_XDIST_WORKER_COUNT", "")
    if not (worker.startswith("gw") and worker[2:].isdigit() and count.isdigit()):
        return _PICKED_PORTS
    index, workers = int(worker[2:]), max(1, int(count))
    size = len(_PICKED_PORTS) // workers
    start = _PICKED_PORTS.start + (index % workers) * size
    return range(start, start + size)


def free_port(host: str = "127.0.0.1") -> int:
    """A port that is free on `host` right now (for tests and ad-hoc stacks).

    Chosen at random outside the ephemeral range, so no outgoing connection takes it before
    the server listens on it; if none is found there, one the kernel picks.
    """
    picked = _picked_ports()
    for _ in range(_PICK_ATTEMPTS):
        port = picked.start + secrets.randbelow(len(picked))
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind((host, port))
            except OSError:
                continue  # in use (or closing) here: try another
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        chosen: int = sock.getsockname()[1]
        return chosen


class _Server(uvicorn.Server):
    """A uvicorn server that leaves signal handling to the caller and stops when asked.

    Several servers share one event loop here; :func:`serve_forever` owns SIGINT/SIGTERM.
    """

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._exit_asked = asyncio.Event()

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        # uvicorn ends the process (sys.exit) when it cannot listen or the app's lifespan fails
        # to start. Here several servers share the process and its event loop, and a SystemExit
        # escaping a task would stop that loop; the caller gets an ordinary error instead.
        try:
            await super().startup(sockets)
        except SystemExit as exc:
            where = f"{self.config.host}:{self.config.port}"
            raise RuntimeError(f"server on {where} failed to start (see the log)") from exc

    def ask_to_exit(self) -> None:
        """Begin the graceful shutdown now (see :meth:`main_loop`)."""
        self.should_exit = True
        self._exit_asked.set()

    async def main_loop(self) -> None:
        # uvicorn's own loop sleeps 0.1 s between ticks and only then sees `should_exit`; the
        # tests start and stop a few hundred servers, so this one also wakes when asked to exit.
        # The ticks keep their 0.1 s rhythm (on_tick refreshes the Date header every tenth).
        counter = 0
        while not await self.on_tick(counter):
            counter = (counter + 1) % 864_000
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._exit_asked.wait(), timeout=0.1)


def _config(spec: ServerSpec, log_level: str) -> uvicorn.Config:
    # With JSON logs uvicorn's own records go through the process's handler (one JSON object
    # per line) instead of uvicorn's text handlers.
    json_logs = logging_configured_as() == "json"
    return uvicorn.Config(
        spec.app,
        host=spec.host,
        port=spec.port,
        log_config=None if json_logs else LOGGING_CONFIG,
        log_level=log_level.lower(),
        access_log=False,
        lifespan="on",
        server_header=False,
        timeout_graceful_shutdown=3,
    )


async def start_server(spec: ServerSpec, log_level: str = "WARNING") -> RunningServer:
    """Start one server in the background and return once it accepts connections."""
    if spec.port == 0:
        spec = spec.with_port(free_port(spec.host))
    server = _Server(_config(spec, log_level))
    task = asyncio.create_task(server.serve(), name=f"server:{spec.name}")
    while not server.started:
        if task.done():
            task.result()  # re-raise the start-up failure
            raise RuntimeError(f"{spec.name} stopped during start-up on port {spec.port}")
        await asyncio.sleep(0.01)
    return RunningServer(spec, server, task)


async def stop_server(running: RunningServer) -> None:
    """Stop a server started with :func:`start_server` and wait for it to finish."""
    running.server.ask_to_exit()
    with contextlib.suppress(asyncio.CancelledError):
        await running.task


async def stop_servers(servers: Sequence[RunningServer]) -> None:
    """Stop every server at once and wait for all of them.

    A uvicorn server takes about 0.1 s to close (it gives open connections 0.1 s to finish),
    so stopping one after the other costs 0.1 s per server; together it costs 0.1 s. Every
    server is told to stop before any is awaited, and each is awaited even if another's
    shutdown fails; the first failure is raised afterwards.
    """
    outcomes = await asyncio.gather(
        *(stop_server(running) for running in servers), return_exceptions=True
    )
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome


@contextlib.asynccontextmanager
async def running_servers(
    specs: Sequence[ServerSpec], log_level: str = "WARNING"
) -> AsyncIterator[list[RunningServer]]:
    """Start every spec (in order, so a later one finds the earlier ones ready), yield the
    running servers, and stop them all at once on exit."""
    started: list[RunningServer] = []
    try:
        for spec in specs:
            started.append(await start_server(spec, log_level))
        yield started
    finally:
        await stop_servers(started)


async def serve_forever(specs: Sequence[ServerSpec], log_level: str = "INFO") -> None:
    """Serve every spec until interrupted (Ctrl-C / SIGTERM)."""
    import signal

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with running_servers(specs, log_level):
        await stop.wait()
