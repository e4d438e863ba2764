"""GraphiQL works offline: every asset strawberry's page wants is vendored, unchanged; and the
page the gateway serves keeps no headers and takes nothing from the URL (its script run in
node, tests/gateway/graphiql_page.js)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path

import aiohttp
import pytest
from strawberry.http.ides import get_graphql_ide_html

from app import build_app
from gateway.graphiql import (
    ASSETS_DIR,
    UnexpectedGraphiQLPage,
    cdn_assets,
    localized_ide_html,
)
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


NODE = shutil.which("node")
HARNESS = Path(__file__).with_name("graphiql_page.js")
TOKEN = '{"Authorization": "Bearer eyJ.secret"}'
OLD_TOKEN = '{"Authorization": "Bearer eyJ.kept-by-an-older-page"}'


def run_page(script: str, scenario: dict[str, object]) -> dict[str, object]:
    """What the page's script does in node with the browser state of `scenario`."""
    assert NODE is not None
    result = subprocess.run(
        [NODE, str(HARNESS), json.dumps(scenario)],
        input=script,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def tabs(headers: str) -> str:
    return json.dumps(
        {"tabs": [{"id": "t", "query": "{ a }", "headers": headers}], "activeTabIndex": 0}
    )


def history(headers: str) -> str:
    return json.dumps({"queries": [{"query": "{ a }", "headers": headers}]})


def page_script(html: str) -> str:
    (script,) = re.findall(r"<script>(.*?)</script>", html, re.DOTALL)
    return script


@pytest.mark.skipif(NODE is None, reason="node is not installed")
@pytest.mark.integration
async def test_served_page_keeps_no_headers_and_reads_nothing_from_the_url():
    async with (
        running_servers([ServerSpec("gateway", build_app(Settings()))]) as (server,),
        aiohttp.ClientSession() as http,
        http.get(f"{server.url}/graphql", headers={"Accept": "text/html"}) as page,
    ):
        script = page_script(await page.text())
    link = "?q=%7B%20viewer%20%7B%20name%20%7D%20%7D&variables=%7B%7D&headers=" + (
        "%7B%22Authorization%22%3A%22Bearer%20eyJ.from-a-link%22%7D"
    )
    done = run_page(
        script,
        {
            "search": link,
            # What an older page (or GraphiQL's history) left in localStorage.
            "stored": {
                "graphiql:headers": OLD_TOKEN,
                "graphiql:tabState": tabs(OLD_TOKEN),
                "graphiql:queries": history(OLD_TOKEN),
                "graphiql:query": "{ kept }",
            },
            # What GraphiQL writes through its storage while a developer works.
            "writes": {
                "graphiql:headers": TOKEN,
                "graphiql:tabState": tabs(TOKEN),
                "graphiql:queries": history(TOKEN),
                "graphiql:favorites": json.dumps({"favorites": [{"headers": TOKEN}]}),
            },
        },
    )
    # Nothing from the link: GraphiQL's welcome text, no variables, no headers.
    assert str(done["query"]).startswith("# Welcome to GraphiQL")
    assert done["variables"] is None and done["headers"] is None
    assert done["shouldPersistHeaders"] is False
    # Editing does not put the query or variables into the URL either.
    assert done["urlWrites"] == []
    # No bearer token in localStorage, after load or after GraphiQL wrote through its storage,
    # nor handed back to GraphiQL; everything else is kept.
    for state in ("storedAfterLoad", "storedAfterWrites", "readBack"):
        assert "Bearer" not in json.dumps(done[state]), (state, done[state])
    stored = done["storedAfterWrites"]
    assert isinstance(stored, dict)
    assert stored["graphiql:query"] == "{ kept }"
    assert json.loads(stored["graphiql:tabState"])["tabs"][0]["query"] == "{ a }"
    assert json.loads(stored["graphiql:queries"])["queries"][0]["query"] == "{ a }"


def test_a_changed_strawberry_page_is_not_served_unrewritten():
    html = get_graphql_ide_html(graphql_ide="graphiql").replace(
        "shouldPersistHeaders: true", "shouldPersistHeaders: !0"
    )
    with pytest.raises(UnexpectedGraphiQLPage, match="shouldPersistHeaders"):
        localized_ide_html(html)
