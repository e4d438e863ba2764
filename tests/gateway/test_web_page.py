"""Min side's page at / (gateway.web): its shell, its own CSP, its assets, and the switch.

What the page does in a browser is tests/browser's; here is what the gateway serves.
"""

from __future__ import annotations

import hashlib
import json
import re

import aiohttp
import graphql
import pytest

from app import build_app
from gateway.web import (
    ASSETS_PATH,
    STATIC_DIR,
    TRUSTED_DOCUMENTS_FILE,
    page_csp,
    page_documents,
    page_html,
    trusted_documents,
)
from kernel.servers import ServerSpec, running_servers
from kernel.settings import PROJECT_ROOT, Settings


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


def test_each_operation_is_sent_with_exactly_the_fragments_it_uses() -> None:
    source = """
    query A { viewer { ...V } }
    query B { viewer { id } }
    fragment V on Citizen { id name { ...N } }
    fragment N on PersonName { fullName }
    fragment Unused on Citizen { id }
    """
    documents = page_documents(source)
    assert list(documents) == ["A", "B"]
    a = graphql.parse(documents["A"])
    assert [d.name.value for d in a.definitions if d.name] == ["A", "V", "N"]  # type: ignore[attr-defined]
    assert "fragment" not in documents["B"]


def test_the_pages_documents_are_valid_against_the_schema() -> None:
    schema = graphql.build_schema((PROJECT_ROOT / "schema.graphql").read_text())
    documents = page_documents()
    assert {"MinSide", "MinSideCases", "MinSideSubmitApplication"} <= set(documents)
    for name, text in documents.items():
        assert graphql.validate(schema, graphql.parse(text)) == [], name


def test_the_shipped_trusted_documents_manifest_is_the_pages_documents() -> None:
    shipped = json.loads(TRUSTED_DOCUMENTS_FILE.read_text())
    assert shipped == trusted_documents(), (
        "gateway/web/trusted-documents.json is stale: regenerate it with "
        "`.venv/bin/python -c 'import gateway.web as w; w.write_trusted_documents()'`"
    )


def test_the_page_is_on_in_development_and_off_in_production_unless_switched() -> None:
    assert Settings(mode="development").web_page_enabled
    assert not Settings(mode="production").web_page_enabled
    assert Settings(mode="production", web_page=True).web_page_enabled
    assert not Settings(mode="development", web_page=False).web_page_enabled


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
        # Only the page: GraphiQL and the API keep the gateway's no-referrer.
        html = {"Accept": "text/html"}
        async with http.get(f"{server.url}/graphql", headers=html) as graphiql:
            assert graphiql.headers["Content-Type"].startswith("text/html")
            assert graphiql.headers["Referrer-Policy"] == "no-referrer"
        async with http.post(f"{server.url}/graphql", json={"query": "{ __typename }"}) as api:
            assert api.headers["Referrer-Policy"] == "no-referrer"
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


@pytest.mark.integration
async def test_a_trusted_only_gateway_runs_the_pages_documents_by_hash() -> None:
    settings = Settings(
        persisted_queries="trusted-only", trusted_documents_file=TRUSTED_DOCUMENTS_FILE
    )
    async with (
        running_servers([ServerSpec("gateway", build_app(settings))]) as (server,),
        aiohttp.ClientSession() as http,
    ):
        async with http.get(f"{server.url}{ASSETS_PATH}/documents.json") as response:
            documents = await response.json()
        assert documents == page_documents()
        text = documents["MinSideServices"]
        extensions = {
            "persistedQuery": {
                "version": 1,
                "sha256Hash": hashlib.sha256(text.encode()).hexdigest(),
            }
        }
        async with http.post(f"{server.url}/graphql", json={"extensions": extensions}) as response:
            body = await response.json()
        assert "errors" not in body, body
        assert body["data"]["externalServices"]
