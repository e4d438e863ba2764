"""Signing key rotation and key loading."""

from __future__ import annotations

import json

import pytest
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError
from joserfc.jwk import RSAKey

from idporten_standin import SigningKeys, issue_access_token


async def test_rotation_keeps_the_old_kid_published_and_signs_with_the_new(stack) -> None:
    _, verifier, query = await stack.login()
    _, before = await stack.redeem(query["code"], verifier)
    old_header, _ = await stack.verify(before["access_token"])
    old_kid = old_header["kid"]

    async with stack.http.post(f"{stack.issuer}/_admin/rotate-keys") as response:
        assert response.status == 200
        rotated = await response.json()
    new_kid = rotated["kid"]
    assert new_kid != old_kid
    async with stack.http.get(f"{stack.issuer}/jwks") as response:
        kids = [key["kid"] for key in (await response.json())["keys"]]
    assert kids == [new_kid, old_kid]

    # A token from before the rotation still verifies against the published set...
    await stack.verify(before["access_token"])
    await stack.verify(before["id_token"])
    # ...and new tokens are signed with the new key.
    _, verifier, query = await stack.login()
    _, after = await stack.redeem(query["code"], verifier)
    assert (await stack.verify(after["access_token"]))[0]["kid"] == new_kid
    assert (await stack.verify(after["id_token"]))[0]["kid"] == new_kid


async def test_python_rotation_and_retirement(stack) -> None:
    standin = stack.app.state.standin
    first = stack.config.keys.active_kid
    token = issue_access_token(stack.app, stack.pid)
    second = standin.rotate_keys()
    third = standin.rotate_keys()
    assert stack.config.keys.kids == [third, second, first]
    await stack.verify(token)
    standin.rotate_keys()  # the ring keeps two previous keys: the first is now retired
    assert first not in stack.config.keys.kids
    with pytest.raises(InvalidKeyIdError):  # no published key with that kid any more
        await stack.verify(token)


def test_keys_load_from_pem_and_jwks_files(tmp_path) -> None:
    key = RSAKey.generate_key(2048, auto_kid=True)
    pem = tmp_path / "key.pem"
    pem.write_bytes(key.as_pem(private=True))
    from_pem = SigningKeys.from_file(pem)
    assert from_pem.active.as_dict(private=False)["n"] == key.as_dict(private=False)["n"]
    assert from_pem.active_kid  # a kid is derived when the PEM has none

    older = RSAKey.generate_key(2048, auto_kid=True)
    jwks_file = tmp_path / "keys.json"
    jwks_file.write_text(
        json.dumps({"keys": [key.as_dict(private=True), older.as_dict(private=True)]})
    )
    from_jwks = SigningKeys.from_file(jwks_file)
    assert from_jwks.kids == [key.kid, older.kid]
    token = jwt.encode(from_jwks.sign_header(), {"x": 1}, from_jwks.active, ["RS256"])
    assert jwt.decode(token, from_jwks.public_key_set()).claims == {"x": 1}


def test_public_key_file_is_refused(tmp_path) -> None:
    key = RSAKey.generate_key(2048, auto_kid=True)
    path = tmp_path / "public.pem"
    path.write_bytes(key.as_pem(private=False))
    with pytest.raises(ValueError):
        SigningKeys.from_file(path)
