"""A gateway on a Redis someone else can write to: ID-porten's metadata planted there in clear
(or sealed with another secret) is not trusted; the gateway fetches its own from the issuer.

The planted JWKS holds a key of the attacker's; a bearer token signed with it must stay
invalid, while the stand-in's own tokens keep working.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import AsyncIterator

import pytest
from joserfc import jwt
from redis.asyncio import Redis

from auth.discovery import WELL_KNOWN
from idporten_standin.keys import generate_rsa_key
from tests.auth.stack import Stack, gateway_stack
from tests.services import RedisNamespace


@pytest.fixture
async def stack(redis_namespace: RedisNamespace) -> AsyncIterator[Stack]:
    async with gateway_stack(
        secret_key="planted-metadata-secret-" + "p" * 32,
        redis_url=redis_namespace.url,
        redis_key_prefix=redis_namespace.prefix,
    ) as made:
        yield made


async def test_planted_metadata_is_not_trusted(
    stack: Stack, redis_namespace: RedisNamespace
) -> None:
    foreign = generate_rsa_key()
    planted_jwks = {"keys": [dict(foreign.as_dict(private=False), use="sig", alg="RS256")]}
    planted_discovery = {
        "issuer": stack.issuer,
        "authorization_endpoint": stack.issuer + "/authorize",
        "token_endpoint": stack.issuer + "/planted-token",
        "jwks_uri": stack.issuer + "/planted-jwks",
    }
    digest = hashlib.sha256(stack.issuer.encode()).hexdigest()[:16]
    base = f"{redis_namespace.prefix}idporten:{digest}:"
    client = Redis.from_url(redis_namespace.url)
    try:
        # Before the gateway has fetched anything: what it would read first is the plant.
        await client.set(base + "discovery", json.dumps(planted_discovery), px=600_000)
        await client.set(base + "jwks", json.dumps(planted_jwks), px=600_000)

        forged = jwt.encode(
            {"alg": "RS256", "kid": foreign.kid, "typ": "at+jwt"},
            stack.claims(jti=f"forged-{time.time()}"),
            foreign,
            ["RS256"],
        )
        status, _, body = await stack.graphql(token=forged)
        assert status == 401, body
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

        status, _, body = await stack.graphql(token=stack.token())
        assert status == 200 and body["data"]["viewer"] is not None, body
        assert stack.counter.paths[WELL_KNOWN] >= 1 and stack.counter.paths["/jwks"] >= 1
        assert stack.counter.paths["/planted-jwks"] == 0

        # What the gateway fetched replaced the plant, sealed.
        stored = await client.get(base + "jwks")
        assert stored is not None and foreign.kid is not None
        assert foreign.kid.encode() not in stored and not stored.startswith(b"{")
    finally:
        await client.aclose()
