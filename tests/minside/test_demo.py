"""`minside demo` as a newcomer runs it: the whole stack in one process, answering quickly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from kernel.servers import free_port

MINSIDE = Path(sys.executable).parent / "minside"
PORT_VARIABLES = [
    "MINSIDE_PORT",
    "MINSIDE_IDPORTEN_STANDIN_PORT",
    "MINSIDE_MATRIKKEL_SIM_PORT",
    "MINSIDE_FEES_SIM_PORT",
    "MINSIDE_P360_SIM_PORT",
    "MINSIDE_VISMA_SIM_PORT",
]


def get(url: str, *, data: bytes | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_demo_stack_answers_and_stops_cleanly(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MINSIDE_")}
    ports = {name: free_port() for name in PORT_VARIABLES}
    env.update({name: str(port) for name, port in ports.items()})
    gateway = f"http://127.0.0.1:{ports['MINSIDE_PORT']}"
    env["MINSIDE_PUBLIC_URL"] = gateway
    log = (tmp_path / "demo.log").open("w")
    process = subprocess.Popen(
        [str(MINSIDE), "demo"], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path
    )
    try:
        deadline = time.monotonic() + 30  # the bound for a ready demo
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
        assert set(body["dependencies"]) == {
            "idporten",
            "matrikkel",
            "fees",
            "p360",
            "visma",
            "outbox",
        }

        query = json.dumps({"query": "{ externalServices { name url } }"}).encode()
        status, body = get(f"{gateway}/graphql", data=query)
        assert status == 200
        assert {"name": "Min fastlege", "url": "https://www.helsenorge.no/fastlegen/"} in body[
            "data"
        ]["externalServices"]
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            log.close()
    assert process.returncode == 0, (tmp_path / "demo.log").read_text()
    output = (tmp_path / "demo.log").read_text()
    for name, port in ports.items():
        assert f":{port}" in output, f"{name} not printed"
