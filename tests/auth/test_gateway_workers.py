"""Two gateway workers on one Redis: a browser session made through one works on the other,
and ending it on either (logout, ID-porten's front-channel logout) ends it on both.

Each worker is a whole ``build_app(settings)`` on its own port (what ``minside serve`` runs N
of behind one port); both have the same settings apart from the port, including
``MINSIDE_REDIS_URL`` and a key prefix of this test's own. The browser keeps cookies per host,
not per port, so it sends its session cookie to both, as it would to one public address.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
import redis.asyncio
from starlette.applications import Starlette
from yarl import URL

import app as gateway_app
from auth.session_redis import RedisSessionStore
from idporten_standin.app import build_app as build_standin
from idporten_standin.persons import builtin_persons
from idporten_standin.spec import gateway_client, standin_config
from kernel.servers import ServerSpec, free_port, running_servers
from kernel.settings import Settings, load_settings
from tests.auth.stack import VIEWER_QUERY, browser, browser_login
from tests.services import RedisNamespace

SECRET_KEY = "two-workers-secret-" + "w" * 32


@dataclass
class Workers:
    urls: list[str]
    apps: list[Starlette]
    issuer: str
    pid: str
    http: aiohttp.ClientSession
    settings: Settings

    async def viewer(self, worker: int) -> Any:
        async with self.http.post(
            self.urls[worker] + "/graphql",
            json={"query": VIEWER_QUERY},
            headers={"Content-Type": "application/json"},
        ) as response:
            return await response.json(content_type=None)

    async def login(self, worker: int) -> None:
        await browser_login(self.http, self.urls[worker] + "/auth/login", self.pid)

    def session_cookie(self) -> str | None:
        for cookie in self.http.cookie_jar:
            if cookie.key == self.settings.session_cookie_name:
                return cookie.value
        return None


def signed_in(body: Any) -> bool:
    return body.get("data") is not None and body["data"]["viewer"] is not None


def refused(body: Any) -> bool:
    return body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.fixture
async def workers(redis_namespace: RedisNamespace) -> AsyncIterator[Workers]:
    standin_port, port_a, port_b = free_port(), free_port(), free_port()
    issuer = f"http://127.0.0.1:{standin_port}"
    urls = [f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_b}"]

    # One public URL (A's) for both, as behind one load balancer: a login started on B comes
    # back to A's callback, so the pending login crosses workers too.
    settings = load_settings(
        public_url=urls[0],
        idporten_issuer=issuer,
        idporten_standin_port=standin_port,
        population_size=10,
        secret_key=SECRET_KEY,
        redis_url=redis_namespace.url,
        redis_key_prefix=redis_namespace.prefix,
    )
    config = standin_config(
        settings,
        issuer=issuer,
        clients=[gateway_client(urls[0])],
        persons=builtin_persons()[:3],
    )
    apps = [gateway_app.build_app(settings) for _ in urls]
    specs = [
        ServerSpec("idporten-standin", build_standin(config), port=standin_port),
        ServerSpec("gateway-a", apps[0], port=port_a),
        ServerSpec("gateway-b", apps[1], port=port_b),
    ]
    async with running_servers(specs), browser() as http:
        yield Workers(urls, apps, issuer, config.persons[0].pid, http, settings)


async def test_a_session_made_on_one_worker_is_valid_on_the_other(workers: Workers) -> None:
    assert all(isinstance(a.state.gateway.auth.sessions, RedisSessionStore) for a in workers.apps)
    assert refused(await workers.viewer(1))
    await workers.login(0)
    assert workers.session_cookie()
    assert signed_in(await workers.viewer(0))
    assert signed_in(await workers.viewer(1))


async def test_logout_on_one_worker_ends_the_session_on_the_other(workers: Workers) -> None:
    await workers.login(0)
    session_id = workers.session_cookie()
    assert session_id and signed_in(await workers.viewer(1))
    async with workers.http.post(
        workers.urls[1] + "/auth/logout",
        headers={"Origin": workers.urls[0]},
        allow_redirects=False,
    ) as response:
        # The end-session form page (the ID token goes by POST, not in a URL).
        assert response.status == 200, await response.text()
    # Whoever kept the old session id gets nowhere on either worker.
    async with browser() as other:
        for url in workers.urls:
            other.cookie_jar.update_cookies(
                {workers.settings.session_cookie_name: session_id},
                response_url=URL(url),
            )
            async with other.post(
                url + "/graphql",
                json={"query": VIEWER_QUERY},
                headers={"Content-Type": "application/json"},
            ) as response:
                assert refused(await response.json(content_type=None))


async def test_front_channel_logout_reaching_one_worker_ends_it_on_both(
    workers: Workers,
) -> None:
    await workers.login(1)
    assert signed_in(await workers.viewer(0))
    # ID-porten calls the front-channel logout URI (worker A's) without the browser's cookie.
    async with workers.http.get(workers.issuer + "/endsession", allow_redirects=False) as r:
        assert r.status in (200, 302)
    assert refused(await workers.viewer(1))
    assert refused(await workers.viewer(0))


async def test_readiness_checks_redis(workers: Workers) -> None:
    async with workers.http.get(workers.urls[1] + "/readyz") as response:
        body = await response.json()
    assert body["dependencies"]["redis"]["status"] == "ok"


async def test_redis_down_is_a_typed_503_not_a_crash_nor_a_logout(workers: Workers) -> None:
    await workers.login(0)
    assert signed_in(await workers.viewer(1))
    sessions = workers.apps[1].state.gateway.auth.sessions
    working = sessions.client
    # Worker B loses Redis (a port where nothing listens): cookie requests are refused with
    # 503 AUTH_UNAVAILABLE and Retry-After, and a new login is not started.
    sessions.client = redis.asyncio.Redis.from_url(f"redis://127.0.0.1:{free_port()}/0")
    try:
        async with workers.http.post(
            workers.urls[1] + "/graphql",
            json={"query": VIEWER_QUERY},
            headers={"Content-Type": "application/json"},
        ) as response:
            assert response.status == 503
            assert response.headers["Retry-After"]
            body = await response.json()
        assert body["errors"][0]["extensions"]["code"] == "AUTH_UNAVAILABLE"
        async with workers.http.get(workers.urls[1] + "/auth/login", allow_redirects=False) as r:
            assert r.status == 503
            assert (await r.json())["errors"][0]["extensions"]["code"] == "AUTH_UNAVAILABLE"
    finally:
        await sessions.client.aclose()
        sessions.client = working
    # Redis back: the session was never lost.
    assert signed_in(await workers.viewer(1))
