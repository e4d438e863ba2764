"""No token, session id, code or fødselsnummer in any log line during a full auth flow."""

from __future__ import annotations

import logging

import pytest

from tests.auth.stack import browser_logout, gateway_stack, query_of

LOGGERS = [
    "",
    "uvicorn",
    "uvicorn.error",
    "uvicorn.access",
    "aiohttp",
    "aiohttp.access",
    "aiohttp.client",
    "aiohttp.server",
    "authlib",
    "joserfc",
    "strawberry",
    "starlette",
    "asyncio",
    "auth",
    "idporten_standin",
    "app",
]


async def test_full_flow_logs_no_secrets(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    secrets: dict[str, str] = {}
    async with gateway_stack(log_level="DEBUG") as stack:
        # uvicorn configures its loggers when it starts; afterwards make them all visible
        for name in LOGGERS:
            logger = logging.getLogger(name)
            # uvicorn.access stays as kernel.servers configures it (off: URLs carry codes and
            # the stand-in's login_hint); propagating it would switch access logging back on.
            if name and name != "uvicorn.access":
                monkeypatch.setattr(logger, "propagate", True)
            monkeypatch.setattr(logger, "disabled", False)
            caplog.set_level(logging.DEBUG, logger=name)
        logging.getLogger("auth").debug("capture check")

        secrets["pid"] = stack.pid
        bearer = stack.token()
        secrets["access token"] = bearer
        status, _, _ = await stack.graphql(token=bearer)
        assert status == 200
        status, _, _ = await stack.graphql(token=bearer[:-6] + "AAAAAA")
        assert status == 401

        urls = await stack.browser_login()
        callback = query_of(urls["callback"])
        secrets["code"] = callback["code"]
        secrets["state"] = callback["state"]
        secrets["nonce"] = query_of(urls["authorize"])["nonce"]
        session_id = stack.session_cookie()
        assert session_id
        secrets["session id"] = session_id
        status, _, _ = await stack.graphql()
        assert status == 200
        _, _, action, fields = await browser_logout(stack.http, stack.gateway_url)
        secrets["id token"] = fields["id_token_hint"]
        async with stack.http.post(action, data=fields, allow_redirects=False) as response:
            assert response.status in (200, 302)

    assert any(r.getMessage() == "capture check" for r in caplog.records)
    assert any(r.name.startswith("auth.") for r in caplog.records)  # we did log things
    lines = [caplog.text] + [
        f"{r.getMessage()} {r.args!r} {r.exc_text or ''}" for r in caplog.records
    ]
    everything = "\n".join(lines)
    for what, value in secrets.items():
        assert value not in everything, f"{what} appears in the logs"
        # parts of a JWT (its payload carries the pid) must not leak either
        for part in value.split(".") if value.count(".") == 2 else []:
            assert part not in everything, f"a segment of the {what} appears in the logs"
