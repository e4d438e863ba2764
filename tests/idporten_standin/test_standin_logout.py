"""End-session and front-channel logout."""

from __future__ import annotations

import re
from html import unescape

SECRET_CLIENT = "rp-secret"
JWT_CLIENT = "rp-jwt"


async def _logged_in_to_both(stack) -> dict:
    _, verifier, query = await stack.login(SECRET_CLIENT)
    _, body = await stack.redeem(query["code"], verifier)
    params, verifier2 = stack.auth_params(JWT_CLIENT)
    second = await stack.authorize(params)  # joins the SSO session
    status, _ = await stack.token_with_assertion(stack.redirect_query(second)["code"], verifier2)
    assert status == 200
    return body


async def test_endsession_calls_every_frontchannel_uri_and_returns_with_state(stack) -> None:
    body = await _logged_in_to_both(stack)
    _, claims = await stack.verify(body["id_token"])
    post_logout = f"{stack.rp}/{SECRET_CLIENT}/"
    params = {
        "id_token_hint": body["id_token"],
        "post_logout_redirect_uri": post_logout,
        "state": "bye-123",
    }
    async with stack.http.get(
        f"{stack.issuer}/endsession", params=params, allow_redirects=False
    ) as response:
        assert response.status == 200
        html = await response.text()

    # Server-side calls reached both clients with iss and sid.
    assert sorted(call["client"] for call in stack.frontchannel_calls) == [
        JWT_CLIENT,
        SECRET_CLIENT,
    ]
    for call in stack.frontchannel_calls:
        assert call["iss"] == stack.issuer
        assert call["sid"] == claims["sid"]
    # The page holds the same calls as iframes and continues to the client with state.
    frames = [
        unescape(src) for src in re.findall(r"<iframe class='frontchannel' src='([^']*)'", html)
    ]
    assert len(frames) == 2
    assert all(f"sid={claims['sid']}" in frame for frame in frames)
    (redirect,) = re.findall(r"data-redirect='([^']*)'", html)
    assert unescape(redirect) == f"{post_logout}?state=bye-123"

    # The SSO session is gone: the next authorization asks again.
    params, _ = stack.auth_params()
    assert (await stack.authorize(params)).status == 200


async def test_endsession_without_participant_frontchannel_redirects(stack) -> None:
    stack.config.server_side_frontchannel = True
    # Log in, then log out with a cookie-less client: the sid from id_token_hint finds the session.
    _, verifier, query = await stack.login()
    _, body = await stack.redeem(query["code"], verifier)
    stack.http.cookie_jar.clear()
    params = {
        "id_token_hint": body["id_token"],
        "post_logout_redirect_uri": f"{stack.rp}/{SECRET_CLIENT}/",
        "state": "s1",
    }
    async with stack.http.get(
        f"{stack.issuer}/endsession", params=params, allow_redirects=False
    ) as response:
        assert response.status == 200
    assert [call["client"] for call in stack.frontchannel_calls] == [SECRET_CLIENT]
    # A second logout finds no session: nothing to call, straight redirect with state.
    async with stack.http.get(
        f"{stack.issuer}/endsession", params=params, allow_redirects=False
    ) as response:
        assert response.status == 302
        assert response.headers["Location"] == f"{stack.rp}/{SECRET_CLIENT}/?state=s1"
    assert len(stack.frontchannel_calls) == 1


async def test_unregistered_post_logout_redirect_uri_is_not_followed(stack) -> None:
    _, verifier, query = await stack.login()
    _, body = await stack.redeem(query["code"], verifier)
    params = {"id_token_hint": body["id_token"], "post_logout_redirect_uri": "http://127.0.0.1:9/x"}
    async with stack.http.get(
        f"{stack.issuer}/endsession", params=params, allow_redirects=False
    ) as response:
        assert response.status == 400
        assert "Location" not in response.headers
    assert stack.frontchannel_calls == []


async def test_forged_id_token_hint_is_rejected(stack) -> None:
    params = {
        "id_token_hint": stack.client_assertion(),
        "post_logout_redirect_uri": f"{stack.rp}/x",
    }
    async with stack.http.get(
        f"{stack.issuer}/endsession", params=params, allow_redirects=False
    ) as response:
        assert response.status == 400
        assert "Location" not in response.headers
