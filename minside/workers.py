"""Run the gateway as N worker processes on one port: what ``minside serve --workers N`` does.

The parent binds the listening socket once and starts N child processes (``spawn``: each a
fresh interpreter with its own event loop) that all accept on it; the kernel spreads new
connections over them. Each child builds the app from the same settings (the environment) and
serves it with uvicorn. The parent only supervises:

- a child that dies unexpectedly is started again in its place (a crash loop, a child dying
  before it was ready to serve :data:`MAX_QUICK_CRASHES` times in a row, stops everything with
  an error instead: a broken configuration, say an unreachable database, must not spin);
- SIGTERM or SIGINT to the parent is passed on as SIGTERM to every child, which then stops
  graceful-ly: it stops accepting, lets the requests in flight finish (up to
  ``MINSIDE_SHUTDOWN_GRACE_S``), then runs the app's shutdown, where the delivery worker gives
  the records it holds back to the outbox (released leases) before the stores close. A child
  still alive ``KILL_AFTER_S`` past the grace period is killed; its leases then expire.

With ``MINSIDE_METRICS_PORT`` set, worker *i* serves ``/metrics`` on that port + *i*, so
Prometheus scrapes each worker on a port of its own (their numbers are per process).

More than one worker needs state that every worker sees: browser sessions, the read cache and
ID-porten's metadata in Redis (``MINSIDE_REDIS_URL``). :func:`check_workers` refuses the
in-process default with the reason. The outbox may stay on the SQLite file (its transactions
are safe between processes of one host), but a deployment of several hosts needs PostgreSQL
(``MINSIDE_DATABASE_URL``).
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import socket
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess
from multiprocessing.synchronize import Event as EventType
from typing import Final

import uvicorn

from kernel.logs import configure_logging
from kernel.server_secret import ServerSecret
from kernel.settings import Settings, SettingsError, load_settings

__all__ = ["check_workers", "run_worker", "serve_workers"]

log = logging.getLogger("minside.workers")

HANDLED_SIGNALS: Final = (signal.SIGINT, signal.SIGTERM)
MAX_QUICK_CRASHES: Final = 3
KILL_AFTER_S: Final = 10.0


def check_workers(settings: Settings, workers: int) -> None:
    """Raise :class:`SettingsError` when `workers` processes cannot share this configuration."""
    if workers < 1:
        raise SettingsError("--workers must be at least 1")
    if workers > 1 and settings.redis_url is None:
        raise SettingsError(
            f"{workers} workers need MINSIDE_REDIS_URL: without it browser sessions, the read "
            "cache and ID-porten's keys live in each process's memory, so a citizen logged in "
            "on one worker would be logged out on the next request another worker answers "
            "(and logout would not reach the others). Set MINSIDE_REDIS_URL, or run one worker."
        )


def _uvicorn_config(settings: Settings) -> uvicorn.Config:
    from app import build_app  # the app is assembled here, in the process that serves it

    return uvicorn.Config(
        build_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        log_config=None,  # keep the gateway's own log set-up (configure_logging)
        access_log=False,
        lifespan="on",
        server_header=False,
        timeout_graceful_shutdown=max(1, round(settings.shutdown_grace_s)),
    )


class _WorkerServer(uvicorn.Server):
    """uvicorn's server, but a SIGTERM/SIGINT that stopped it gracefully ends the process with
    status 0 (uvicorn raises the signal again after its shutdown, making the exit -15: a
    supervisor or an orchestrator would read a clean stop as a crash), and `ready` is set once
    the app's start-up has finished and the server accepts connections."""

    def __init__(self, config: uvicorn.Config, ready: EventType | None = None) -> None:
        super().__init__(config)
        self.ready = ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if not self.should_exit and self.ready is not None:
            self.ready.set()

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in HANDLED_SIGNALS}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def run_worker(sockets: list[socket.socket] | None = None, ready: EventType | None = None) -> None:
    """Serve the gateway in this process until SIGTERM/SIGINT (then shut down gracefully).

    Without `sockets`, uvicorn binds ``MINSIDE_HOST:MINSIDE_PORT`` itself (one worker).
    """
    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format, settings.service_name)
    _WorkerServer(_uvicorn_config(settings), ready).run(sockets=sockets)


def _child_main(
    environment: Mapping[str, str], sockets: list[socket.socket], ready: EventType
) -> None:
    os.environ.update(environment)
    run_worker(sockets, ready)


def _bind(settings: Settings) -> socket.socket:
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((settings.host, settings.port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


@dataclass
class _Slot:
    """Worker number `index`: its process and how often it died quickly in a row."""

    index: int
    process: BaseProcess | None = None
    ready: EventType | None = None  # set by the child once it serves
    started_at: float = 0.0
    quick_crashes: int = 0
    environment: dict[str, str] = field(default_factory=dict)


class Supervisor:
    """Starts, restarts and stops the worker processes (see the module docstring)."""

    def __init__(self, settings: Settings, workers: int) -> None:
        check_workers(settings, workers)
        self.settings = settings
        self.stopping = False
        self._context = multiprocessing.get_context("spawn")
        self._slots = [_Slot(index) for index in range(workers)]
        for slot in self._slots:
            if settings.metrics_port is not None:
                slot.environment["MINSIDE_METRICS_PORT"] = str(settings.metrics_port + slot.index)
        self._socket: socket.socket | None = None

    def _start(self, slot: _Slot) -> None:
        assert self._socket is not None
        ready = self._context.Event()
        process = self._context.Process(
            target=_child_main,
            args=(slot.environment, [self._socket], ready),
            name=f"minside-worker-{slot.index}",
        )
        process.start()
        slot.process, slot.ready, slot.started_at = process, ready, time.monotonic()
        log.info("worker %d started (pid %s)", slot.index, process.pid)

    def _ask_to_stop(self, signum: int, _frame: object) -> None:
        self.stopping = True

    def run(self) -> int:
        """Serve until SIGTERM/SIGINT; 0 after a clean stop, 1 after a crash loop."""
        if self.settings.secret_key is None:
            # Every worker must hold the same secret (sessions and cached reads are encrypted
            # with keys derived from it): the generated file is made once, here, before them.
            ServerSecret.from_settings(self.settings)
            log.warning(
                "MINSIDE_SECRET_KEY is not set: the workers share the secret generated in "
                "var/secret_key, which holds for one host only; replicas on several hosts "
                "need the same MINSIDE_SECRET_KEY"
            )
        self._socket = _bind(self.settings)
        previous = {
            sig: signal.signal(sig, self._ask_to_stop) for sig in (signal.SIGTERM, signal.SIGINT)
        }
        status = 0
        try:
            for slot in self._slots:
                self._start(slot)
            while not self.stopping:
                sentinels = [s.process.sentinel for s in self._slots if s.process is not None]
                wait(sentinels, timeout=0.5)
                if not self.stopping and not self._replace_dead():
                    status = 1
                    break
        finally:
            self._stop_all()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self._socket.close()
        return status

    def _replace_dead(self) -> bool:
        """Start again each worker that died; False when one keeps dying at start-up."""
        for slot in self._slots:
            process = slot.process
            if process is None or process.is_alive():
                continue
            lived = time.monotonic() - slot.started_at
            served = slot.ready is not None and slot.ready.is_set()
            slot.quick_crashes = 0 if served else slot.quick_crashes + 1
            log.error(
                "worker %d (pid %s) exited with %s after %.1f s%s",
                slot.index,
                process.pid,
                process.exitcode,
                lived,
                "" if served else ", before it was ready to serve",
            )
            if slot.quick_crashes >= MAX_QUICK_CRASHES:
                log.error("worker %d keeps dying at start-up; stopping the gateway", slot.index)
                return False
            self._start(slot)
        return True

    def _stop_all(self) -> None:
        alive = [s.process for s in self._slots if s.process is not None and s.process.is_alive()]
        for process in alive:
            if process.pid is not None:
                os.kill(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + self.settings.shutdown_grace_s + KILL_AFTER_S
        for process in alive:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                log.error("worker %s did not stop in time; killing it", process.name)
                process.kill()
                process.join()


def serve_workers(settings: Settings, workers: int) -> int:
    """Serve the gateway with `workers` processes (1: in this process, no supervisor)."""
    check_workers(settings, workers)
    if workers == 1:
        run_worker()
        return 0
    return Supervisor(settings, workers).run()
