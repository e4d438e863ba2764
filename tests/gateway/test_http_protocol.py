"""gateway.http_protocol without a server: negotiation, the JSON guard, request errors."""

from __future__ import annotations

import pytest
from graphql import GraphQLError
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError

from gateway.http_protocol import (
    GRAPHQL_RESPONSE_JSON,
    JSON,
    MAX_JSON_DEPTH,
    RequestRefused,
    decode_json_object,
    is_request_error,
    negotiate,
)


@pytest.mark.parametrize(
    ("accept", "media"),
    [
        (None, JSON),
        ("", JSON),
        ("*/*", JSON),
        ("application/*", JSON),
        ("application/json", JSON),
        (GRAPHQL_RESPONSE_JSON, GRAPHQL_RESPONSE_JSON),
        (f"{GRAPHQL_RESPONSE_JSON},application/json;q=0.9", GRAPHQL_RESPONSE_JSON),  # Apollo
        (f"application/json;q=1, {GRAPHQL_RESPONSE_JSON};q=0.5", JSON),
        (f"{GRAPHQL_RESPONSE_JSON};q=0, application/json", JSON),
        ("multipart/mixed;deferSpec=20220824", JSON),
        ("text/html", None),
        ("application/xml, text/plain;q=0.5", None),
        ("application/json;q=0", None),
        ("application/json;q=bogus", None),
    ],
)
def test_negotiate(accept: str | None, media: str | None) -> None:
    assert negotiate(accept) == media


def test_nesting_up_to_the_limit_is_accepted_and_beyond_refused() -> None:
    deep = "[" * (MAX_JSON_DEPTH - 1) + "]" * (MAX_JSON_DEPTH - 1)
    assert decode_json_object(f'{{"x": {deep}}}') == {"x": eval(deep)}  # noqa: S307
    with pytest.raises(RequestRefused) as refused:
        decode_json_object('{"x": ' + "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH + "}")
    assert refused.value.status_code == 400


def test_brackets_inside_strings_do_not_count() -> None:
    text = '{"query": "' + "[{" * 1000 + '\\" [[[["}'
    assert decode_json_object(text)["query"].startswith("[{")


@pytest.mark.parametrize(
    "body",
    [
        b'"x"',
        b"null",
        b"1",
        b"[]",
        b"\xff{}",
        b"{",
        b'{"n": ' + b"9" * 5000 + b"}",
        "{\ud800}",
        b'{"n": NaN}',
        b'{"n": -Infinity}',
    ],
)
def test_refused_bodies(body: bytes | str) -> None:
    with pytest.raises(RequestRefused) as refused:
        decode_json_object(body)
    assert refused.value.status_code == 400
    assert "9999" not in refused.value.reason


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 1_000_000,
        b'["' + b'\\"' * 400_000 + b"]",
        b'"' * 1_000_000,
        b"[" + b"[1]," * 200_000 + b"[1]]",
    ],
)
def test_the_guard_refuses_a_megabyte_of_nesting_or_quotes(body: bytes) -> None:
    # How long it takes (linear in the size) is measured by `python -m bench.request_guard`.
    with pytest.raises(RequestRefused) as refused:
        decode_json_object(body)
    assert refused.value.status_code == 400


def test_request_errors_are_those_without_execution() -> None:
    assert is_request_error(PreExecutionError(data=None, errors=[GraphQLError("Syntax")]))
    coercion = GraphQLError("Variable '$id' of required type 'ID!' was not provided.")
    assert is_request_error(ExecutionResult(data=None, errors=[coercion]))
    field = GraphQLError("boom", path=["viewer"])
    assert not is_request_error(ExecutionResult(data=None, errors=[field]))
    assert not is_request_error(ExecutionResult(data={"a": 1}, errors=None))
