"""`minside demo` as a newcomer runs it: the whole stack in one process, answering quickly."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import aiohttp
import pytest

from idporten_standin import standin_spec
from kernel.servers import free_port, running_servers
from kernel.settings import Settings
from kernel.systems import SYSTEM_NAMES
from minside.stack import StackPorts, stack_environment

MINSIDE = Path(sys.executable).parent / "minside"


def get(url: str, *, data: bytes | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def stop(process: subprocess.Popen[bytes]) -> None:
    """End the demo with SIGTERM (as a service manager would); killed if still running
    after 15 s."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_demo_stack_answers_and_stops_cleanly(tmp_path):
    ports = StackPorts.free()
    env = demo_environment(ports)
    gateway = ports.urls()["gateway"]
    log = (tmp_path / "demo.log").open("w")
    process = subprocess.Popen(
        [str(MINSIDE), "demo"], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path
    )
    try:
        deadline = time.monotonic() + 30  # the issue's bound for a ready demo
        status, body = 0, {}
        while time.monotonic() < deadline:
            try:
                status, body = get(f"{gateway}/readyz")
            except (urllib.error.URLError, ConnectionError):
                status = 0
            if status == 200:
                break
            assert process.poll() is None, (tmp_path / "demo.log").read_text()
            time.sleep(0.2)
        assert status == 200, body
        assert set(body["dependencies"]) == {"idporten", *SYSTEM_NAMES, "outbox"}

        query = json.dumps({"query": "{ externalServices { name url } }"}).encode()
        status, body = get(f"{gateway}/graphql", data=query)
        assert status == 200
        assert {"name": "Min fastlege", "url": "https://www.helsenorge.no/fastlegen/"} in body[
            "data"
        ]["externalServices"]
    finally:
        try:
            stop(process)
        finally:
            log.close()
    assert process.returncode == 0, (tmp_path / "demo.log").read_text()
    output = (tmp_path / "demo.log").read_text()
    printed = {"gateway": ports.gateway, "idporten": ports.standin, **ports.systems}
    for name, port in printed.items():
        assert f":{port}" in output, f"{name} not printed"
    assert f"{'Min side (web page)':<22} {gateway}/" in output  # the page a newcomer opens


def demo_environment(ports: StackPorts, **variables: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MINSIDE_")}
    env.update(stack_environment(ports))
    env.update(variables)
    return env


async def test_demo_logs_in_at_the_issuer_it_is_given(tmp_path):
    """MINSIDE_IDPORTEN_ISSUER naming another provider: the demo starts no stand-in and the
    gateway logs in there (another stand-in here, as test.idporten.no would be)."""
    ports = StackPorts.free()
    gateway = ports.urls()["gateway"]
    other_port = free_port()
    other = f"http://127.0.0.1:{other_port}"
    provider = standin_spec(
        Settings(idporten_standin_port=other_port, public_url=gateway, population_size=10)
    )
    env = demo_environment(ports, MINSIDE_IDPORTEN_ISSUER=other)
    log_path = tmp_path / "demo.log"
    async with running_servers([provider]), aiohttp.ClientSession() as http:
        with log_path.open("w") as log:
            process = subprocess.Popen(  # noqa: ASYNC220 - only forks and execs
                [str(MINSIDE), "demo"], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path
            )
        try:
            body = await ready(http, gateway, process, log_path)
            # Readiness asks the given issuer; the stand-in's own port stays closed.
            assert body["dependencies"]["idporten"]["status"] == "ok"
            with pytest.raises(aiohttp.ClientConnectionError):
                await http.get(ports.urls()["idporten"] + "/.well-known/openid-configuration")
            async with http.get(gateway + "/auth/login", allow_redirects=False) as response:
                assert response.status == 302
                assert response.headers["Location"].startswith(other + "/authorize?")
        finally:
            stop(process)
    output = log_path.read_text()
    assert f"{other} (MINSIDE_IDPORTEN_ISSUER; no stand-in)" in output
    assert f":{ports.standin}" not in output


async def ready(
    http: aiohttp.ClientSession, gateway: str, process: subprocess.Popen[bytes], log: Path
) -> dict:
    """/readyz's body once it answers 200 (fails with the log if the demo ends first)."""
    async with asyncio.timeout(30):
        while True:
            assert process.poll() is None, log.read_text()  # noqa: ASYNC240 - on failure
            try:
                async with http.get(gateway + "/readyz") as response:
                    if response.status == 200:
                        return await response.json()
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)


def test_demo_refuses_client_settings_its_stand_in_does_not_know(tmp_path):
    env = demo_environment(StackPorts.free(), MINSIDE_IDPORTEN_CLIENT_ID="registered-elsewhere")
    result = subprocess.run(
        [str(MINSIDE), "demo"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "MINSIDE_IDPORTEN_CLIENT_ID would not log in there" in result.stderr
    assert "set MINSIDE_IDPORTEN_ISSUER to the provider" in result.stderr
    assert "Traceback" not in result.stderr
