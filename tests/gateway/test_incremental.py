"""gateway.incremental: the 2022-08-24 fields, the merged JSON body and Accept parsing.

Payloads are written in graphql-core 3.3's shape as strawberry formats them (pending ids,
``subPath``, stream ``items`` without an index, whole-fragment errors in ``completed``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncGenerator
from typing import Any

import pytest
from graphql import GraphQLError, IncrementalDeferResult, SubsequentIncrementalExecutionResult
from graphql.execution import CompletedResult

from gateway.incremental import (
    Defer20220824,
    accepts_multipart,
    mask_internal_errors,
    merge_payloads,
    wants_defer_20220824,
)
from kernel.logs import request_id
from schema.observe import observe_deferred

# The GraphQL tests' back office and per-test gateway, for the tests over HTTP below.
from tests.graph.conftest import back_office, graph  # noqa: F401

INITIAL = {
    "data": {"viewer": {"name": "Tuva", "meters": [{"n": 1}]}},
    "hasNext": True,
    "pending": [
        {"id": "0", "path": ["viewer"], "label": "slow"},
        {"id": "1", "path": ["viewer", "meters"]},
    ],
}
FAILED = {
    "hasNext": True,
    "completed": [{"id": "0", "errors": [{"message": "down", "path": ["viewer", "x"]}]}],
}
STREAMED = [
    {"hasNext": True, "incremental": [{"id": "1", "items": [{"n": 2}, {"n": 3}]}]},
    {"hasNext": False, "incremental": [{"id": "1", "items": [{"n": 4}]}], "completed": []},
]


def test_a_whole_fragment_failure_is_data_null_for_a_2022_client_only() -> None:
    legacy = Defer20220824(failed_as_null=True)
    legacy(INITIAL)
    (entry,) = legacy(FAILED)["incremental"]
    assert entry == {
        "data": None,
        "path": ["viewer"],
        "label": "slow",
        "errors": [{"message": "down", "path": ["viewer", "x"]}],
    }

    newer = Defer20220824(failed_as_null=False)
    newer(INITIAL)
    assert "incremental" not in newer(FAILED)  # its errors stay in `completed`


def test_streamed_items_get_their_index_in_the_path() -> None:
    adapter = Defer20220824(failed_as_null=True)
    adapter(INITIAL)
    paths = [entry["path"] for part in STREAMED for entry in adapter(part)["incremental"]]
    assert paths == [["viewer", "meters", 1], ["viewer", "meters", 3]]


def test_sub_path_is_added_to_the_fragments_path() -> None:
    adapter = Defer20220824(failed_as_null=True)
    adapter({"data": {}, "hasNext": True, "pending": [{"id": "0", "path": []}]})
    part = {"hasNext": False, "incremental": [{"id": "0", "subPath": ["viewer"], "data": {}}]}
    (entry,) = adapter(part)["incremental"]
    assert entry["path"] == ["viewer"] and entry["id"] == "0"
    assert "label" not in entry


def test_the_merged_body_has_every_part_and_every_error() -> None:
    adapter = Defer20220824(failed_as_null=True)
    payloads = [
        adapter(INITIAL),
        adapter({"hasNext": True, "incremental": [{"id": "0", "data": {"age": 3}}]}),
        *(adapter(part) for part in STREAMED),
        adapter(FAILED),
    ]
    merged = merge_payloads(payloads)
    assert merged["data"] == {
        "viewer": {"name": "Tuva", "age": 3, "meters": [{"n": 1}, {"n": 2}, {"n": 3}, {"n": 4}]}
    }
    assert merged["errors"] == [{"message": "down", "path": ["viewer", "x"]}]


@pytest.mark.parametrize(
    ("accept", "multipart", "legacy"),
    [
        ("multipart/mixed;deferSpec=20220824, application/json", True, True),
        ('multipart/mixed; deferSpec="20220824"', True, True),
        ("application/json, Multipart/Mixed", True, False),
        ("*/*", False, False),
        ("application/json", False, False),
        ("", False, False),
        ("multipart/mixed;subscriptionSpec=1.0", True, False),
    ],
)
def test_accept(accept: str, multipart: bool, legacy: bool) -> None:
    assert accepts_multipart(accept) is multipart
    assert wants_defer_20220824(accept) is legacy


def test_null_extensions_are_left_out() -> None:
    adapter = Defer20220824(failed_as_null=False)
    assert "extensions" not in adapter({**INITIAL, "extensions": None})
    assert adapter({"hasNext": False, "extensions": {"cost": 1}})["extensions"] == {"cost": 1}


def test_a_deferred_fault_is_masked_as_internal_with_the_request_id(
    caplog, fresh_budgets: None
) -> None:
    fault = {
        "message": "db password hunter2",
        "locations": [{"line": 3, "column": 5}],
        "path": ["viewer", "x"],
    }
    typed = {"message": "Matrikkel is unavailable", "extensions": {"code": "SOURCE_UNAVAILABLE"}}
    payload = {
        "incremental": [{"data": {"x": None}, "errors": [fault, typed], "id": "0"}],
        "completed": [{"id": "1", "errors": [dict(fault)]}],
        "hasNext": False,
    }
    token = request_id.set("req-12345678")
    try:
        mask_internal_errors(payload)
    finally:
        request_id.reset(token)
    masked, kept = payload["incremental"][0]["errors"]
    assert kept == typed
    assert masked["extensions"] == {"code": "INTERNAL", "requestId": "req-12345678"}
    assert masked["path"] == ["viewer", "x"] and masked["locations"] == fault["locations"]
    assert "hunter2" not in str(payload)
    # One bounded line for the payload, however many fields.
    (line,) = [r for r in caplog.records if r.name == "minside.graphql"]
    assert line.levelname == "ERROR" and "1 more field" in line.getMessage()


# --- over HTTP: deferred parts' errors go through the schema's coded, bounded logging -------

ALIASES = 120


def _deferred_probe(field: str) -> str:
    fields = " ".join(f"f{i}: {field}" for i in range(ALIASES))
    return f'query Probe {{ externalServices {{ id }} ... @defer(label: "many") {{ {fields} }} }}'


@pytest.fixture
def fresh_budgets(monkeypatch: pytest.MonkeyPatch) -> None:
    from schema import observe

    for name in ("CLIENT_LINES", "SOURCE_LINES", "FAULT_LINES"):
        budget = getattr(observe, name)
        monkeypatch.setattr(
            observe, name, observe.BoundedLog(budget.logger, budget.kind, budget.per_second)
        )


@pytest.mark.integration
@pytest.mark.gateway(graphql_max_aliases=500, graphql_max_fields=1000)
@pytest.mark.parametrize("accept", ["multipart/mixed;deferSpec=20220824", "application/json"])
async def test_many_failing_deferred_fields_are_one_coded_log_line(
    graph,  # noqa: F811 (the fixture)
    caplog: pytest.LogCaptureFixture,
    fresh_budgets: None,
    accept: str,
) -> None:
    # Anonymous: every deferred node(id:) fails with UNAUTHENTICATED, after the initial part.
    query = _deferred_probe('node(id: "Q2l0aXplbjox") { id }')
    with caplog.at_level(logging.INFO):
        async with graph.http.post(
            f"{graph.stack.gateway_url}/graphql",
            json={"query": query},
            headers={"Accept": accept},
        ) as response:
            assert response.status == 200
            text = await response.text()
    assert text.count('"code":"UNAUTHENTICATED"') == ALIASES, text[:500]
    assert not re.search(r"\d{11}", text)
    lines = [r for r in caplog.records if r.name == "minside.graphql"]
    assert len(lines) == 1, [r.getMessage() for r in lines]
    assert lines[0].levelno == logging.INFO and not lines[0].exc_info
    assert f"operation Probe: {ALIASES} (UNAUTHENTICATED×{ALIASES})" in lines[0].getMessage()


# --- schema.observe.observe_deferred: graphql-core's later parts, before they are formatted ---


def _subsequent(errors: list[GraphQLError], failed: list[GraphQLError]) -> Any:
    return SubsequentIncrementalExecutionResult(
        incremental=[IncrementalDeferResult(data={"x": None}, id="0", errors=errors)],
        completed=[CompletedResult(id="1", errors=failed)],
        has_next=False,
    )


def _fault(index: int) -> GraphQLError:
    try:
        raise RuntimeError("db password hunter2")
    except RuntimeError as exc:
        return GraphQLError(str(exc), path=["f", index], original_error=exc)


async def test_deferred_faults_and_client_errors_are_coded_masked_and_logged_once(
    caplog: pytest.LogCaptureFixture, fresh_budgets: None
) -> None:
    faults = [_fault(i) for i in range(200)]
    # A client's mistake echoing an 11-digit number, as graphql-core's messages may.
    echoed = GraphQLError(
        "Int cannot represent non 32-bit signed integer value: 13818097953",
        path=["g"],
        original_error=GraphQLError("coercion"),
        extensions={"code": "BAD_USER_INPUT"},
    )
    unauthenticated = [
        GraphQLError("log in", path=["n", i], extensions={"code": "UNAUTHENTICATED"})
        for i in range(100)
    ]

    async def results() -> AsyncGenerator[Any, None]:
        yield _subsequent([*faults[:100], echoed], unauthenticated)
        yield _subsequent(faults[100:], [])

    token = request_id.set("req-87654321")
    try:
        with caplog.at_level(logging.INFO):
            sent = [result async for result in observe_deferred(results(), "Probe")]
    finally:
        request_id.reset(token)
    errors = [
        error
        for result in sent
        for part in (*result.incremental, *result.completed)
        for error in part.errors or ()
    ]
    assert len(errors) == 301
    assert all((error.extensions or {}).get("code") for error in errors)
    internal = [e for e in errors if e.extensions["code"] == "INTERNAL"]
    assert len(internal) == 200
    assert {e.extensions["requestId"] for e in internal} == {"req-87654321"}
    assert "hunter2" not in str([e.formatted for e in errors])
    assert not re.search(r"\d{11}", str([e.formatted for e in errors]))
    lines = [r for r in caplog.records if r.name == "minside.graphql"]
    assert sorted(r.levelname for r in lines) == ["ERROR", "INFO"], [r.getMessage() for r in lines]
    (fault,) = [r for r in lines if r.levelname == "ERROR"]
    assert "199 more field(s)" in fault.getMessage() and "operation Probe" in fault.getMessage()
    assert fault.exc_info is not None  # the first fault's traceback, once
    (client,) = [r for r in lines if r.levelname == "INFO"]
    assert "operation Probe: 101 (BAD_USER_INPUT×1, UNAUTHENTICATED×100)" in client.getMessage()


async def test_deferred_errors_are_logged_when_the_client_goes_away(
    caplog: pytest.LogCaptureFixture, fresh_budgets: None
) -> None:
    async def results() -> AsyncGenerator[Any, None]:
        yield _subsequent([_fault(0)], [])
        yield _subsequent([_fault(1)], [])

    stream = observe_deferred(results(), "Probe")
    with caplog.at_level(logging.INFO):
        await anext(stream)
        await stream.aclose()  # the response was not read to its end
    (line,) = [r for r in caplog.records if r.name == "minside.graphql"]
    assert line.levelname == "ERROR"


@pytest.mark.integration
async def test_errors_of_the_initial_part_of_a_deferred_response_are_logged(
    graph,  # noqa: F811 (the fixture)
    caplog: pytest.LogCaptureFixture,
    fresh_budgets: None,
) -> None:
    fields = " ".join(f'n{i}: node(id: "Q2l0aXplbjox") {{ id }}' for i in range(20))
    query = f'query Early {{ {fields} ... @defer(label: "later") {{ externalServices {{ id }} }} }}'
    with caplog.at_level(logging.INFO):
        async with graph.http.post(
            f"{graph.stack.gateway_url}/graphql",
            json={"query": query},
            headers={"Accept": "multipart/mixed;deferSpec=20220824"},
        ) as response:
            assert response.status == 200
            text = await response.text()
    assert text.count('"code":"UNAUTHENTICATED"') == 20, text[:500]
    (line,) = [r for r in caplog.records if r.name == "minside.graphql"]
    assert "operation Early: 20 (UNAUTHENTICATED×20)" in line.getMessage()
