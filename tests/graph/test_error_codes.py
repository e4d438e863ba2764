"""Every GraphQL error carries a documented ``extensions.code``, and no message echoes an
11-digit number or a Python object the client sent (issue 12, "inside GraphQL")."""

from __future__ import annotations

import json
import re

import pytest

from kernel.errors import ErrorCode
from simulators.population import documented
from tests.graph.submission.helpers import SUBMIT_READING, homeowner_meter, reading_input

PID_LIKE = "13818097953"
ELEVEN_DIGITS = re.compile(r"(?<![0-9])[0-9]{11}(?![0-9])")


async def post(graph, query, variables=None, pid=None):
    headers = {}
    if pid is not None:
        headers["Authorization"] = f"Bearer {graph.stack.token(pid, 'idporten-loa-substantial')}"
    async with graph.http.post(
        f"{graph.stack.gateway_url}/graphql",
        json={"query": query, "variables": variables or {}},
        headers=headers,
    ) as response:
        text = await response.text()
        assert response.status < 500, text
        return response.status, json.loads(text), text


def the_code(body):
    (error,) = body["errors"]
    return error["extensions"]["code"]


async def test_a_syntax_error_is_graphql_parse_failed(graph):
    _, body, _ = await post(graph, "{ viewer { ")
    assert the_code(body) == ErrorCode.GRAPHQL_PARSE_FAILED


async def test_a_validation_error_is_graphql_validation_failed(graph):
    _, body, _ = await post(graph, "{ noSuchField }")
    assert the_code(body) == ErrorCode.GRAPHQL_VALIDATION_FAILED


async def test_a_variable_that_does_not_coerce_is_bad_user_input(graph):
    _, body, _ = await post(
        graph, "query($id: ID!) { node(id: $id) { id } }", {"id": {"an": "object"}}
    )
    assert the_code(body) == ErrorCode.BAD_USER_INPUT


@pytest.mark.gateway(graphql_max_depth=2)
async def test_too_deep_is_depth_limit_exceeded(graph):
    deep = "{ viewer { properties { nodes { id } } } }"
    _, body, _ = await post(graph, deep)
    assert {e["extensions"]["code"] for e in body["errors"]} == {ErrorCode.DEPTH_LIMIT_EXCEEDED}


async def test_too_many_tokens_is_token_limit_exceeded(graph):
    many = "{ " + " ".join(f"a{i}: __typename" for i in range(3000)) + " }"
    _, body, _ = await post(graph, many)
    assert the_code(body) == ErrorCode.TOKEN_LIMIT_EXCEEDED


async def test_an_eleven_digit_number_is_not_echoed(graph):
    pid = graph.pid(documented.HOMEOWNER)
    meter = homeowner_meter(graph)
    literal = f"{{ viewer {{ cases(first: {PID_LIKE}) {{ nodes {{ caseNumber }} }} }} }}"
    wrong_variable = reading_input(meter, readOn=int(PID_LIKE))
    for query, variables in [
        (literal, None),
        (
            "query($n: Int) { viewer { cases(first: $n) { nodes { caseNumber } } } }",
            {"n": int(PID_LIKE)},
        ),
        (
            "query($n: Int) { viewer { cases(first: $n) { nodes { caseNumber } } } }",
            {"n": PID_LIKE},
        ),
        (SUBMIT_READING, {"input": wrong_variable}),
    ]:
        _, body, text = await post(graph, query, variables, pid=pid)
        assert body["errors"], body
        assert all(e["extensions"]["code"] for e in body["errors"]), body
        assert not ELEVEN_DIGITS.search(text), text
