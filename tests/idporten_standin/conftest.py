"""Fixtures for the ID-porten stand-in tests: the provider and a recording client over sockets.

With --import-mode=importlib test modules cannot import helpers, so everything they need hangs
off the `stack` fixture.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from idporten_standin import RegisteredClient, StandinConfig, build_app, builtin_persons
from kernel.servers import ServerSpec, free_port, running_servers

SECRET_CLIENT = "rp-secret"
JWT_CLIENT = "rp-jwt"
SECRET = "s3cret-for-tests"


@dataclass
class Stack:
    """A running stand-in plus a recording relying party."""

    issuer: str
    rp: str
    config: StandinConfig
    app: Starlette
    http: aiohttp.ClientSession
    client_key: RSAKey
    frontchannel_calls: list[dict[str, str]] = field(default_factory=list)

    @property
    def pid(self) -> str:
        return self.config.persons[0].pid

    def redirect_uri(self, client_id: str = SECRET_CLIENT) -> str:
        return f"{self.rp}/{client_id}/callback"

    def auth_params(self, client_id: str = SECRET_CLIENT, **extra: str) -> tuple[dict, str]:
        verifier = secrets.token_urlsafe(48)
        params = {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": self.redirect_uri(client_id),
            "scope": "openid minside:api",
            "state": secrets.token_urlsafe(8),
            "nonce": secrets.token_urlsafe(8),
            "code_challenge": s256(verifier),
            "code_challenge_method": "S256",
        }
        params.update(extra)
        return params, verifier

    async def authorize(self, params: dict) -> aiohttp.ClientResponse:
        async with self.http.get(
            f"{self.issuer}/authorize", params=params, allow_redirects=False
        ) as response:
            await response.read()
            return response

    async def login(self, client_id: str = SECRET_CLIENT, **extra: str) -> tuple[dict, str, dict]:
        """Log in by login_hint; return (authorization params, verifier, redirect query)."""
        extra.setdefault("login_hint", self.pid)
        params, verifier = self.auth_params(client_id, **extra)
        response = await self.authorize(params)
        assert response.status == 302, await response.text()
        return params, verifier, redirect_query(response)

    async def token(self, data: dict, headers: dict | None = None) -> tuple[int, dict]:
        async with self.http.post(
            f"{self.issuer}/token", data=data, headers=headers or {}
        ) as response:
            return response.status, await response.json()

    async def redeem(self, code: str, verifier: str, client_id: str = SECRET_CLIENT):
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.redirect_uri(client_id),
            "code_verifier": verifier,
        }
        return await self.token(data, basic(client_id, SECRET))

    def client_assertion(
        self, key: RSAKey | None = None, aud: str | None = None, jti: str | None = None
    ) -> str:
        """A private_key_jwt assertion for the JWT client (RFC 7523)."""
        now = int(time.time())
        claims = {
            "iss": JWT_CLIENT,
            "sub": JWT_CLIENT,
            "aud": aud or self.issuer,
            "iat": now,
            "exp": now + 60,
            "jti": jti or secrets.token_urlsafe(16),
        }
        signing_key = key or self.client_key
        header = {"alg": "RS256", "kid": str(signing_key.kid)}
        return jwt.encode(header, claims, signing_key, ["RS256"])

    async def token_with_assertion(
        self, code: str, verifier: str, assertion: str | None = None
    ) -> tuple[int, dict]:
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.redirect_uri(JWT_CLIENT),
            "code_verifier": verifier,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion or self.client_assertion(),
        }
        return await self.token(data)

    s256 = staticmethod(lambda verifier: s256(verifier))
    basic = staticmethod(lambda client_id, secret: basic(client_id, secret))
    redirect_query = staticmethod(lambda response: redirect_query(response))

    async def jwks(self) -> KeySet:
        async with self.http.get(f"{self.issuer}/jwks") as response:
            return KeySet.import_key_set(await response.json())

    async def verify(self, token: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """Verify `token` against the published JWKS; return (header, claims)."""
        decoded = jwt.decode(token, await self.jwks(), algorithms=["RS256"])
        return dict(decoded.header), dict(decoded.claims)


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def basic(client_id: str, secret: str) -> dict[str, str]:
    raw = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


def redirect_query(response: aiohttp.ClientResponse) -> dict[str, str]:
    location = response.headers["Location"]
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def recording_rp(calls: list[dict[str, str]]) -> Starlette:
    """A relying party that records front-channel logout calls (and nothing else)."""

    async def frontchannel(request: Request) -> PlainTextResponse:
        calls.append({"client": request.path_params["client"], **request.query_params})
        return PlainTextResponse("ok")

    async def anything(request: Request) -> PlainTextResponse:
        return PlainTextResponse("rp")

    return Starlette(
        routes=[
            Route("/{client}/frontchannel-logout", frontchannel),
            Route("/{path:path}", anything),
        ]
    )


@pytest.fixture
async def stack() -> AsyncIterator[Stack]:
    calls: list[dict[str, str]] = []
    rp_port, standin_port = free_port(), free_port()
    rp = f"http://127.0.0.1:{rp_port}"
    issuer = f"http://127.0.0.1:{standin_port}"
    client_key = RSAKey.generate_key(2048, auto_kid=True)

    def registration(client_id: str, **kwargs: Any) -> RegisteredClient:
        return RegisteredClient(
            client_id=client_id,
            redirect_uris=(f"{rp}/{client_id}/callback",),
            post_logout_redirect_uris=(f"{rp}/{client_id}/",),
            frontchannel_logout_uri=f"{rp}/{client_id}/frontchannel-logout",
            scopes=("openid", "profile", "minside:api"),
            **kwargs,
        )

    config = StandinConfig(
        issuer=issuer,
        clients=[
            registration(SECRET_CLIENT, client_secret=SECRET),
            registration(
                JWT_CLIENT,
                jwks=KeySet([client_key]).as_dict(private=False),
                sector="other-sector.example",
            ),
        ],
        persons=builtin_persons(),
    )
    app = build_app(config)
    specs = [
        ServerSpec("rp", recording_rp(calls), port=rp_port),
        ServerSpec("standin", app, port=standin_port),
    ]
    async with (
        running_servers(specs),
        aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http,
    ):
        yield Stack(issuer, rp, config, app, http, client_key, calls)
