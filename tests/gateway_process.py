"""``minside serve`` as a child process: for the tests that kill a gateway or run several.

The back office (stand-in and simulators) runs in the test's own process, so it, and the state
the test checks, outlive any gateway. A :class:`GatewayProcess` gets a clean environment (no
``MINSIDE_*`` of the developer's) plus the variables the test gives, and writes its output to
a log file whose text failing assertions show.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import aiohttp

from kernel.settings import PROJECT_ROOT, Settings
from kernel.systems import SYSTEM_NAMES


def backoffice_environment(settings: Settings) -> dict[str, str]:
    """``MINSIDE_*`` variables that point a gateway at the stand-in and simulators that
    `settings` (a wired local stack's) name."""
    env = {f"MINSIDE_{name.upper()}_URL": settings.system(name).url for name in SYSTEM_NAMES}
    env["MINSIDE_IDPORTEN_ISSUER"] = str(settings.idporten_issuer)
    return env


class GatewayProcess:
    """One ``minside serve`` child on `port` (its base URL is :attr:`url`)."""

    def __init__(
        self,
        port: int,
        environment: Mapping[str, str],
        workdir: Path,
        name: str,
        *,
        workers: int = 1,
    ) -> None:
        self.name = name
        self.port = port
        self.environment = dict(environment)
        self.workdir = workdir
        self.workers = workers
        self.log = workdir / f"{name}.log"
        self.url = f"http://127.0.0.1:{port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("MINSIDE_")}
        env.update(
            PYTHONPATH=str(PROJECT_ROOT),
            MINSIDE_PORT=str(port),
            MINSIDE_PUBLIC_URL=self.url,
            MINSIDE_LOG_LEVEL="INFO",
            # The stand-in's tokens carry no audience (a test may give MINSIDE_MODE itself).
            MINSIDE_MODE="development",
        )
        env.update(environment)
        command = [str(Path(sys.executable).with_name("minside")), "serve"]
        if workers != 1:
            command += ["--workers", str(workers)]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                command, env=env, cwd=workdir, stdout=out, stderr=subprocess.STDOUT
            )

    def again(self, name: str) -> GatewayProcess:
        """A new process like this one (same port and settings), e.g. after it was stopped."""
        return GatewayProcess(self.port, self.environment, self.workdir, name, workers=self.workers)

    def output(self) -> str:
        """What the process logged so far."""
        return self.log.read_text(errors="replace")

    async def ready(self, http: aiohttp.ClientSession, within_s: float = 60) -> None:
        """Wait until ``/healthz`` answers (fails with the log if the process ends first)."""
        async with asyncio.timeout(within_s):
            while True:
                assert self.process.poll() is None, self.output()
                try:
                    async with http.get(self.url + "/healthz") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)

    async def stop(self, sig: signal.Signals = signal.SIGTERM, within_s: float = 30) -> int:
        """Send `sig` (if still running) and wait for the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        async with asyncio.timeout(within_s):
            while self.process.poll() is None:  # noqa: ASYNC110 - a child process, no event
                await asyncio.sleep(0.05)
        return self.process.returncode

    def kill(self) -> None:
        """Make sure the process is gone (test teardown)."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
