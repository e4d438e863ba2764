"""The submissions' shared skeleton (resolvers.submission.submit) on a real SQLite outbox."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from auth.acr import Acr
from auth.viewer import AuthMethod, Viewer
from kernel.errors import SubmissionErrorCode
from kernel.settings import Settings
from resolvers.context import Context
from resolvers.submission.problems import Problems
from resolvers.submission.submit import replay_or_accept
from resolvers.testing import context_for_test, services_for_test
from stores import open_outbox
from stores.outbox import OutboxKind, OutboxStatus

VIEWER = Viewer(pid="01817700369", sub="s", acr=Acr.SUBSTANTIAL, method=AuthMethod.BEARER)


@pytest.fixture
async def context(tmp_path: Path) -> AsyncIterator[Context]:
    outbox = await open_outbox(f"sqlite:///{tmp_path / 'outbox.sqlite3'}")
    # No worker: a mutation would wait for delivery; here it looks once and answers PENDING.
    services = services_for_test(Settings(submission_wait_s=0), outbox=outbox)
    try:
        yield context_for_test(services, viewer=VIEWER)
    finally:
        await outbox.close()


async def submit(context: Context, key: str, given: dict[str, Any], prepared: list[str]) -> Any:
    problems = Problems(context.language)

    async def prepare() -> dict[str, Any]:
        prepared.append(key)
        return {"given": given}

    return await replay_or_accept(
        context, VIEWER, OutboxKind.METER_READING, key, given, problems, prepare
    )


async def test_accept_then_replay_without_checking_again(context: Context) -> None:
    prepared: list[str] = []
    first = await submit(context, "k1", {"value": "1"}, prepared)
    assert first.record is not None
    assert first.record.status is OutboxStatus.PENDING
    again = await submit(context, "k1", {"value": "1"}, prepared)
    assert again.record is not None
    assert again.record.id == first.record.id
    assert prepared == ["k1"]


async def test_the_same_key_with_another_input_is_a_conflict(context: Context) -> None:
    prepared: list[str] = []
    await submit(context, "k1", {"value": "1"}, prepared)
    refused = await submit(context, "k1", {"value": "2"}, prepared)
    assert refused.record is None
    assert [(p.field, p.code) for p in refused.problems] == [
        ("idempotencyKey", SubmissionErrorCode.CONFLICT)
    ]
    assert prepared == ["k1"]


async def test_problems_found_while_preparing_write_nothing(context: Context) -> None:
    problems = Problems(context.language)

    async def prepare() -> None:
        problems.add("meterId", SubmissionErrorCode.SOURCE_UNAVAILABLE)

    refused = await replay_or_accept(
        context, VIEWER, OutboxKind.METER_READING, "k1", {"v": 1}, problems, prepare
    )
    assert refused.record is None
    assert await context.services.outbox.list_for_viewer(context.viewer_key(VIEWER)) == []
