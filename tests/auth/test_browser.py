"""The backend-for-frontend flow against the stand-in over real HTTP."""

from __future__ import annotations

import json

import pytest
from joserfc.jwk import RSAKey
from yarl import URL

from tests.auth.stack import (
    Stack,
    add_query,
    browser,
    browser_logout,
    gateway_stack,
    query_of,
)


@pytest.fixture
async def stack():
    async with gateway_stack() as running:
        yield running


async def test_login_redirect_carries_pkce_state_nonce(stack: Stack) -> None:
    async with stack.http.get(
        stack.gateway_url + "/auth/login?acr=idporten-loa-high&ui_locales=nn&return_to=//evil",
        allow_redirects=False,
    ) as response:
        assert response.status == 302
        assert response.headers["Cache-Control"] == "no-store"
        location = response.headers["Location"]
        login_cookie = response.cookies["minside_session_login"]
    assert location.startswith(stack.issuer + "/authorize?")
    params = query_of(location)
    assert params["response_type"] == "code"
    assert params["client_id"] == "minside-gateway"
    assert params["redirect_uri"] == stack.gateway_url + "/auth/callback"
    assert params["code_challenge_method"] == "S256"
    assert len(params["code_challenge"]) == 43
    assert len(params["state"]) >= 32 and len(params["nonce"]) >= 32
    assert params["acr_values"] == "idporten-loa-high"
    assert params["ui_locales"] == "nn"
    assert "resource" not in params
    assert login_cookie["httponly"] and login_cookie["samesite"].lower() == "lax"


async def test_whole_browser_flow(stack: Stack) -> None:
    urls = await stack.browser_login(login_query="?return_to=/fakturaer%3Fside%3D2")
    assert urls["landing"] == "/fakturaer?side=2"
    callback = query_of(urls["callback"])
    assert callback["iss"] == stack.issuer
    session_id = stack.session_cookie()
    assert session_id
    # the tokens never reach the browser: the only cookie of ours holds the opaque id
    for cookie in stack.http.cookie_jar:
        assert cookie.value.count(".") < 2, cookie.key
    status, _, body = await stack.graphql()
    assert status == 200
    assert body["data"] == {"viewer": {"levelOfAssurance": "SUBSTANTIAL"}} and "errors" not in body

    response, method, action, fields = await browser_logout(stack.http, stack.gateway_url)
    assert response.status == 200 and "Location" not in response.headers
    # RP-initiated logout by form POST: the ID token travels in the body, never in a URL.
    assert (method, action) == ("post", stack.issuer + "/endsession")
    assert fields["post_logout_redirect_uri"] == stack.gateway_url + "/"
    assert fields["id_token_hint"].count(".") == 2
    assert fields["state"] and fields["client_id"] == "minside-gateway"
    assert stack.session_cookie() is None  # cookie cleared
    async with stack.http.post(action, data=fields, allow_redirects=False) as response:
        assert response.status in (200, 302)
    # the old session id is dead even if someone kept it
    async with browser() as other:
        other.cookie_jar.update_cookies(
            {"minside_session": session_id}, response_url=URL(stack.gateway_url)
        )
        _, _, body = await stack.graphql(client=other)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_frontchannel_logout_from_idporten_kills_the_session(stack: Stack) -> None:
    await stack.browser_login()
    assert (await stack.graphql())[2]["data"] is not None
    # The citizen logs out of ID-porten elsewhere: the stand-in ends the SSO session and calls
    # every participant's front-channel logout URI (server-side, without our cookie).
    async with stack.http.get(stack.issuer + "/endsession", allow_redirects=False) as response:
        assert response.status in (200, 302)
    assert len(stack.sessions) == 0
    _, _, body = await stack.graphql()
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_frontchannel_endpoint_contract(stack: Stack) -> None:
    await stack.browser_login()
    async with browser() as idporten_iframe:  # no cookies: third-party iframe
        url = f"{stack.gateway_url}/auth/frontchannel-logout"
        async with idporten_iframe.get(url, params={"iss": "https://evil", "sid": "x"}) as r:
            assert r.status == 400
        assert len(stack.sessions) == 1
        async with idporten_iframe.get(url, params={"iss": stack.issuer, "sid": "unknown"}) as r:
            assert r.status == 200
            assert "no-store" in r.headers["Cache-Control"]
            assert r.headers["Content-Security-Policy"] == f"frame-ancestors {stack.issuer}"
        assert len(stack.sessions) == 1


async def test_replayed_state_is_refused(stack: Stack) -> None:
    urls = await stack.browser_login()
    async with stack.http.get(urls["callback"], allow_redirects=False) as response:
        assert response.status == 400
        assert "already used" in await response.text()


async def test_replayed_code_is_refused(stack: Stack) -> None:
    urls = await stack.browser_login()
    code = query_of(urls["callback"])["code"]
    # a fresh login (new state, new PKCE verifier) finished with the old code
    async with stack.http.get(stack.gateway_url + "/auth/login", allow_redirects=False) as r:
        state = query_of(r.headers["Location"])["state"]
    replay = add_query(
        stack.gateway_url + "/auth/callback", {"code": code, "state": state, "iss": stack.issuer}
    )
    async with stack.http.get(replay, allow_redirects=False) as response:
        assert response.status == 400
        assert "refused the code" in await response.text()


async def test_callback_checks_iss_and_browser_binding(stack: Stack) -> None:
    async with stack.http.get(stack.gateway_url + "/auth/login", allow_redirects=False) as r:
        authorize = add_query(r.headers["Location"], {"login_hint": stack.pid})
    async with stack.http.get(authorize, allow_redirects=False) as r:
        callback = r.headers["Location"]
    # the same callback in another browser (login CSRF) is refused
    async with (
        browser() as victim,
        victim.get(callback, allow_redirects=False) as response,
    ):
        assert response.status == 400
        assert "another browser" in await response.text()
    # mix-up: a response claiming another issuer
    async with stack.http.get(stack.gateway_url + "/auth/login", allow_redirects=False) as r:
        authorize = add_query(r.headers["Location"], {"login_hint": stack.pid})
    async with stack.http.get(authorize, allow_redirects=False) as r:
        callback = add_query(r.headers["Location"], {"iss": "https://evil.example"})
    async with stack.http.get(callback, allow_redirects=False) as response:
        assert response.status == 400
        assert "another issuer" in await response.text()
    assert len(stack.sessions) == 0


async def test_csrf_refusals_for_cookie_sessions(stack: Stack) -> None:
    await stack.browser_login()
    url = stack.gateway_url + "/graphql"
    form = {"query": "{ viewer { levelOfAssurance } }"}
    async with stack.http.post(url, data=form) as response:  # a cross-site form could send this
        assert response.status == 403
        body = await response.json()
        assert body["errors"][0]["extensions"]["code"] == "CSRF_REFUSED"
    status, _, body = await stack.graphql(headers={"Origin": "https://evil.example"})
    assert status == 403
    assert body["errors"][0]["extensions"]["code"] == "CSRF_REFUSED"
    status, _, body = await stack.graphql(headers={"Origin": stack.gateway_url})
    assert status == 200 and body["data"]["viewer"]["levelOfAssurance"] == "SUBSTANTIAL"
    async with stack.http.post(
        stack.gateway_url + "/auth/logout",
        headers={"Origin": "https://evil.example"},
        allow_redirects=False,
    ) as response:
        assert response.status == 403
    assert len(stack.sessions) == 1


async def test_session_idle_expiry(stack: Stack) -> None:
    await stack.browser_login()
    stack.clock.now += 25 * 60
    assert (await stack.graphql())[2]["data"] is not None  # used: the idle window slides
    stack.clock.now += 25 * 60
    assert (await stack.graphql())[2]["data"] is not None
    stack.clock.now += 31 * 60
    _, _, body = await stack.graphql()
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_step_up_login_gives_high(stack: Stack) -> None:
    await stack.browser_login(login_query="?acr=idporten-loa-high")
    _, _, body = await stack.graphql()
    assert body["data"] == {"viewer": {"levelOfAssurance": "HIGH"}} and "errors" not in body


async def test_login_asking_high_refuses_a_substantial_id_token(stack: Stack) -> None:
    async with stack.http.get(
        stack.gateway_url + "/auth/login?acr=idporten-loa-high", allow_redirects=False
    ) as r:
        # a tampered authorize request asking for less than the gateway asked for
        authorize = add_query(
            r.headers["Location"],
            {"login_hint": stack.pid, "acr_values": "idporten-loa-substantial"},
        )
    async with stack.http.get(authorize, allow_redirects=False) as r:
        callback = r.headers["Location"]
    async with stack.http.get(callback, allow_redirects=False) as response:
        assert response.status == 400
        assert "level of assurance" in await response.text()
    assert len(stack.sessions) == 0


async def test_login_with_private_key_jwt(tmp_path) -> None:
    key = RSAKey.generate_key(2048, parameters={"kid": "minside-client-1"})
    key_file = tmp_path / "client-key.json"
    key_file.write_text(json.dumps(key.as_dict(private=True)))
    public_jwks = {"keys": [key.as_dict(private=False)]}
    async with gateway_stack(
        registration={"client_secret": None, "jwks": public_jwks},
        idporten_client_key_file=key_file,
        idporten_client_secret="wrong-on-purpose",
    ) as stack:
        await stack.browser_login()
        _, _, body = await stack.graphql()
        assert (
            body["data"] == {"viewer": {"levelOfAssurance": "SUBSTANTIAL"}} and "errors" not in body
        )
    # the same registration refuses an assertion signed with another key
    other = RSAKey.generate_key(2048, parameters={"kid": "minside-client-1"})
    key_file.write_text(json.dumps(other.as_dict(private=True)))
    async with gateway_stack(
        registration={"client_secret": None, "jwks": public_jwks},
        idporten_client_key_file=key_file,
    ) as stack:
        async with stack.http.get(stack.gateway_url + "/auth/login", allow_redirects=False) as r:
            authorize = add_query(r.headers["Location"], {"login_hint": stack.pid})
        async with stack.http.get(authorize, allow_redirects=False) as r:
            callback = r.headers["Location"]
        async with stack.http.get(callback, allow_redirects=False) as response:
            assert response.status == 400


async def test_wrong_client_secret_fails_the_login_cleanly() -> None:
    async with gateway_stack(idporten_client_secret="wrong") as stack:
        async with stack.http.get(stack.gateway_url + "/auth/login", allow_redirects=False) as r:
            authorize = add_query(r.headers["Location"], {"login_hint": stack.pid})
        async with stack.http.get(authorize, allow_redirects=False) as r:
            callback = r.headers["Location"]
        async with stack.http.get(callback, allow_redirects=False) as response:
            assert response.status == 400
            text = await response.text()
        assert "refused the code" in text and "Traceback" not in text
        assert len(stack.sessions) == 0
