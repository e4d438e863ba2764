"""Cookie-authenticated multipart (upload) requests need a non-simple header and a same-site
Origin; JSON requests are unchanged."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from auth import csrf

ORIGIN = "http://127.0.0.1:8000"
MULTIPART = {"content-type": "multipart/form-data; boundary=x"}


def _request(headers: dict[str, str]) -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    return Request({"type": "http", "method": "POST", "headers": raw, "path": "/graphql"})


@pytest.mark.parametrize(
    ("headers", "refused"),
    [
        (MULTIPART, True),
        ({**MULTIPART, "apollo-require-preflight": "true"}, False),
        ({**MULTIPART, "x-requested-with": "XMLHttpRequest"}, False),
        ({**MULTIPART, "apollo-require-preflight": "true", "origin": ORIGIN}, False),
        ({**MULTIPART, "apollo-require-preflight": "true", "origin": "https://evil.example"}, True),
        ({**MULTIPART, "x-requested-with": "x", "sec-fetch-site": "cross-site"}, True),
        ({"content-type": "application/x-www-form-urlencoded", "x-requested-with": "x"}, True),
    ],
)
def test_multipart_rules(headers, refused):
    assert (csrf.graphql_refusal(_request(headers), ORIGIN) is not None) is refused
