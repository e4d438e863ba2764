"""Min side's page at / (gateway.web): its shell, its own CSP, its assets, and the switch.

What the page does in a browser is tests/browser's; here is what the gateway serves.
"""

from __future__ import annotations

import re

import aiohttp
import pytest

from app import build_app
from gateway.web import ASSETS_PATH, STATIC_DIR, page_csp, page_html
from kernel.servers import ServerSpec, running_servers
from kernel.settings import Settings


def test_the_shell_names_its_language_and_loads_only_the_gateways_assets() -> None:
    assert '<html lang="nn">' in page_html("nn")
    assert '<html lang="nb">' in page_html("xx")  # an unknown language is the default
    html = page_html("en")
    assert "<script>" not in html and "style=" not in html  # nothing inline: the CSP forbids it
    assert re.findall(r'(?:src|href)="(/[^"]+)"', html) == [
        f"{ASSETS_PATH}/minside.css",
        f"{ASSETS_PATH}/minside.js",
    ]


def test_the_assets_reach_for_nothing_outside_the_gateway() -> None:
    script = (STATIC_DIR / "minside.js").read_text()
    # The only absolute URL is the SVG namespace (a name, never fetched).
    assert set(re.findall(r"https?://[^\s\"'`]+", script)) == {"http://www.w3.org/2000/svg"}
    style = (STATIC_DIR / "minside.css").read_text()
    assert "url(" not in style and "@import" not in style


def test_the_page_policy_allows_only_self_and_the_issuer_for_forms() -> None:
    csp = page_csp("https://login.idporten.no/some/path")
    assert "script-src 'self';" in csp and "style-src 'self';" in csp
    assert "connect-src 'self';" in csp
    assert "form-action 'self' https://login.idporten.no;" in csp
    assert "unsafe" not in csp and "frame-ancestors 'none'" in csp


@pytest.mark.integration  # the gateway on a socket, in a file of unit tests
async def test_gateway_serves_the_page_with_its_headers_and_assets() -> None:
    settings = Settings()
    async with (
        running_servers([ServerSpec("gateway", build_app(settings))]) as (server,),
        aiohttp.ClientSession() as http,
    ):
        async with http.get(f"{server.url}/?lang=nn") as page:
            assert page.status == 200
            assert page.headers["Content-Type"].startswith("text/html")
            assert page.headers["Content-Security-Policy"] == page_csp(
                str(settings.idporten_issuer)
            )
            assert page.headers["Referrer-Policy"] == "same-origin"
            assert page.headers["X-Frame-Options"] == "DENY"
            assert page.headers["X-Content-Type-Options"] == "nosniff"
            assert '<html lang="nn">' in await page.text()
        for name in ("minside.js", "minside.css"):
            async with http.get(f"{server.url}{ASSETS_PATH}/{name}") as asset:
                assert asset.status == 200, name
                assert await asset.read() == (STATIC_DIR / name).read_bytes()


@pytest.mark.integration
async def test_with_the_page_off_the_gateway_serves_the_api_only() -> None:
    async with (
        running_servers([ServerSpec("gateway", build_app(Settings(web_page=False)))]) as (server,),
        aiohttp.ClientSession() as http,
    ):
        for path in ("/", f"{ASSETS_PATH}/minside.js"):
            async with http.get(server.url + path) as response:
                assert response.status == 404, path
        async with http.get(f"{server.url}/healthz") as response:
            assert response.status == 200
