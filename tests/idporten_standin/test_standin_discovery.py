"""Discovery and JWKS of the stand-in, over HTTP."""

from __future__ import annotations


async def test_discovery_is_shaped_like_idporten(stack) -> None:
    async with stack.http.get(f"{stack.issuer}/.well-known/openid-configuration") as response:
        assert response.status == 200
        meta = await response.json()
    assert meta["issuer"] == stack.issuer
    assert meta["authorization_endpoint"] == f"{stack.issuer}/authorize"
    assert meta["token_endpoint"] == f"{stack.issuer}/token"
    assert meta["jwks_uri"] == f"{stack.issuer}/jwks"
    assert meta["end_session_endpoint"] == f"{stack.issuer}/endsession"
    assert meta["frontchannel_logout_supported"] is True
    assert meta["frontchannel_logout_session_supported"] is True
    assert meta["authorization_response_iss_parameter_supported"] is True
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert meta["acr_values_supported"] == ["idporten-loa-substantial", "idporten-loa-high"]
    assert meta["ui_locales_supported"] == ["nb", "nn", "en", "se"]
    assert set(meta["token_endpoint_auth_methods_supported"]) == {
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
    }
    assert meta["id_token_signing_alg_values_supported"] == ["RS256"]
    assert meta["response_types_supported"] == ["code"]


async def test_jwks_publishes_public_rsa_keys_with_kid(stack) -> None:
    async with stack.http.get(f"{stack.issuer}/jwks") as response:
        assert response.status == 200
        document = await response.json()
    (key,) = document["keys"]
    assert key["kty"] == "RSA"
    assert key["kid"] == stack.config.keys.active_kid
    assert key["alg"] == "RS256"
    assert key["use"] == "sig"
    assert "d" not in key and "p" not in key  # never the private parts
