"""Fuzzing /graphql over real HTTP: generated queries and mutations from the live schema
(hypothesis-graphql), malformed bodies and parameters, malformed multipart uploads.

Whatever is sent, the gateway must answer below 500, every GraphQL error must carry an
``extensions.code`` the API documents (:class:`kernel.errors.ErrorCode`), and no 11-digit
number (a fødselsnummer's shape) may come back in an error, nor the logged-in person's own
number, nor any of the population's, anywhere (account numbers have 11 digits too, so an
11-digit number in data is not itself a finding). The run is bounded
(``tests/fuzz/conftest.py``) and derandomized, so it is the same on every machine;
``MINSIDE_TEST_FUZZ_EXAMPLES`` asks for a longer one.

Hypothesis drives a plain blocking HTTP client in a worker thread while the servers keep
running on the test's event loop.
"""

from __future__ import annotations

import asyncio
import gc
import http.client
import json
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

import graphql
import pytest
from hypothesis import given, seed, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, mutations, queries

from auth.redaction import PID
from kernel.errors import ErrorCode
from minside.stack import RunningStack
from schema.build import build_schema

# A longer run (MINSIDE_TEST_FUZZ_EXAMPLES) gets time in proportion; the default one needs
# far less than the suite's 300 s per test.
_EXAMPLES = int(os.environ.get("MINSIDE_TEST_FUZZ_EXAMPLES") or 0)
pytestmark = [pytest.mark.integration, pytest.mark.timeout(max(300, 5 * _EXAMPLES))]

FUZZ_SEED = os.environ.get("MINSIDE_TEST_FUZZ_SEED")
ELEVEN_DIGITS = re.compile(r"(?<![0-9])[0-9]{11}(?![0-9])")
CODES = frozenset(code.value for code in ErrorCode)
JSON_TYPES = ("application/json", "application/graphql-response+json")
LIVE_SCHEMA = build_schema()._schema


def _string(text: str) -> graphql.StringValueNode:
    return graphql.StringValueNode(value=text)


# Literals for the schema's own input scalars: mostly well-formed, sometimes not.
_SCALARS: dict[str, st.SearchStrategy[graphql.ValueNode]] = {
    "Date": st.one_of(st.dates().map(lambda d: d.isoformat()), st.text(max_size=12)).map(_string),
    "DateTime": st.one_of(st.datetimes().map(lambda d: d.isoformat()), st.text(max_size=12)).map(
        _string
    ),
    "Decimal": st.one_of(
        st.decimals(allow_nan=True, allow_infinity=True).map(str),
        st.sampled_from(["1e999999", "-0", "1" * 40, "NaN", "12345678901"]),
        st.text(max_size=12),
    ).map(_string),
    "Upload": st.text(max_size=8).map(_string),
    "JSON": st.just(graphql.NullValueNode()),
}


@dataclass
class Client:
    """A blocking HTTP/1.1 client for the gateway, one connection, reopened when closed."""

    url: str
    token: str
    pid: str
    #: Every fødselsnummer of the simulators' population: none may appear in any answer.
    pids: frozenset[str] = frozenset()
    seen: dict[int, int] = field(default_factory=dict)

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        *,
        logged_in: bool,
    ) -> tuple[int, str, bytes]:
        parts = urlsplit(self.url)
        sent = dict(headers or {})
        if logged_in:
            sent["Authorization"] = f"Bearer {self.token}"
        connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            data = response.read()
            content_type = response.getheader("Content-Type") or ""
            status = response.status
        finally:
            connection.close()
        self.seen[status] = self.seen.get(status, 0) + 1
        self.check(status, "" if method == "HEAD" else content_type, data)
        return status, content_type, data

    def check(self, status: int, content_type: str, data: bytes) -> None:
        """The properties every answer has, whatever was sent."""
        text = data.decode("utf-8", "replace")
        assert status < 500, (status, text[:2000])
        assert self.pid not in text, "the viewer's fødselsnummer in a response"
        leaked = set(ELEVEN_DIGITS.findall(text)) & self.pids
        assert not leaked, "a fødselsnummer in a response"
        if not content_type.startswith(JSON_TYPES):
            # GraphiQL's page, a multipart/mixed answer (checked part by part) or HEAD.
            assert status < 400 or not content_type, ("an error that is not JSON", status, text)
            return
        body = json.loads(data)
        assert isinstance(body, dict), text[:2000]
        for error in body.get("errors") or ():
            code = (error.get("extensions") or {}).get("code")
            assert code in CODES, ("error without a documented code", error)
            assert not PID.search(json.dumps(error, ensure_ascii=False)), error


@pytest.fixture(scope="module")
def client(fuzz_stack: RunningStack) -> Client:
    population = fuzz_stack.population
    person = population.person(1)
    pids = frozenset(population.person(i).pid for i in range(population.size))
    return Client(fuzz_stack.gateway_url, fuzz_stack.token(person.pid), person.pid, pids)


async def in_thread(run: Callable[[], None]) -> None:
    """Run a hypothesis test (blocking HTTP) while the servers serve on this loop; random
    from ``MINSIDE_TEST_FUZZ_SEED`` when it is set (else derandomized, conftest)."""
    if FUZZ_SEED:
        run = seed(int(FUZZ_SEED))(run)
    await asyncio.to_thread(run)


def post_json(client: Client, body: object, *, logged_in: bool, accept: str = "*/*") -> None:
    client.request(
        "POST",
        "/graphql",
        json.dumps(body).encode(),
        {"Content-Type": "application/json", "Accept": accept},
        logged_in=logged_in,
    )


ACCEPTS = st.sampled_from(
    [
        "*/*",
        "application/json",
        "application/graphql-response+json",
        "multipart/mixed;deferSpec=20220824, application/json",
    ]
)


@pytest.mark.parametrize("mode", [Mode.POSITIVE, Mode.NEGATIVE], ids=["valid", "invalid"])
async def test_generated_queries(client: Client, mode: Mode) -> None:
    @settings(settings.get_profile("minside-fuzz"))
    @given(
        query=queries(LIVE_SCHEMA, custom_scalars=_SCALARS, mode=mode),
        logged_in=st.booleans(),
        accept=ACCEPTS,
    )
    def run(query: str, logged_in: bool, accept: str) -> None:
        post_json(client, {"query": query}, logged_in=logged_in, accept=accept)

    await in_thread(run)


@pytest.mark.parametrize("mode", [Mode.POSITIVE, Mode.NEGATIVE], ids=["valid", "invalid"])
async def test_generated_mutations(client: Client, mode: Mode) -> None:
    @settings(settings.get_profile("minside-fuzz"))
    @given(
        mutation=mutations(LIVE_SCHEMA, custom_scalars=_SCALARS, mode=mode),
        logged_in=st.booleans(),
    )
    def run(mutation: str, logged_in: bool) -> None:
        post_json(client, {"query": mutation}, logged_in=logged_in)

    await in_thread(run)


# A query with a deferred fragment: generated selections, delivered in a later part.
def deferred(query: str) -> str:
    start, end = query.index("{"), query.rindex("}")
    return f'{query[:start]}{{ ... @defer(label: "later") {query[start : end + 1]} }}'


async def test_generated_queries_with_defer(client: Client) -> None:
    @settings(settings.get_profile("minside-fuzz"))
    @given(
        query=queries(LIVE_SCHEMA, custom_scalars=_SCALARS).map(deferred),
        logged_in=st.booleans(),
        accept=ACCEPTS,
    )
    def run(query: str, logged_in: bool, accept: str) -> None:
        status, content_type, data = client.request(
            "POST",
            "/graphql",
            json.dumps({"query": query}).encode(),
            {"Content-Type": "application/json", "Accept": accept},
            logged_in=logged_in,
        )
        if content_type.startswith("multipart/mixed"):
            for part in multipart_parts(content_type, data):
                client.check(status, "application/json", part)
                for entry in json.loads(part).get("incremental") or ():
                    client.check(status, "application/json", json.dumps(entry).encode())
                for entry in json.loads(part).get("completed") or ():
                    client.check(status, "application/json", json.dumps(entry).encode())

    await in_thread(run)


def multipart_parts(content_type: str, data: bytes) -> list[bytes]:
    """The JSON bodies of a multipart/mixed response."""
    boundary = re.search(r'boundary="?([^";]+)"?', content_type)
    assert boundary, content_type
    parts = []
    for chunk in data.split(b"--" + boundary.group(1).encode()):
        _head, sep, body = chunk.partition(b"\r\n\r\n")
        if sep and body.strip():
            parts.append(body.strip())
    return parts


# --- malformed HTTP -------------------------------------------------------------------------

VIEWER = "query Who { viewer { name { fullName } } }"


def _containers(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.lists(children, max_size=4) | st.dictionaries(
        st.text(max_size=8), children, max_size=4
    )


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    _containers,
    max_leaves=12,
)
fields = st.fixed_dictionaries(
    {},
    optional={
        "query": st.one_of(st.just(VIEWER), st.text(max_size=40), json_values),
        "variables": st.one_of(
            st.dictionaries(st.text(max_size=8), json_values, max_size=3), json_values
        ),
        "operationName": st.one_of(st.just("Who"), st.text(max_size=20), json_values),
        "extensions": st.one_of(
            st.fixed_dictionaries(
                {
                    "persistedQuery": st.one_of(
                        json_values,
                        st.fixed_dictionaries(
                            {
                                "version": st.sampled_from([1, 2, "1", None]),
                                "sha256Hash": st.one_of(
                                    st.text(alphabet="0123456789abcdef", min_size=64, max_size=64),
                                    st.text(max_size=70),
                                ),
                            }
                        ),
                    )
                }
            ),
            json_values,
        ),
    },
)


def _as_json(value: object) -> bytes:
    return json.dumps(value).encode()


bodies = st.one_of(
    fields.map(_as_json),  # an object with odd members
    json_values.map(_as_json),  # any JSON value: most are not an object
    st.binary(max_size=200),  # anything at all, mostly not UTF-8
    st.builds(
        lambda prefix, bad: prefix + bad + b'"}',
        st.just(b'{"query": "{ __typename } #'),
        st.sampled_from([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\x00"]),
    ),
    st.integers(min_value=60, max_value=5000).map(
        lambda n: b'{"query": "{ __typename }", "variables": {"x": ' + b"[" * n + b"]" * n + b"}}"
    ),
    st.integers(min_value=4000, max_value=20000).map(
        lambda n: b'{"query": "{ __typename }", "variables": {"n": ' + b"9" * n + b"}}"
    ),
    st.sampled_from([b"", b"{", b'{"query":', b"[{}]", b"null", b'{"query": NaN}']),
)
content_types = st.one_of(
    st.sampled_from(
        [
            "application/json",
            "application/json; charset=utf-8",
            "application/json; charset=latin-1",
            "application/graphql",
            "application/x-www-form-urlencoded",
            "text/plain",
            "multipart/form-data",
            "multipart/form-data; boundary=x",
            "application/json; charset",
            ";;",
            "",
        ]
    ),
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40),
)


@pytest.mark.parametrize("logged_in", [False, True], ids=["anonymous", "logged-in"])
async def test_malformed_posts(client: Client, logged_in: bool) -> None:
    @settings(settings.get_profile("minside-fuzz"))
    @given(body=bodies, content_type=content_types, accept=ACCEPTS)
    def run(body: bytes, content_type: str, accept: str) -> None:
        headers = {"Accept": accept}
        if content_type:
            headers["Content-Type"] = content_type
        client.request("POST", "/graphql", body, headers, logged_in=logged_in)

    await in_thread(run)


params = st.dictionaries(
    st.sampled_from(["query", "variables", "extensions", "operationName", "x"]),
    st.one_of(
        st.text(max_size=40),
        json_values.map(json.dumps),
        fields.map(lambda value: json.dumps(value.get("extensions"))),
        st.just(VIEWER),
    ),
    max_size=4,
)
raw_query_strings = st.text(
    alphabet=st.characters(min_codepoint=33, max_codepoint=126), max_size=60
).map(lambda text: text.replace("#", "%23"))


async def test_malformed_gets(client: Client) -> None:
    @settings(settings.get_profile("minside-fuzz"))
    @given(
        query=st.one_of(params.map(urlencode), raw_query_strings),
        accept=st.one_of(ACCEPTS, st.just("text/html")),
        method=st.sampled_from(["GET", "GET", "GET", "HEAD", "PUT", "DELETE", "PATCH"]),
        logged_in=st.booleans(),
    )
    def run(query: str, accept: str, method: str, logged_in: bool) -> None:
        client.request(method, f"/graphql?{query}", None, {"Accept": accept}, logged_in=logged_in)

    await in_thread(run)


# --- malformed multipart (GraphQL multipart request spec) -----------------------------------

UPLOAD = (
    "mutation Upload($files: [Upload!]!) { submitApplication(input: "
    '{typeCode: "x", idempotencyKey: "k", fields: [], attachments: $files}) { __typename } }'
)
paths = st.sampled_from(
    [
        "variables.files.0",
        "variables.files.1",
        "variables.files",
        "variables.files.x",
        "variables.nothing.here",
        "variables",
        "query",
        "0.variables.files.0",
        "",
        ".",
        "variables.files.-1",
        "variables.files.99999999999999999999",
    ]
)
operations = st.one_of(
    st.fixed_dictionaries(
        {
            "query": st.sampled_from([UPLOAD, VIEWER, "{ __typename }", "mutation {"]),
            "variables": st.one_of(
                st.just({"files": [None]}),
                st.just({"files": [None, None]}),
                st.just({"files": None}),
                json_values,
            ),
        }
    ).map(json.dumps),
    json_values.map(json.dumps),
    st.text(max_size=20),
)
file_maps = st.one_of(
    st.dictionaries(
        st.sampled_from(["0", "1", "x", ""]),
        st.one_of(st.lists(paths, max_size=3), json_values),
        max_size=3,
    ).map(json.dumps),
    json_values.map(json.dumps),
    st.text(max_size=20),
)


@dataclass
class Part:
    name: str
    content: bytes
    filename: str | None = None
    content_type: str | None = None


def encode_multipart(parts: list[Part], boundary: str) -> bytes:
    out = b""
    for part in parts:
        disposition = f'form-data; name="{part.name}"'
        if part.filename is not None:
            disposition += f'; filename="{part.filename}"'
        head = f"--{boundary}\r\nContent-Disposition: {disposition}\r\n"
        if part.content_type is not None:
            head += f"Content-Type: {part.content_type}\r\n"
        out += head.encode() + b"\r\n" + part.content + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


@st.composite
def multipart_requests(draw: st.DrawFn) -> tuple[bytes, str]:
    parts: list[Part] = []
    if draw(st.booleans()) or draw(st.booleans()):
        as_file = draw(st.booleans()) and draw(st.booleans())
        parts.append(Part("operations", draw(operations).encode(), "ops.json" if as_file else None))
    if draw(st.booleans()) or draw(st.booleans()):
        parts.append(Part("map", draw(file_maps).encode()))
    for name in draw(st.lists(st.sampled_from(["0", "1", "x"]), max_size=3)):
        parts.append(
            Part(
                name,
                draw(st.sampled_from([b"%PDF-1.4\n", b"", b"\x00" * 100, b"GIF89a"])),
                draw(st.sampled_from(["a.pdf", "", "../../etc/passwd", "x.exe"])),
                draw(st.sampled_from(["application/pdf", "image/gif", None, "x"])),
            )
        )
    if draw(st.booleans()):
        parts = draw(st.permutations(parts))
    boundary = "fuzzboundary"
    body = encode_multipart(parts, boundary)
    damage = draw(st.sampled_from(["none", "none", "truncate", "no-boundary", "other-boundary"]))
    content_type = f"multipart/form-data; boundary={boundary}"
    if damage == "truncate":
        body = body[: draw(st.integers(min_value=0, max_value=len(body)))]
    elif damage == "no-boundary":
        content_type = "multipart/form-data"
    elif damage == "other-boundary":
        content_type = "multipart/form-data; boundary=other"
    return body, content_type


async def test_malformed_multipart(client: Client) -> None:
    # An upload's temporary file left open is only seen when it is garbage-collected: collect
    # after each request, so the example that leaked one is the one that fails.
    leaked: list[str] = []
    hook = sys.unraisablehook

    def unraisable(info: Any) -> None:
        leaked.append(f"{info.exc_type.__name__}: {info.exc_value}")

    @settings(settings.get_profile("minside-fuzz"))
    @given(request=multipart_requests(), logged_in=st.booleans(), preflight=st.booleans())
    def run(request: tuple[bytes, str], logged_in: bool, preflight: bool) -> None:
        body, content_type = request
        headers = {"Content-Type": content_type}
        if preflight:
            headers["Apollo-Require-Preflight"] = "true"
        client.request("POST", "/graphql", body, headers, logged_in=logged_in)
        gc.collect()
        assert not leaked, leaked
        leaked.clear()

    sys.unraisablehook = unraisable
    try:
        await in_thread(run)
    finally:
        sys.unraisablehook = hook
