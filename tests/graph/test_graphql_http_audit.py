"""The graphql-http server audits (the GraphQL over HTTP reference suite) against a real
gateway: no failure and no warning.

It needs Node.js and the npm package ``graphql-http``, which the project does not install:
point ``GRAPHQL_HTTP_AUDIT_MODULES`` at a ``node_modules`` holding it
(``npm install graphql-http graphql``); without it the test is skipped.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path

import pytest

from tests.graph.conftest import GraphClient
from tests.node_modules_path import node_modules

SCRIPT = Path(__file__).with_name("graphql_http_audit.cjs")


# The audit sends full queries with GET, which a gateway does when configured to.
@pytest.mark.gateway(graphql_get_queries="all")
async def test_the_graphql_http_audit_passes(graph: GraphClient) -> None:
    found = node_modules("GRAPHQL_HTTP_AUDIT_MODULES")
    node = shutil.which("node")
    if found is None or node is None or not (found / "graphql-http").is_dir():
        pytest.skip(
            "needs Node.js and npm (make installs tests/node/package.json into .venv/node), "
            "or GRAPHQL_HTTP_AUDIT_MODULES naming a node_modules with graphql-http"
        )
    modules = str(found)
    process = await asyncio.create_subprocess_exec(
        node,
        str(SCRIPT),
        f"{graph.stack.gateway_url}/graphql",
        env={**os.environ, "NODE_PATH": modules},
        stdout=asyncio.subprocess.PIPE,
    )
    stdout, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0
    results = [json.loads(line) for line in stdout.decode().splitlines() if line.strip()]
    assert len(results) > 40
    not_ok = [r for r in results if r["status"] != "ok"]
    print(f"graphql-http audit: {len(results) - len(not_ok)} of {len(results)} ok")
    assert not not_ok, json.dumps(not_ok, indent=1)
