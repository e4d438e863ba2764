"""Logout by RP-initiated logout's POST form: the ID token (and its pid) is never in a URL, the
stand-in ends the SSO session from the posted hint alone, and front-channel logout still
reaches every session of that login."""

from __future__ import annotations

import aiohttp
import pytest
from yarl import URL

from gateway.security_headers import inline_script_hashes
from idporten_standin.app import SSO_COOKIE
from tests.auth.stack import Stack, browser, browser_logout, gateway_stack, page_form


@pytest.fixture
async def stack():
    async with gateway_stack() as running:
        yield running


async def _sso_login(stack: Stack, client: aiohttp.ClientSession) -> int:
    """A login at the gateway answered by the stand-in's SSO session (no login_hint): the
    status /authorize answers (302 back to us while the SSO session lives, 200 the picker)."""
    async with client.get(stack.gateway_url + "/auth/login", allow_redirects=False) as r:
        authorize = r.headers["Location"]
    async with client.get(authorize, allow_redirects=False) as response:
        if response.status != 302:
            return response.status
        callback = response.headers["Location"]
    async with client.get(callback, allow_redirects=False) as response:
        assert response.status == 303, await response.text()
    return 302


async def test_logout_posts_the_hint_and_ends_the_session_everywhere(stack: Stack) -> None:
    await stack.browser_login()
    # A second gateway session of the same ID-porten login (another browser window sharing
    # the stand-in's SSO cookie): only the front-channel call can end it.
    sso = {c.key: c.value for c in stack.http.cookie_jar if c.key == SSO_COOKIE}
    async with browser() as other_window:
        other_window.cookie_jar.update_cookies(sso, response_url=URL(stack.issuer))
        assert await _sso_login(stack, other_window) == 302
    assert len(stack.sessions) == 2

    response, method, action, fields = await browser_logout(stack.http, stack.gateway_url)
    assert response.status == 200
    assert "Location" not in response.headers
    assert method == "post" and action == stack.issuer + "/endsession"  # no query at all
    id_token = fields["id_token_hint"]
    assert id_token.count(".") == 2
    assert len(stack.sessions) == 1  # ours is gone at once

    # Posted cross-site, the stand-in's SameSite=Lax cookie does not come along: it finds the
    # SSO session from the posted ID token's sid, and calls every front-channel logout URI.
    async with (
        browser() as cross_site,
        cross_site.post(action, data=fields, allow_redirects=False) as reply,
    ):
        assert reply.status in (200, 302), await reply.text()
        back = reply.headers.get("Location", "")
    assert id_token not in back and "id_token_hint" not in back
    assert stack.counter.paths["/endsession"] == 1
    assert len(stack.sessions) == 0  # the other tab's session, by front-channel logout
    # The stand-in's SSO session is over: a new login needs the person picker again.
    assert await _sso_login(stack, stack.http) == 200


async def test_the_logout_page_submits_under_its_csp_or_by_its_button(stack: Stack) -> None:
    await stack.browser_login()
    async with stack.http.post(
        stack.gateway_url + "/auth/logout",
        headers={"Origin": stack.gateway_url},
        allow_redirects=False,
    ) as response:
        html = await response.text()
        headers = response.headers
    assert headers["Cache-Control"].startswith("no-store")
    assert headers["X-Frame-Options"] == "DENY"
    csp = {
        name: value
        for name, _, value in (
            part.partition(" ") for part in headers["Content-Security-Policy"].split("; ")
        )
    }
    # The one inline script (it submits the form) is allowed by its hash, nothing else runs.
    (script_hash,) = inline_script_hashes(html)
    assert csp["script-src"] == script_hash and "unsafe-inline" not in csp["script-src"]
    assert csp["default-src"] == "'none'" and csp["frame-ancestors"] == "'none'"
    # The form may go only to the end-session endpoint (and the page it returns to).
    assert set(csp["form-action"].split()) == {stack.issuer, stack.gateway_url}
    # Without JavaScript the citizen submits the same form with its button.
    assert "<button type='submit'>" in html.split("<form", 1)[1].split("</form>", 1)[0]
    method, action, fields = page_form(html)
    assert (method, action) == ("post", stack.issuer + "/endsession")
    assert set(fields) == {"id_token_hint", "post_logout_redirect_uri", "state", "client_id"}


async def test_logout_without_a_session_goes_straight_back(stack: Stack) -> None:
    async with stack.http.post(
        stack.gateway_url + "/auth/logout",
        headers={"Origin": stack.gateway_url},
        allow_redirects=False,
    ) as response:
        assert response.status == 303
        assert response.headers["Location"] == stack.gateway_url + "/"
    assert stack.counter.paths["/endsession"] == 0
