"""Malformed requests over real HTTP: a 4xx with a typed JSON error, never a 500, and
nothing executed (issue 12, "Malformed requests get a 4xx and a typed error").

Each request carries a query that would call Public 360 for the viewer; that no back-office
system was called shows nothing was executed.
"""

from __future__ import annotations

import io
import json
import logging
import re
import socket
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import pytest

from kernel.systems import SYSTEM_NAMES
from tests.graph.conftest import GraphClient

VIEWER = "query Who { viewer { name { fullName } } }"
UPLOAD = (
    "mutation Upload($files: [Upload!]!) { submitApplication(input: "
    '{type: "x", idempotencyKey: "k", fields: [], attachments: $files}) { __typename } }'
)


async def nothing_called(graph: GraphClient) -> None:
    for system in SYSTEM_NAMES:
        calls = await graph.calls(system)
        assert not any(calls.values()), (system, calls)


def assert_bad_request(status: int, text: str, expected: int = 400) -> dict[str, Any]:
    assert status == expected, text
    body: dict[str, Any] = json.loads(text)
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_REQUEST", body
    assert isinstance(error["message"], str)
    assert "data" not in body
    return body


async def post_raw(
    graph: GraphClient, body: bytes, content_type: str = "application/json"
) -> tuple[int, str, str]:
    headers = {
        "Content-Type": content_type,
        "Authorization": f"Bearer {graph.stack.token(graph.pid(1))}",
    }
    async with graph.http.post(
        f"{graph.stack.gateway_url}/graphql", data=io.BytesIO(body), headers=headers
    ) as response:
        return response.status, response.headers.get("Content-Type", ""), await response.text()


@pytest.mark.parametrize("body", [b'"x"', b"null", b"1", b"[]", b"true"])
async def test_a_json_body_that_is_not_an_object_is_a_400(graph: GraphClient, body: bytes) -> None:
    status, content_type, text = await post_raw(graph, body)
    assert_bad_request(status, text)
    assert "json" in content_type
    await nothing_called(graph)


async def test_a_body_that_is_not_utf8_is_a_400(graph: GraphClient) -> None:
    body = b'{"query": "' + b"{ viewer { name { fullName } } } # " + b'\xff\xfe"}'
    status, _, text = await post_raw(graph, body)
    assert_bad_request(status, text)
    await nothing_called(graph)


@pytest.mark.gateway(graphql_max_body_bytes=1_000_000)
async def test_deeply_nested_extensions_are_a_400(graph: GraphClient) -> None:
    nested = "[" * 100_000 + "]" * 100_000
    body = f'{{"query": "{VIEWER}", "extensions": {{"x": {nested}}}}}'.encode()
    status, _, text = await post_raw(graph, body)
    assert_bad_request(status, text)
    await nothing_called(graph)


async def test_an_integer_of_too_many_digits_is_a_400(graph: GraphClient) -> None:
    body = f'{{"query": "{VIEWER}", "variables": {{"n": {"9" * 5000}}}}}'.encode()
    status, _, text = await post_raw(graph, body)
    body_json = assert_bad_request(status, text)
    assert "99999999999" not in json.dumps(body_json)
    await nothing_called(graph)


async def test_a_lone_surrogate_in_the_operation_name_is_a_400(graph: GraphClient) -> None:
    body = json.dumps({"query": VIEWER, "operationName": "\ud800"}).encode()  # \ud800 escaped
    status, _, text = await post_raw(graph, body)
    assert_bad_request(status, text)
    await nothing_called(graph)


async def test_an_unknown_operation_name_is_not_echoed(graph: GraphClient) -> None:
    body = json.dumps({"query": VIEWER, "operationName": "Op12345678901"}).encode()
    status, _, text = await post_raw(graph, body)
    assert_bad_request(status, text)
    assert "12345678901" not in text
    await nothing_called(graph)


@pytest.mark.parametrize(
    "body",
    [
        {"query": 1},
        {"query": VIEWER, "variables": "x"},
        {"query": VIEWER, "extensions": []},
        {"query": VIEWER, "operationName": 1},
        {},
    ],
)
async def test_invalid_parameters_are_a_400(graph: GraphClient, body: dict[str, Any]) -> None:
    status, _, text = await post_raw(graph, json.dumps(body).encode())
    assert_bad_request(status, text)
    assert not re.search(r"\d{11}|<\w+ object", text)
    await nothing_called(graph)


def multipart(
    operations: Any, file_map: Any, *, operations_as_file: bool = False
) -> aiohttp.FormData:
    form = aiohttp.FormData(default_to_multipart=True)
    ops = operations if isinstance(operations, str) else json.dumps(operations)
    if operations_as_file:
        form.add_field("operations", io.BytesIO(ops.encode()), filename="ops.json")
    else:
        form.add_field("operations", ops)
    form.add_field("map", file_map if isinstance(file_map, str) else json.dumps(file_map))
    form.add_field("0", io.BytesIO(b"%PDF-1.4\n"), filename="a.pdf", content_type="application/pdf")
    return form


OPERATIONS = {"query": UPLOAD, "variables": {"files": [None]}}

MULTIPART_SHAPES = {
    "map is a list": (OPERATIONS, [["variables.files.0"]], False),
    "map is a string": (OPERATIONS, '"x"', False),
    "map entry is not a list": (OPERATIONS, {"0": "variables.files.0"}, False),
    "map path is not a string": (OPERATIONS, {"0": [1]}, False),
    "map path does not resolve": (OPERATIONS, {"0": ["variables.nothing.here"]}, False),
    "map path indexes a list with a word": (OPERATIONS, {"0": ["variables.files.x"]}, False),
    "map names a missing file": (OPERATIONS, {"9": ["variables.files.0"]}, False),
    "operations is a list": ([OPERATIONS], {"0": ["0.variables.files.0"]}, False),
    "operations is a string": ('"x"', {"0": ["variables.files.0"]}, False),
    "operations is a file part": (OPERATIONS, {"0": ["variables.files.0"]}, True),
    "map is not JSON": (OPERATIONS, "{", False),
}


@pytest.mark.parametrize("shape", MULTIPART_SHAPES)
async def test_malformed_multipart_is_a_400(graph: GraphClient, shape: str) -> None:
    operations, file_map, as_file = MULTIPART_SHAPES[shape]
    headers = {
        "Authorization": f"Bearer {graph.stack.token(graph.pid(1))}",
        "Apollo-Require-Preflight": "true",
    }
    async with graph.http.post(
        f"{graph.stack.gateway_url}/graphql",
        data=multipart(operations, file_map, operations_as_file=as_file),
        headers=headers,
    ) as response:
        text = await response.text()
        assert_bad_request(response.status, text)
        assert not re.search(r"<\w+ object|UploadFile", text)
    await nothing_called(graph)


async def test_http_errors_are_json_with_a_code(graph: GraphClient) -> None:
    status, content_type, text = await post_raw(graph, b"{not json")
    assert_bad_request(status, text)
    assert content_type.startswith("application/json")


async def test_a_client_that_stops_sending_is_one_info_line(
    graph: GraphClient, caplog: pytest.LogCaptureFixture
) -> None:
    url = urlsplit(graph.stack.gateway_url)
    caplog.set_level(logging.INFO)
    with socket.create_connection((url.hostname, url.port)) as sock:
        sock.sendall(
            b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b'Content-Length: 1000\r\n\r\n{"query": '
        )
        sock.shutdown(socket.SHUT_WR)
        sock.settimeout(10)
        try:
            while sock.recv(4096):
                pass
        except OSError:
            pass
    # The server handles the disconnect after the socket closes; a normal request after it
    # makes sure it has.
    async with graph.http.get(f"{graph.stack.gateway_url}/healthz") as response:
        assert response.status == 200
    for _ in range(50):
        if any("disconnect" in r.getMessage().lower() for r in caplog.records):
            break
        import asyncio

        await asyncio.sleep(0.1)
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR], [
        (r.name, r.getMessage()) for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR
    ]
    lines = [r for r in caplog.records if "disconnect" in r.getMessage().lower()]
    assert len(lines) == 1 and lines[0].levelno == logging.INFO, [r.getMessage() for r in lines]
