"""A real-socket test stack: the ID-porten stand-in and the gateway, plus a browser-like client."""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import aiohttp
from starlette.applications import Starlette
from starlette.types import ASGIApp, Receive, Scope, Send

import app as gateway_app
from auth.sessions import InMemorySessionStore
from idporten_standin.app import build_app as build_standin
from idporten_standin.config import StandinConfig
from idporten_standin.persons import builtin_persons
from idporten_standin.spec import gateway_client, standin_config
from idporten_standin.tokens import sign
from kernel.servers import ServerSpec, free_port, running_servers
from kernel.settings import Settings, load_settings
from tests.clocks import FakeClock

VIEWER_QUERY = "{ viewer { levelOfAssurance } }"


class CountingApp:
    """Passes requests through to the stand-in and counts them per path."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.paths: collections.Counter[str] = collections.Counter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.paths[scope["path"]] += 1
        await self.app(scope, receive, send)


@dataclass
class Stack:
    """Both servers, the stand-in's config (to mint tokens) and a cookie-keeping client."""

    settings: Settings
    gateway_url: str
    issuer: str
    standin: StandinConfig
    standin_app: Starlette
    counter: CountingApp
    sessions: InMemorySessionStore
    clock: FakeClock
    http: aiohttp.ClientSession

    @property
    def pid(self) -> str:
        return self.standin.persons[0].pid

    def claims(self, **overrides: Any) -> dict[str, Any]:
        """Access-token claims that pass, with `overrides` (value None removes a claim)."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "client_id": "minside-gateway",
            "pid": self.pid,
            "acr": "idporten-loa-substantial",
            "scope": "openid minside:api",
            "iat": now,
            "exp": now + 300,
            "jti": f"jti-{now}",
        }
        if self.settings.idporten_audience:
            claims["aud"] = self.settings.idporten_audience
        claims.update(overrides)
        return {name: value for name, value in claims.items() if value is not None}

    def token(self, **overrides: Any) -> str:
        """A token signed by the stand-in's active key."""
        return sign(self.standin, self.claims(**overrides), typ="at+jwt")

    async def graphql(
        self,
        query: str = VIEWER_QUERY,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        client: aiohttp.ClientSession | None = None,
    ) -> tuple[int, dict[str, str], Any]:
        """POST /graphql; returns status, headers and the JSON body."""
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        if token is not None:
            all_headers["Authorization"] = f"Bearer {token}"
        async with (client or self.http).post(
            self.gateway_url + "/graphql", json={"query": query}, headers=all_headers
        ) as response:
            return response.status, dict(response.headers), await response.json(content_type=None)

    async def browser_login(
        self,
        client: aiohttp.ClientSession | None = None,
        *,
        login_query: str = "",
        acr: str | None = None,
    ) -> dict[str, str]:
        """Login → ID-porten (automated with login_hint) → callback; returns the visited URLs."""
        return await browser_login(
            client or self.http, f"{self.gateway_url}/auth/login{login_query}", self.pid, acr=acr
        )

    def session_cookie(self, client: aiohttp.ClientSession | None = None) -> str | None:
        """The session id the browser holds (read from its cookie jar)."""
        for cookie in (client or self.http).cookie_jar:
            if cookie.key == self.settings.session_cookie_name:
                return cookie.value
        return None


async def browser_login(
    http: aiohttp.ClientSession, login_url: str, pid: str, *, acr: str | None = None
) -> dict[str, str]:
    """A browser's login: `login_url` (a gateway's /auth/login) → the stand-in, automated
    with ``login_hint`` → the callback it redirects to; returns the URLs visited."""
    async with http.get(login_url, allow_redirects=False) as response:
        assert response.status == 302, await response.text()
        authorize = response.headers["Location"]
    params = {"login_hint": pid}
    if acr:
        params["acr_values"] = acr
    authorize = add_query(authorize, params)
    async with http.get(authorize, allow_redirects=False) as response:
        assert response.status in (302, 303), await response.text()
        callback = response.headers["Location"]
    async with http.get(callback, allow_redirects=False) as response:
        assert response.status == 303, await response.text()
        landing = response.headers["Location"]
    return {"authorize": authorize, "callback": callback, "landing": landing}


class _FormReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append((values.get("method", "get").lower(), values.get("action", ""), {}))
        elif tag == "input" and self.forms and "name" in values:
            self.forms[-1][2][values["name"]] = values.get("value", "")


def page_form(html: str) -> tuple[str, str, dict[str, str]]:
    """The one form of an HTML page: (method, action, fields), as a browser would submit it."""
    reader = _FormReader()
    reader.feed(html)
    (form,) = reader.forms
    return form


async def browser_logout(
    http: aiohttp.ClientSession, gateway_url: str
) -> tuple[aiohttp.ClientResponse, str, str, dict[str, str]]:
    """``POST /auth/logout`` as Min side's page sends it; returns the response (read) and the
    end-session form of the page it answers with: (response, method, action, fields)."""
    async with http.post(
        gateway_url + "/auth/logout", headers={"Origin": gateway_url}, allow_redirects=False
    ) as response:
        html = await response.text()
    method, action, fields = page_form(html) if response.status == 200 else ("", "", {})
    return response, method, action, fields


def add_query(url: str, params: dict[str, str]) -> str:
    """`url` with `params` added to its query string."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    query.update({k: [v] for k, v in params.items()})
    return urlunsplit(parts._replace(query=urlencode(query, doseq=True)))


def query_of(url: str) -> dict[str, str]:
    """The query parameters of a URL (first value each)."""
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def browser() -> aiohttp.ClientSession:
    """A client with a cookie jar that accepts cookies from IP hosts, like a browser would."""
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


@contextlib.asynccontextmanager
async def gateway_stack(
    registration: dict[str, Any] | None = None,
    *,
    auth_clock: FakeClock | None = None,
    **overrides: Any,
) -> AsyncIterator[Stack]:
    """Start the stand-in and the gateway on free ports, wired to each other.

    ``registration`` changes the gateway's client registration at the stand-in; ``overrides``
    are gateway settings. ``auth_clock`` replaces the clock of the gateway's auth (its JWKS and
    discovery caches and its token time checks); start it at ``time.time()``, as tokens carry
    real times.
    """
    gateway_port, standin_port = free_port(), free_port()
    gateway_url = f"http://127.0.0.1:{gateway_port}"
    issuer = f"http://127.0.0.1:{standin_port}"
    settings = load_settings(
        public_url=gateway_url,
        idporten_issuer=issuer,
        idporten_standin_port=standin_port,
        population_size=10,
        **overrides,
    )
    config = standin_config(
        settings,
        issuer=issuer,
        clients=[dataclasses.replace(gateway_client(gateway_url), **(registration or {}))],
        persons=builtin_persons()[:3],
    )
    standin_app = build_standin(config)
    counter = CountingApp(standin_app)
    clock = FakeClock(time.time())  # sessions start now: tokens carry real times
    sessions = InMemorySessionStore(
        idle_timeout_s=settings.session_idle_timeout_s,
        max_lifetime_s=settings.session_max_lifetime_s,
        clock=clock,
    )
    gateway = gateway_app.build_app(settings, session_store=sessions)
    if auth_clock is not None:  # read when the lifespan opens the issuer clients
        gateway.state.gateway.auth.clock = auth_clock
    specs = [
        ServerSpec("idporten-standin", counter, port=standin_port),
        ServerSpec("gateway", gateway, port=gateway_port),
    ]
    async with running_servers(specs), browser() as http:
        yield Stack(
            settings, gateway_url, issuer, config, standin_app, counter, sessions, clock, http
        )
