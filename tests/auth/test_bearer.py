"""The gateway as resource server: bearer tokens from the stand-in, over real HTTP."""

from __future__ import annotations

import base64
import json
import time

import pytest
from joserfc import jws, jwt
from joserfc.jwk import OctKey, RSAKey

from idporten_standin.tokens import sign
from tests.auth.stack import Stack, gateway_stack
from tests.clocks import FakeClock

AUDIENCE = "https://minside.example.kommune.no/api"


@pytest.fixture
async def stack():
    async with gateway_stack(idporten_audience=AUDIENCE) as running:
        yield running


def _b64(obj: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


async def test_viewer_answers_for_a_valid_token(stack: Stack) -> None:
    status, _, body = await stack.graphql(token=stack.token())
    assert status == 200
    assert body["data"] == {"viewer": {"levelOfAssurance": "SUBSTANTIAL"}} and "errors" not in body
    status, _, body = await stack.graphql(token=stack.token(acr="Level4"))
    assert body["data"] == {"viewer": {"levelOfAssurance": "HIGH"}} and "errors" not in body


async def test_viewer_without_credentials_is_unauthenticated(stack: Stack) -> None:
    status, _, body = await stack.graphql()
    assert status == 200
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    # public fields stay reachable anonymously
    status, _, body = await stack.graphql("{ externalServices { __typename } }")
    assert status == 200 and "errors" not in body


def _rejections(stack: Stack) -> dict[str, str]:
    now = int(time.time())
    active = stack.standin.keys.active_kid
    good = stack.claims()
    public_jwk = json.dumps(stack.standin.keys.active.as_dict(private=False)).encode()
    stranger = RSAKey.generate_key(2048, parameters={"kid": "not-published"})
    valid = stack.token()
    head, payload, signature = valid.split(".")
    forged_payload = _b64(stack.claims(pid="01817700369"))
    return {
        "alg none": _b64({"alg": "none", "kid": active}) + "." + _b64(good) + ".",
        "alg none with signature": _b64({"alg": "none", "kid": active}) + "." + _b64(good) + ".x",
        # the classic key-confusion attack: HMAC with the public key as the secret
        "HS256": jwt.encode(
            {"alg": "HS256", "kid": active}, good, OctKey.import_key(public_jwk), ["HS256"]
        ),
        "unknown key": jwt.encode(
            {"alg": "RS256", "kid": "not-published", "typ": "at+jwt"}, good, stranger, ["RS256"]
        ),
        "known kid, wrong key": jwt.encode(
            {"alg": "RS256", "kid": active, "typ": "at+jwt"}, good, stranger, ["RS256"]
        ),
        "wrong iss": stack.token(iss="https://evil.example"),
        "iss with trailing slash": stack.token(iss=stack.issuer + "/"),
        "wrong aud": stack.token(aud="https://other.example/api"),
        "no aud": stack.token(aud=None),
        "expired": stack.token(iat=now - 900, exp=now - 300),
        "no exp": stack.token(exp=None),
        "exp not a number": stack.token(exp="tomorrow"),
        "nbf in the future": stack.token(nbf=now + 300),
        "iat in the future": stack.token(iat=now + 300),
        "iat just past the skew": stack.token(iat=now + 20),
        # exp still ahead, but issued longer ago than MINSIDE_IDPORTEN_MAX_TOKEN_AGE_S + skew
        "iat older than the max token age": stack.token(iat=now - 3600 - 60, exp=now + 300),
        "no iat": stack.token(iat=None),
        "iat not a number": stack.token(iat="yesterday"),
        "no pid": stack.token(pid=None),
        "empty pid": stack.token(pid=""),
        "no acr": stack.token(acr=None),
        "unknown acr": stack.token(acr="idporten-loa-low"),
        "tampered payload": f"{head}.{forged_payload}.{signature}",
        "tampered signature": f"{head}.{payload}.{signature[:-4]}AAAA",
        "two segments": f"{head}.{payload}",
        "garbage": "not-a-jwt",
        "bad base64 header": f"@@@.{payload}.{signature}",
        "header not an object": f"{_b64([1, 2])}.{payload}.{signature}",
        "payload not json": f"{head}.{_b64('x')[:-2]}zz.{signature}",
        "JWE shaped": "a.b.c.d.e",
        # an ID token (typ JWT) or another kind of JWT presented as an access token
        "typ JWT": sign(stack.standin, good, typ="JWT"),
        "typ dpop+jwt": sign(stack.standin, good, typ="dpop+jwt"),
    }


async def test_every_rejection_is_401_with_a_bearer_challenge(stack: Stack) -> None:
    for name, token in _rejections(stack).items():
        status, headers, body = await stack.graphql(token=token)
        assert status == 401, name
        challenge = headers["WWW-Authenticate"]
        assert challenge.startswith("Bearer "), name
        assert 'error="invalid_token"' in challenge, name
        assert "error_description=" in challenge, name
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", name
        assert "Traceback" not in json.dumps(body), name
        assert stack.pid not in json.dumps(body) + challenge, name


@pytest.mark.parametrize(
    "header", ["Bearer", "Bearer ", "Basic bWluc2lkZTptaW5zaWRl", "Bearer a b", "Token abc"]
)
async def test_malformed_authorization_headers(stack: Stack, header: str) -> None:
    status, headers, _ = await stack.graphql(headers={"Authorization": header})
    assert status == 401
    assert 'error="invalid_token"' in headers["WWW-Authenticate"]


async def test_missing_scope_is_403_insufficient_scope(stack: Stack) -> None:
    status, headers, body = await stack.graphql(token=stack.token(scope="openid profile"))
    assert status == 403
    assert 'error="insufficient_scope"' in headers["WWW-Authenticate"]
    assert 'scope="minside:api"' in headers["WWW-Authenticate"]
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_too_low_acr_is_refused_with_a_step_up_challenge() -> None:
    async with gateway_stack(idporten_minimum_acr="idporten-loa-high") as stack:
        status, headers, body = await stack.graphql(token=stack.token(acr="Level3"))
        assert status == 401
        challenge = headers["WWW-Authenticate"]
        assert 'error="insufficient_user_authentication"' in challenge
        assert 'acr_values="idporten-loa-high"' in challenge
        assert body["errors"][0]["extensions"]["code"] == "INSUFFICIENT_LEVEL_OF_ASSURANCE"
        status, _, body = await stack.graphql(token=stack.token(acr="idporten-loa-high"))
        assert body["data"] == {"viewer": {"levelOfAssurance": "HIGH"}} and "errors" not in body


@pytest.mark.parametrize("typ", [None, "at+jwt", "AT+JWT", "application/at+jwt"])
async def test_access_token_typ_may_be_absent_or_at_jwt(stack: Stack, typ: str | None) -> None:
    # RFC 9068 access tokens say typ at+jwt (media type: case-insensitive, application/ may be
    # written); Digdir documents only kid and alg in the header, so an absent typ passes.
    header = {"alg": "RS256", "kid": stack.standin.keys.active_kid}
    if typ is not None:
        header["typ"] = typ
    payload = json.dumps(stack.claims()).encode()  # jwt.encode would add typ JWT
    token = jws.serialize_compact(header, payload, stack.standin.keys.active, ["RS256"])
    status, _, body = await stack.graphql(token=token)
    assert status == 200, body


async def test_token_age_is_capped_by_iat_even_when_exp_is_later() -> None:
    async with gateway_stack(idporten_max_token_age_s=600) as stack:
        assert stack.settings.idporten_clock_skew_s == 10
        now = int(time.time())
        old = stack.token(iat=now - 600 - 30, exp=now + 3600)
        status, headers, body = await stack.graphql(token=old)
        assert status == 401, body
        assert 'error="invalid_token"' in headers["WWW-Authenticate"]
        young = stack.token(iat=now - 600 + 30, exp=now + 3600)
        assert (await stack.graphql(token=young))[0] == 200


async def test_the_default_max_token_age_leaves_an_hour_old_token_alone(stack: Stack) -> None:
    assert stack.settings.idporten_max_token_age_s == 3600
    now = int(time.time())
    status, _, body = await stack.graphql(token=stack.token(iat=now - 3590, exp=now + 60))
    assert status == 200, body


async def test_skew_tolerates_a_slightly_fast_issuer_clock(stack: Stack) -> None:
    now = int(time.time())
    status, _, _ = await stack.graphql(token=stack.token(iat=now + 3, nbf=now + 3))
    assert status == 200


async def test_rotated_key_is_accepted_after_a_jwks_refresh() -> None:
    async with gateway_stack(idporten_jwks_min_refresh_s=0) as stack:
        assert (await stack.graphql(token=stack.token()))[0] == 200
        assert stack.counter.paths["/jwks"] == 1
        old_key_token = stack.token()
        async with stack.http.post(stack.issuer + "/_admin/rotate-keys") as response:
            assert response.status == 200
        new_key_token = stack.token()
        assert new_key_token.split(".")[0] != old_key_token.split(".")[0]  # another kid
        status, _, body = await stack.graphql(token=new_key_token)
        assert status == 200, body
        assert stack.counter.paths["/jwks"] == 2  # the unknown kid caused exactly one refetch
        assert (await stack.graphql(token=new_key_token))[0] == 200
        assert (await stack.graphql(token=old_key_token))[0] == 200  # old key still published
        assert stack.counter.paths["/jwks"] == 2


async def test_a_rotated_key_is_accepted_on_the_first_try_with_the_flood_guard_on() -> None:
    # The default guard (a kid the issuer did not publish is not asked about again for 60 s)
    # must not make a freshly rotated key wait for it: a few seconds after the last fetch, the
    # first token with the new kid is accepted.
    clock = FakeClock(time.time())
    async with gateway_stack(auth_clock=clock) as stack:
        assert stack.settings.idporten_jwks_min_refresh_s == 60
        assert (await stack.graphql(token=stack.token()))[0] == 200
        assert stack.counter.paths["/jwks"] == 1
        old_key_token = stack.token()
        clock.advance(6)
        async with stack.http.post(stack.issuer + "/_admin/rotate-keys") as response:
            assert response.status == 200
        status, _, body = await stack.graphql(token=stack.token())
        assert status == 200, body
        assert stack.counter.paths["/jwks"] == 2
        assert (await stack.graphql(token=old_key_token))[0] == 200
        assert stack.counter.paths["/jwks"] == 2


async def test_a_flood_of_unknown_kids_does_not_hammer_the_issuer() -> None:
    clock = FakeClock(time.time())
    async with gateway_stack(auth_clock=clock) as stack:
        assert (await stack.graphql(token=stack.token()))[0] == 200
        assert stack.counter.paths["/jwks"] == 1
        good = stack.claims()
        stranger = RSAKey.generate_key(2048)
        forged = [
            jwt.encode(
                {"alg": "RS256", "kid": f"random-{i}", "typ": "at+jwt"}, good, stranger, ["RS256"]
            )
            for i in range(500)
        ]

        async def send_all() -> None:
            for token in forged:
                assert (await stack.graphql(token=token))[0] == 401

        clock.advance(6)
        await send_all()  # the first new kid may look once; the rest wait for the floor
        assert stack.counter.paths["/jwks"] == 2
        clock.advance(6)
        await send_all()  # kids seen before the last look are confirmed by one more
        assert stack.counter.paths["/jwks"] == 3
        clock.advance(6)
        await send_all()  # now every one of them is remembered as unknown: no look
        assert stack.counter.paths["/jwks"] == 3
        assert (await stack.graphql(token=stack.token()))[0] == 200
