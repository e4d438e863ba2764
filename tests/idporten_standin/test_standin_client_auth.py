"""Client authentication at the token endpoint: secret basic/post and private_key_jwt."""

from __future__ import annotations

from joserfc.jwk import RSAKey

SECRET_CLIENT = "rp-secret"
JWT_CLIENT = "rp-jwt"
SECRET = "s3cret-for-tests"


def _code_request(stack, query: dict, verifier: str, client_id: str = SECRET_CLIENT) -> dict:
    return {
        "grant_type": "authorization_code",
        "code": query["code"],
        "redirect_uri": stack.redirect_uri(client_id),
        "code_verifier": verifier,
    }


async def test_client_secret_post(stack) -> None:
    _, verifier, query = await stack.login()
    data = {
        **_code_request(stack, query, verifier),
        "client_id": SECRET_CLIENT,
        "client_secret": SECRET,
    }
    status, body = await stack.token(data)
    assert status == 200, body
    assert body["access_token"]


async def test_wrong_client_secret_is_invalid_client(stack) -> None:
    _, verifier, query = await stack.login()
    status, body = await stack.token(
        _code_request(stack, query, verifier), stack.basic(SECRET_CLIENT, "wrong")
    )
    assert status == 401
    assert body["error"] == "invalid_client"


async def test_private_key_jwt(stack) -> None:
    _, verifier, query = await stack.login(JWT_CLIENT)
    status, body = await stack.token_with_assertion(query["code"], verifier)
    assert status == 200, body
    _, claims = await stack.verify(body["access_token"])
    assert claims["client_id"] == JWT_CLIENT
    _, id_claims = await stack.verify(body["id_token"])
    assert id_claims["aud"] == JWT_CLIENT


async def test_private_key_jwt_signed_by_an_unregistered_key_is_rejected(stack) -> None:
    _, verifier, query = await stack.login(JWT_CLIENT)
    stranger = RSAKey.generate_key(2048, auto_kid=True)
    status, body = await stack.token_with_assertion(
        query["code"], verifier, stack.client_assertion(key=stranger)
    )
    assert status in (400, 401)
    assert body["error"] == "invalid_client"


async def test_private_key_jwt_for_another_audience_is_rejected(stack) -> None:
    _, verifier, query = await stack.login(JWT_CLIENT)
    status, body = await stack.token_with_assertion(
        query["code"], verifier, stack.client_assertion(aud="https://idporten.no")
    )
    assert status in (400, 401)
    assert body["error"] == "invalid_client"


async def test_replayed_client_assertion_is_rejected(stack) -> None:
    assertion = stack.client_assertion(jti="the-same-jti")
    _, verifier, query = await stack.login(JWT_CLIENT)
    first, _ = await stack.token_with_assertion(query["code"], verifier, assertion)
    assert first == 200
    _, verifier2, query2 = await stack.login(JWT_CLIENT)
    status, body = await stack.token_with_assertion(query2["code"], verifier2, assertion)
    assert status in (400, 401)
    assert body["error"] == "invalid_client"


async def test_secret_client_cannot_use_private_key_jwt_and_vice_versa(stack) -> None:
    _, verifier, query = await stack.login(JWT_CLIENT)
    status, body = await stack.token(
        {
            **_code_request(stack, query, verifier, JWT_CLIENT),
            "client_id": JWT_CLIENT,
            "client_secret": SECRET,
        }
    )
    assert status in (400, 401)
    assert body["error"] == "invalid_client"
