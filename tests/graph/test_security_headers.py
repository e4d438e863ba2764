"""Every response of the gateway carries the security headers, and every /graphql and /files
response Cache-Control: no-store (any of them can carry personal data). The GraphiQL page gets a
policy that lets it load its vendored scripts and styles from the gateway and nothing else."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from multidict import CIMultiDictProxy

from gateway.security_headers import API_CSP, inline_script_hashes


def assert_secured(headers: CIMultiDictProxy[str], what: str) -> None:
    assert headers.get("X-Content-Type-Options") == "nosniff", what
    assert headers.get("Referrer-Policy") == "no-referrer", what
    csp = headers.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in csp, (what, csp)
    assert headers.get("X-Frame-Options") == "DENY", what


async def fetch(graph: Any, method: str, path: str, **kwargs: Any) -> tuple[int, Any, str]:
    url = graph.stack.gateway_url + path
    async with graph.http.request(method, url, allow_redirects=False, **kwargs) as response:
        return response.status, response.headers, await response.text()


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("POST", "/graphql", {"json": {"query": "{ __typename }"}}),
        ("GET", "/graphql?query=%7B__typename%7D", {"headers": {"Accept": "application/json"}}),
        (  # a persisted query by hash (unknown: PersistedQueryNotFound)
            "GET",
            "/graphql?extensions=%7B%22persistedQuery%22%3A%7B%22version%22%3A1%2C%22sha256Hash"
            "%22%3A%22" + "0" * 64 + "%22%7D%7D",
            {"headers": {"Accept": "application/json"}},
        ),
        ("POST", "/graphql", {"json": {"query": "{ nope }"}}),  # a validation error
        ("POST", "/graphql", {"json": {"query": "{ viewer { id } }"}}),  # not logged in
        ("POST", "/graphql", {"data": b"not json", "headers": {"Content-Type": "text/json"}}),
        ("GET", "/files/not-a-token", {}),
    ],
)
async def test_graphql_and_files_responses_are_no_store(graph, method, path, kwargs) -> None:
    status, headers, body = await fetch(graph, method, path, **kwargs)
    assert headers.get("Cache-Control") == "no-store", (path, status, body)
    assert_secured(headers, path)
    assert headers["Content-Security-Policy"] == API_CSP


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/auth/login"),
        ("GET", "/healthz"),
        ("GET", "/readyz"),
        ("GET", "/metrics"),
        ("GET", "/no-such-path"),
        ("GET", "/graphiql-assets/graphiql@3.8.3/graphiql.min.js"),
    ],
)
async def test_every_other_response_has_the_security_headers(graph, method, path) -> None:
    _, headers, _ = await fetch(graph, method, path)
    assert_secured(headers, path)
    assert headers["Content-Security-Policy"] == API_CSP


async def test_the_graphiql_page_may_load_only_its_own_assets(graph) -> None:
    status, headers, html = await fetch(graph, "GET", "/graphql", headers={"Accept": "text/html"})
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert headers.get("Cache-Control") == "no-store"
    assert_secured(headers, "graphiql")
    policy = {
        name: value
        for name, _, value in (
            part.strip().partition(" ") for part in headers["Content-Security-Policy"].split(";")
        )
    }
    assert policy["default-src"] == "'none'"
    scripts = policy["script-src"].split()
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts
    assert "'self'" in scripts
    # Its inline script runs (allowed by its hash), and every script and style comes from the
    # gateway itself: a relative URL, no other origin.
    hashes = inline_script_hashes(html)
    assert hashes and set(hashes) <= set(scripts)
    urls = re.findall(r'<(?:script|link)[^>]*?(?:src|href)="([^"]+)"', html)
    assets = [url for url in urls if not url.startswith("data:")]
    assert len(assets) == 7
    for url in assets:
        assert url.startswith("/") and not urlsplit(url).netloc, url
        status, _, _ = await fetch(graph, "GET", url)
        assert status == 200, url
    assert "'self'" in policy["style-src"].split()
    assert policy["connect-src"] == "'self'"  # its queries go to the gateway only


async def test_the_frontchannel_logout_keeps_its_own_frame_ancestors(graph) -> None:
    _, headers, _ = await fetch(graph, "GET", "/auth/frontchannel-logout?iss=x&sid=y")
    issuer = graph.stack.urls["idporten"].rstrip("/")
    assert headers["Content-Security-Policy"] == f"frame-ancestors {issuer}"
    assert "X-Frame-Options" not in headers
    assert headers.get("X-Content-Type-Options") == "nosniff"
    assert headers.get("Referrer-Policy") == "no-referrer"
