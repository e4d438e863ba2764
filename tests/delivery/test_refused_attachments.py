"""An attachment the archive refuses: the record ends REJECTED with the reason, once, instead
of retrying for ever; the case 360 made before refusing the document is explained by a note;
the refused bytes and the applicant's number leave the outbox at once.

The P360 simulator refuses files over its size limit with a SOAP ``Client`` fault, as the real
archive does; here its limit is set (over its admin surface) below the gateway's, as in the
incident where an 8 MB attachment passed the gateway's 10 MB and 360 refused it.
"""

from __future__ import annotations

from datetime import timedelta

from delivery.handlers import ORPHAN_NOTE_TITLE
from kernel.settings import Settings
from simulators.p360.handlers import SifService
from simulators.population.models import DocumentDirection
from stores.outbox import OutboxKind, OutboxStatus
from tests.delivery.stack import PDF, SECRET, accept, application_payload
from tests.delivery.test_worker import make_worker

ARCHIVE_LIMIT = 64 * 1024


def test_the_simulators_limits_agree_with_the_gateways_defaults(stack):
    settings = Settings()
    service = SifService(stack.population)
    assert service.max_file_bytes == settings.upload_max_file_bytes
    assert service.max_document_bytes == settings.upload_max_application_bytes


async def test_a_file_the_archive_refuses_ends_rejected_with_a_note_on_the_case(
    outbox, stack, clock
):
    limits = await stack.admin.request(
        "p360", "POST", "/_admin/limits", {"max_file_bytes": ARCHIVE_LIMIT}
    )
    assert limits["max_file_bytes"] == ARCHIVE_LIMIT
    big = PDF + b"%" + b"x" * (ARCHIVE_LIMIT * 2)
    title = "Søknad med for stort vedlegg"
    payload = application_payload(stack, title, files=(("stor.pdf", "application/pdf", big),))
    accepted = (await accept(outbox, stack, OutboxKind.APPLICATION, payload)).record
    assert accepted.private is not None
    worker = make_worker(outbox, stack, clock, max_age=None)

    (record,) = await worker.run_once()

    # Rejected at the first refusal, with the reason the citizen's receipt shows.
    assert record.status is OutboxStatus.REJECTED
    assert record.last_error.startswith("client_fault: ")
    assert "CreateDocument" in record.last_error
    assert stack.pid not in record.last_error
    # The case 360 made first is not left unexplained: an internal note says why it is empty.
    (case,) = stack.created_cases(title)
    (note,) = case.documents
    assert note.title == ORPHAN_NOTE_TITLE
    assert note.direction is DocumentDirection.NOTE  # an internal note, not for the citizen
    text = stack.population.file_by_recno(note.files[0].recno).data
    assert b"client_fault" in text and stack.pid.encode() not in text
    assert record.progress["case_note"] == note.document_number
    # The outbox lets go of the refused bytes and the number at once.
    assert record.private is None and record.payload_dropped_at is not None
    assert await outbox.read_files(record.id) == {}
    # And nothing retries it: not later, not after a restart (a new worker on the same outbox).
    clock.advance(timedelta(days=30).total_seconds())
    assert await make_worker(outbox, stack, clock).run_once() == []
    calls = await stack.calls("p360")
    assert calls["CreateDocument"] == 2  # the refused document, then the note
    assert calls["CreateCase"] == 1
    viewer_records = await outbox.list_for_viewer(SECRET.viewer_key(stack.pid))
    assert [r.status for r in viewer_records] == [OutboxStatus.REJECTED]


async def test_within_the_archives_limit_it_is_delivered_and_the_private_data_dropped(
    outbox, stack, clock
):
    await stack.admin.request("p360", "POST", "/_admin/limits", {"max_file_bytes": ARCHIVE_LIMIT})
    fits = PDF + b"%" + b"x" * (ARCHIVE_LIMIT // 2)
    title = "Søknad med passe vedlegg"
    payload = application_payload(stack, title, files=(("passe.pdf", "application/pdf", fits),))
    await accept(outbox, stack, OutboxKind.APPLICATION, payload)

    (record,) = await make_worker(outbox, stack, clock).run_once()

    assert record.status is OutboxStatus.DELIVERED
    (case,) = stack.created_cases(title)
    (document,) = case.documents
    stored = stack.population.file_by_recno(document.files[1].recno)
    assert stored.data == fits
    # The receipt stays (case number, file names and sizes); the number and bytes are gone.
    assert record.result["case_number"] == case.case_number
    assert record.payload["files"][1]["size"] == len(fits)
    assert record.private is None
    assert await outbox.read_files(record.id) == {}


async def test_the_simulator_refuses_bad_limits(stack):
    url = stack.p360_url + "/_admin/limits"
    async with stack.session.post(url, json={"max_file_bytes": 0}) as response:
        assert response.status == 400
    async with stack.session.post(url, json={"nope": 1}) as response:
        assert response.status == 400
    async with stack.session.get(url) as response:
        assert response.status == 200
        assert (await response.json())["max_file_bytes"] > 0
