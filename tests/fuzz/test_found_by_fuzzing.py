"""What the fuzz tests (``test_fuzz_graphql.py``) found, each pinned by a deterministic test."""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from gateway.http_protocol import GraphQLRequest, RequestRefused

FILE_PART = b'--b\r\nContent-Disposition: form-data; name="0"; filename="a.pdf"\r\n\r\n%PDF-1.4'


@pytest.fixture
def unraisable() -> Iterator[list[str]]:
    """What was garbage-collected with a warning (an unclosed file) during the test."""
    seen: list[str] = []
    hook = sys.unraisablehook
    sys.unraisablehook = lambda info: seen.append(f"{info.exc_type.__name__}: {info.exc_value}")
    try:
        yield seen
    finally:
        sys.unraisablehook = hook


def multipart_request(body: bytes) -> GraphQLRequest:
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/graphql",
        "headers": [(b"content-type", b"multipart/form-data; boundary=b")],
    }
    return GraphQLRequest(scope, receive)


@pytest.mark.parametrize("cut", [len(FILE_PART), len(FILE_PART) - 3, 30])
async def test_a_multipart_body_cut_off_in_a_file_part_is_refused_and_its_file_closed(
    unraisable: list[str], cut: int
) -> None:
    # Starlette parsed it as a form without the part, leaving the part's temporary file open.
    request = multipart_request(FILE_PART[:cut])
    with pytest.raises(RequestRefused) as refused:
        await request.form()
    await request.close()
    del request
    gc.collect()
    assert refused.value.status_code == 400
    assert not unraisable


async def test_a_complete_multipart_body_still_parses(unraisable: list[str]) -> None:
    request = multipart_request(FILE_PART + b"\r\n--b--\r\n")
    form = await request.form()
    upload = form["0"]
    assert not isinstance(upload, str) and upload.filename == "a.pdf"
    assert await upload.read() == b"%PDF-1.4"
    await request.close()
    gc.collect()
    assert not unraisable
