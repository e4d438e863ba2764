"""`minside dev-token`, the admin token endpoint and the Python helper."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

import idporten_standin
from idporten_standin import issue_access_token
from kernel.servers import free_port
from minside.commands.dev_token import DevTokenError, request_dev_token

PROJECT_ROOT = Path(idporten_standin.__file__).resolve().parent.parent


async def _run_cli(*args: str) -> tuple[int, str, str]:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "minside.cli",
        "dev-token",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_cli_prints_a_token_the_jwks_verifies(stack) -> None:
    code, out, err = await _run_cli(
        "--pid",
        stack.pid,
        "--acr",
        "idporten-loa-high",
        "--aud",
        "https://api.example",
        "--issuer",
        stack.issuer,
    )
    assert code == 0, err
    header, claims = await stack.verify(out.strip())
    assert header["kid"] == stack.config.keys.active_kid
    assert claims["pid"] == stack.pid
    assert claims["acr"] == "idporten-loa-high"
    assert claims["scope"] == "openid minside:api"
    assert claims["aud"] == "https://api.example"
    assert claims["iss"] == stack.issuer


async def test_cli_refusal_does_not_echo_the_pid(stack) -> None:
    bad_pid = stack.pid[:-1] + str((int(stack.pid[-1]) + 1) % 10)  # wrong check digit
    code, out, err = await _run_cli("--pid", bad_pid, "--issuer", stack.issuer)
    assert code == 1
    assert out == ""
    assert "check digits" in err
    assert bad_pid not in err


async def test_request_dev_token_follows_key_rotation(stack) -> None:
    stack.app.state.standin.rotate_keys()
    token = await request_dev_token(stack.issuer, stack.pid, scope="openid", lifetime_s=30)
    header, claims = await stack.verify(token)
    assert header["kid"] == stack.config.keys.active_kid
    assert "aud" not in claims
    assert claims["exp"] - claims["iat"] == 30


async def test_request_dev_token_without_a_standin_fails_clearly() -> None:
    with pytest.raises(DevTokenError, match="no ID-porten stand-in answered"):
        await request_dev_token(f"http://127.0.0.1:{free_port()}", "14837810141", timeout_s=2)


async def test_admin_token_endpoint_validates_its_input(stack) -> None:
    url = f"{stack.issuer}/_admin/tokens"
    async with stack.http.post(url, json={"pid": stack.pid, "acr": "Level9"}) as response:
        assert response.status == 400
    async with stack.http.post(url, json=[1, 2]) as response:
        assert response.status == 400
    async with stack.http.post(url, json={"pid": stack.pid, "client_id": "nobody"}) as response:
        assert response.status == 400


async def test_issue_access_token_from_config_and_app(stack) -> None:
    from_config = issue_access_token(stack.config, stack.pid, client_id="rp-jwt", aud="x:y")
    _, claims = await stack.verify(from_config)
    assert claims["client_id"] == "rp-jwt" and claims["aud"] == "x:y"
    _, claims = await stack.verify(issue_access_token(stack.app, stack.pid))
    assert claims["client_id"] == "rp-secret"
    with pytest.raises(ValueError):
        issue_access_token(stack.config, "12345678901")
