"""How the outbox's statuses reach the citizen: a parked record (FAILED) is not delivered."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta
from types import SimpleNamespace

import pytest

from kernel.i18n import Language
from resolvers.submission.outbox import viewer_records
from schema.submission.types import (
    STATUS_LABELS,
    Submission,
    SubmissionKind,
    SubmissionStatus,
    status_of,
)
from stores.outbox import OutboxKind, OutboxRecord, OutboxStatus, parked_reason
from tests.clocks import T0

RECORD = OutboxRecord(
    id=uuid.uuid4(),
    kind=OutboxKind.METER_READING,
    idempotency_key="k1",
    request_fingerprint="f",
    viewer_key="viewer",
    payload={},
    status=OutboxStatus.FAILED,
    attempts=3,
    next_attempt_at=T0,
    lease_until=None,
    lease_token=None,
    last_error=parked_reason(3),
    result=None,
    progress={},
    created_at=T0,
    updated_at=T0 + timedelta(minutes=5),
    delivered_at=None,
    lost_leases=3,
)


@pytest.mark.parametrize(
    ("language", "reason"),
    [
        (Language.NB, "Vi fikk ikke bekreftet at kommunen mottok innsendingen. Ikke send inn"),
        (Language.NN, "Vi fekk ikkje stadfesta at kommunen tok imot innsendinga. Ikkje send"),
        (Language.EN, "We could not confirm that the municipality received the submission. "),
    ],
)
def test_a_parked_record_is_shown_as_not_delivered(language, reason):
    assert status_of(RECORD) is SubmissionStatus.REJECTED
    shown = Submission.common(RECORD, SubmissionKind.METER_READING, language)
    assert shown["status"] is SubmissionStatus.REJECTED
    assert shown["status_label"] == STATUS_LABELS[SubmissionStatus.REJECTED].in_language(language)
    assert shown["rejection_code"] == "delivery_failed"
    # Whether it arrived is unknown: the citizen is told not to send it again (a duplicate).
    assert shown["rejection_reason"].startswith(reason)
    assert shown["delivered_at"] is None


def test_other_statuses_are_unchanged():
    rejected = replace(RECORD, status=OutboxStatus.REJECTED, last_error="gave_up: timeout")
    assert (
        Submission.common(rejected, SubmissionKind.METER_READING, Language.NB)["rejection_code"]
        == "gave_up"
    )
    delivering = replace(RECORD, status=OutboxStatus.DELIVERING, last_error=None)
    assert status_of(delivering) is SubmissionStatus.PENDING


async def test_the_rejected_filter_finds_parked_records():
    asked: list[object] = []

    class Outbox:
        async def list_for_viewer(self, viewer_key, kinds, statuses):
            asked.append(statuses)
            return []

    context = SimpleNamespace(
        services=SimpleNamespace(outbox=Outbox()), viewer_key=lambda viewer: "viewer"
    )
    await viewer_records(context, object(), None, [OutboxStatus.REJECTED])  # type: ignore[arg-type]
    await viewer_records(context, object(), None, [OutboxStatus.PENDING])  # type: ignore[arg-type]
    assert asked == [
        {OutboxStatus.REJECTED, OutboxStatus.FAILED},
        {OutboxStatus.PENDING, OutboxStatus.DELIVERING},
    ]


@pytest.mark.parametrize("error", ["client_fault: S:Client: CreateDocument", "http_413: x"])
def test_an_application_the_archive_refused_tells_the_citizen_what_to_change(error):
    refused = replace(
        RECORD, kind=OutboxKind.APPLICATION, status=OutboxStatus.REJECTED, last_error=error
    )
    shown = Submission.common(refused, SubmissionKind.APPLICATION, Language.EN)
    assert shown["rejection_code"] == error.split(":", 1)[0]
    assert "smaller attachments" in shown["rejection_reason"]
    assert "CreateDocument" not in shown["rejection_reason"]  # the fault is for operators
