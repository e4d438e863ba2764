"""A browser session (cookie) may upload only with a header a cross-site form cannot send:
multipart/form-data is a "simple" content type, so without it any site could submit an
application in the citizen's name."""

from __future__ import annotations

import io
import json
from urllib.parse import urlencode, urlsplit, urlunsplit

import aiohttp
import pytest

from simulators.population import documented
from tests.graph.submission.helpers import PDF, SUBMIT_APPLICATION, digging
from tests.graph.submission.test_application import MAP


async def browser_login(graph, browser: aiohttp.ClientSession) -> None:
    """Log in through /auth/login and the stand-in (login_hint picks the person)."""
    gateway = graph.stack.gateway_url
    async with browser.get(f"{gateway}/auth/login", allow_redirects=False) as response:
        assert response.status == 302, await response.text()
        authorize = urlsplit(response.headers["Location"])
    hint = urlencode({"login_hint": graph.pid(documented.HOMEOWNER)})
    url = urlunsplit(authorize._replace(query=f"{authorize.query}&{hint}"))
    async with browser.get(url, allow_redirects=False) as response:
        assert response.status in (302, 303), await response.text()
        callback = response.headers["Location"]
    async with browser.get(callback, allow_redirects=False) as response:
        assert response.status == 303, await response.text()


def upload_form(idempotency_key: str) -> aiohttp.FormData:
    form = aiohttp.FormData(default_to_multipart=True)
    variables = {"input": digging(idempotencyKey=idempotency_key)}
    form.add_field("operations", json.dumps({"query": SUBMIT_APPLICATION, "variables": variables}))
    form.add_field("map", json.dumps({"0": [MAP[0]]}))
    form.add_field("0", io.BytesIO(PDF), filename="kart.pdf", content_type="application/pdf")
    return form


@pytest.mark.own_stack  # the browser logs in: the stand-in must know this gateway
async def test_cookie_upload_needs_the_preflight_header(graph):
    gateway = graph.stack.gateway_url
    jar = aiohttp.CookieJar(unsafe=True)  # cookies of an IP host, as a browser keeps them
    async with aiohttp.ClientSession(cookie_jar=jar) as browser:
        await browser_login(graph, browser)
        async with browser.post(f"{gateway}/graphql", data=upload_form("csrf-1")) as response:
            refused_status = response.status
            refused = await response.text()
        async with browser.post(
            f"{gateway}/graphql",
            data=upload_form("csrf-1"),
            headers={"Origin": "https://evil.example", "Apollo-Require-Preflight": "true"},
        ) as response:
            cross_site_status = response.status
        async with browser.post(
            f"{gateway}/graphql",
            data=upload_form("csrf-2"),
            headers={"Apollo-Require-Preflight": "true", "Origin": gateway},
        ) as response:
            assert response.status == 200, await response.text()
            accepted = await response.json()

    assert refused_status == 403, refused
    assert "Apollo-Require-Preflight" in refused
    assert cross_site_status == 403
    answer = accepted["data"]["submitApplication"]
    assert answer["__typename"] == "ApplicationReceipt"
    assert answer["status"] == "DELIVERED"
    # Only the accepted upload reached the archive.
    assert (await graph.calls("p360"))["CreateCase"] == 1
