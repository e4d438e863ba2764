"""How GraphQL errors are logged and what the client sees: a client's mistake is one INFO line,
a back-office failure one WARNING line, a fault of the gateway one ERROR with its traceback and
the request id, and the client gets INTERNAL with that request id instead of the fault's text."""

from __future__ import annotations

import logging

import pytest
import strawberry

from kernel.errors import ErrorCode
from kernel.logs import request_id
from resolvers.errors import SourceError
from schema import observe
from schema.build import MinsideSchema, build_schema
from schema.errors import Unauthenticated
from schema.observe import (
    INTERNAL_MESSAGE,
    MaskInternalErrors,
    OperationRecord,
    RecordOperation,
    current_operation,
)

SECRET = "connection string with password hunter2"


@strawberry.type
class Query:
    @strawberry.field
    def fine(self) -> str:
        return "yes"

    @strawberry.field
    def bug(self) -> str | None:
        raise RuntimeError(SECRET)

    @strawberry.field
    def down(self) -> str | None:
        raise SourceError("visma", ErrorCode.SOURCE_UNAVAILABLE, "Visma is unavailable")

    @strawberry.field
    def private(self) -> str | None:
        raise Unauthenticated()


SCHEMA = MinsideSchema(
    query=Query, extensions=[lambda: MaskInternalErrors(), lambda: RecordOperation()]
)


def test_the_gateways_schema_is_built_with_them() -> None:
    schema = build_schema()
    assert isinstance(schema, MinsideSchema)
    names = {type(factory()).__name__ for factory in schema.extensions}  # type: ignore[operator]
    assert {"MaskInternalErrors", "RecordOperation"} <= names


async def run(query: str, caplog: pytest.LogCaptureFixture) -> tuple[object, OperationRecord]:
    record = OperationRecord()
    token = current_operation.set(record)
    rid = request_id.set("req-abcdef12")
    try:
        with caplog.at_level(logging.DEBUG, logger="minside.graphql"):
            result = await SCHEMA.execute(query)
    finally:
        request_id.reset(rid)
        current_operation.reset(token)
    return result, record


def logged(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name in ("minside.graphql", "strawberry.execution")]


async def test_a_fault_is_logged_once_with_traceback_and_masked_as_internal(caplog) -> None:
    result, record = await run("query Q { fine bug }", caplog)
    (error,) = result.errors  # type: ignore[attr-defined]
    assert error.message == INTERNAL_MESSAGE
    assert error.extensions == {"code": "INTERNAL", "requestId": "req-abcdef12"}
    assert SECRET not in str(error.formatted)
    assert result.data == {"fine": "yes", "bug": None}  # type: ignore[attr-defined]
    (line,) = logged(caplog)
    assert line.levelno == logging.ERROR
    assert line.exc_info is not None and isinstance(line.exc_info[1], RuntimeError)
    assert "req-abcdef12" in line.getMessage() and "bug" in line.getMessage()
    assert record.outcome == "errors" and record.name == "Q" and record.kind == "query"


async def test_a_back_office_failure_is_one_warning_line(caplog) -> None:
    result, _ = await run("{ down }", caplog)
    (error,) = result.errors  # type: ignore[attr-defined]
    assert error.extensions["code"] == "SOURCE_UNAVAILABLE"  # not masked
    (line,) = logged(caplog)
    assert line.levelno == logging.WARNING and not line.exc_info
    assert "SOURCE_UNAVAILABLE" in line.getMessage()


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("{ private }", "UNAUTHENTICATED"),
        ("{ nope }", "GRAPHQL_VALIDATION_FAILED"),
        ("{ fine ", "GRAPHQL_PARSE_FAILED"),
    ],
)
async def test_a_clients_mistake_is_one_info_line(caplog, query: str, code: str) -> None:
    result, record = await run(query, caplog)
    assert result.errors  # type: ignore[attr-defined]
    (line,) = logged(caplog)
    assert line.levelno == logging.INFO and not line.exc_info
    assert code in line.getMessage()
    assert "\n" not in line.getMessage()
    executed = code == "UNAUTHENTICATED"
    assert record.outcome == ("errors" if executed else "rejected")
    assert record.named and record.name is None


async def test_without_a_record_the_extension_does_nothing(caplog) -> None:
    result = await SCHEMA.execute("{ fine }")
    assert result.data == {"fine": "yes"}
    assert current_operation.get() is None


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def fresh_budgets(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """Budgets of their own, on a clock that stands still unless a test moves it."""
    clock = FakeClock()
    for name in ("CLIENT_LINES", "SOURCE_LINES", "FAULT_LINES"):
        budget = getattr(observe, name)
        fresh = observe.BoundedLog(budget.logger, budget.kind, budget.per_second, clock=clock)
        monkeypatch.setattr(observe, name, fresh)
    return clock


def aliased(field: str, count: int = 450) -> str:
    return "query Flood { " + " ".join(f"a{i}: {field}" for i in range(count)) + " }"


@pytest.mark.parametrize(
    ("field", "level", "summary"),
    [
        ("private", logging.INFO, "operation Flood: 450 (UNAUTHENTICATED×450)"),
        ("down", logging.WARNING, "on visma in operation Flood: 450 (SOURCE_UNAVAILABLE×450)"),
        ("bug", logging.ERROR, "and 449 more field(s) in operation Flood: internal error"),
    ],
)
async def test_450_failing_aliases_are_one_line(caplog, field: str, level: int, summary) -> None:
    result, _ = await run(aliased(field), caplog)
    assert len(result.errors) == 450  # type: ignore[attr-defined]
    (line,) = logged(caplog)
    assert line.levelno == level and summary in line.getMessage(), line.getMessage()
    assert bool(line.exc_info) == (level == logging.ERROR)  # a traceback only for a fault


async def test_a_burst_of_bad_requests_writes_a_bounded_number_of_lines(
    caplog, fresh_budgets: FakeClock
) -> None:
    for _ in range(1000):
        await run("{ private }", caplog)
    lines = logged(caplog)
    assert len(lines) == observe.CLIENT_LINES.per_second
    fresh_budgets.now += 11
    caplog.clear()
    await run("{ private }", caplog)
    summary, line = logged(caplog)
    bound = observe.CLIENT_LINES.per_second
    assert summary.getMessage() == f"suppressed {1000 - bound} client-error lines in the last 11 s"
    assert summary.levelno == logging.INFO
    assert "UNAUTHENTICATED×1" in line.getMessage()


async def test_faults_have_a_higher_bound_than_client_errors(caplog) -> None:
    for _ in range(200):
        await run("{ bug }", caplog)
    assert len(logged(caplog)) == observe.FAULT_LINES.per_second
    assert observe.FAULT_LINES.per_second > observe.CLIENT_LINES.per_second
