"""GraphiQL works offline: every asset strawberry's page wants is vendored, unchanged."""

from __future__ import annotations

import base64
import hashlib
import re

import aiohttp
import pytest
from strawberry.http.ides import get_graphql_ide_html

from app import build_app
from gateway.graphiql import ASSETS_DIR, cdn_assets, localized_ide_html
from kernel.servers import ServerSpec, running_servers
from kernel.settings import Settings

_TAG = re.compile(r'(?:src|href)="https://unpkg\.com/([^"]+)"\s+integrity="([^"]+)"')


def test_every_cdn_asset_is_vendored_with_matching_integrity():
    html = get_graphql_ide_html(graphql_ide="graphiql")
    wanted = dict(_TAG.findall(html))
    assert wanted and set(wanted) == set(cdn_assets(html))
    for path, integrity in wanted.items():
        algorithm, _, expected = integrity.partition("-")
        data = (ASSETS_DIR / path).read_bytes()
        digest = base64.b64encode(hashlib.new(algorithm, data).digest()).decode()
        assert digest == expected, f"{path} differs from what the page's integrity hash expects"


def test_localized_page_has_no_cdn_left():
    html = localized_ide_html(get_graphql_ide_html(graphql_ide="graphiql"))
    assert "unpkg.com" not in html
    assert 'src="/graphiql-assets/graphiql@' in html


@pytest.mark.integration  # the gateway on a socket, in a file of unit tests
async def test_gateway_serves_the_page_and_its_assets():
    async with (
        running_servers([ServerSpec("gateway", build_app(Settings()))]) as (server,),
        aiohttp.ClientSession() as http,
    ):
        async with http.get(f"{server.url}/graphql", headers={"Accept": "text/html"}) as page:
            html = await page.text()
        local = re.findall(r'(?:src|href)="(/graphiql-assets/[^"]+)"', html)
        assert len(local) == 7
        for path in local:
            async with http.get(server.url + path) as response:
                assert response.status == 200, path
                body = await response.read()
            assert body == (ASSETS_DIR / path.removeprefix("/graphiql-assets/")).read_bytes()
