"""The request id: a sane incoming X-Request-Id is kept, anything else replaced by a new one;
it is in the contextvar (so in log lines) while the request runs and echoed in the response."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gateway.request_id import RequestIdMiddleware, accepted_request_id, new_request_id
from kernel.logs import current_request_id


@pytest.mark.parametrize(
    "given",
    ["partner-1234", "0f1e2d3c4b5a69788796a5b4c3d2e1f0", "a.b_c:d-e", "x" * 64],
)
def test_a_sane_incoming_id_is_kept(given: str) -> None:
    assert accepted_request_id(given) == given


@pytest.mark.parametrize(
    "given",
    [
        None,
        "",
        "short",
        "x" * 65,
        "has space1",
        "new\nline-forged",
        "æøå-12345",
        "a;b=c,d1234",
        "13818097953",  # 11 digits: could be a fødselsnummer aimed at the logs
        "case-13818097953-x",
        "case-138180-97953",  # the same number as the log redaction also reads it
    ],
)
def test_anything_else_is_replaced(given: str | None) -> None:
    replaced = accepted_request_id(given)
    assert replaced != given
    assert len(replaced) == 32 and int(replaced, 16) >= 0


def test_new_ids_differ() -> None:
    assert new_request_id() != new_request_id()


async def call(headers: list[tuple[bytes, bytes]]) -> tuple[str | None, dict[bytes, bytes]]:
    seen: dict[str, str | None] = {}

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen["inside"] = current_request_id()
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    scope = {"type": "http", "method": "GET", "path": "/", "headers": headers}
    await RequestIdMiddleware(app)(scope, receive, send)
    assert current_request_id() is None  # reset after the request
    return seen["inside"], dict(sent[0]["headers"])


async def test_the_id_is_set_while_the_request_runs_and_echoed() -> None:
    inside, headers = await call([(b"x-request-id", b"partner-1234")])
    assert inside == "partner-1234"
    assert headers[b"x-request-id"] == b"partner-1234"


async def test_a_request_without_an_id_gets_one() -> None:
    inside, headers = await call([])
    assert inside is not None and headers[b"x-request-id"] == inside.encode()


async def test_a_forged_id_is_not_echoed() -> None:
    inside, headers = await call([(b"x-request-id", b"evil\r\nSet-Cookie: x")])
    assert inside is not None and b"evil" not in headers[b"x-request-id"]


async def test_a_fault_escaping_the_app_is_logged_once_and_answered_500_with_the_id(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise RuntimeError("boom in a route")

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    scope = {
        "type": "http",
        "method": "GET",
        "path": "/auth/login",
        "headers": [(b"x-request-id", b"partner-1234")],
    }
    with caplog.at_level("INFO"):
        await RequestIdMiddleware(app)(scope, receive, send)
    start, body = sent[0], sent[1]
    assert start["status"] == 500
    assert dict(start["headers"])[b"x-request-id"] == b"partner-1234"
    error = json.loads(body["body"])["errors"][0]
    assert error["extensions"] == {"code": "INTERNAL", "requestId": "partner-1234"}
    assert "boom" not in body["body"].decode()  # the exception's text stays in the log
    (record,) = [r for r in caplog.records if r.levelname == "ERROR"]
    assert "partner-1234" in record.getMessage() and record.exc_info is not None
