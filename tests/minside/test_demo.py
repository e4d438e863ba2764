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


def test_demo_stack_answers_and_stops_cleanly(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MINSIDE_")}
    ports = StackPorts.free()
    env.update(stack_environment(ports))
    gateway = ports.urls()["gateway"]
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
        assert set(body["dependencies"]) == {"idporten", *SYSTEM_NAMES, "outbox"}

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
    printed = {"gateway": ports.gateway, "idporten": ports.standin, **ports.systems}
    for name, port in printed.items():
        assert f":{port}" in output, f"{name} not printed"
