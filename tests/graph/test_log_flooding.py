"""A flood of failing fields is one log line: 450 aliased ``node(id:)`` fields of an anonymous
request once wrote megabytes of log (a traceback per field), and a client sending such
requests back to back slowed every other citizen's requests."""

from __future__ import annotations

import logging

import pytest

from schema import observe


@pytest.fixture(autouse=True)
def fresh_budgets(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CLIENT_LINES", "SOURCE_LINES", "FAULT_LINES"):
        budget = getattr(observe, name)
        monkeypatch.setattr(
            observe, name, observe.BoundedLog(budget.logger, budget.kind, budget.per_second)
        )


# Above the alias limit (schema.cost), which would refuse the request before any field fails.
@pytest.mark.gateway(graphql_max_aliases=500, graphql_max_fields=1000)
async def test_450_aliased_node_fields_of_an_anonymous_request_are_one_line(
    graph, caplog: pytest.LogCaptureFixture
) -> None:
    fields = " ".join(f'n{i}: node(id: "Q2l0aXplbjox{i}") {{ id }}' for i in range(450))
    query = f"query Probe {{ {fields} }}"
    assert 10_000 < len(query.encode()) < 20_000
    with caplog.at_level(logging.INFO):
        url = f"{graph.stack.gateway_url}/graphql"
        async with graph.http.post(url, json={"query": query}) as response:
            assert response.status == 200
            body = await response.json()
    assert len(body["errors"]) == 450
    lines = [r for r in caplog.records if r.levelno >= logging.INFO and r.name != "aiohttp.access"]
    (line,) = [r for r in lines if r.name == "minside.graphql"]
    assert line.levelno == logging.INFO and not line.exc_info
    assert "operation Probe: 450 (" in line.getMessage()
    assert len(lines) <= 3, [r.getMessage() for r in lines]
    assert sum(len(r.getMessage()) for r in lines) < 1000
