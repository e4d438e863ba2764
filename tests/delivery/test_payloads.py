"""The payload contract between the mutations and the delivery handlers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from connectors.p360.models import CaseKind
from delivery.payloads import (
    ApplicationField,
    ApplicationFile,
    ApplicationPayload,
    InvalidPayload,
    MeterReadingPayload,
)
from stores.outbox import file_key

PID = "13818097953"


def test_meter_reading_round_trip():
    reading = MeterReadingPayload("M-1", Decimal("12.50"), date(2026, 6, 1), "ok")
    raw = reading.to_json()
    assert raw == {
        "meter_number": "M-1",
        "value": "12.50",
        "read_on": "2026-06-01",
        "comment": "ok",
    }
    assert MeterReadingPayload.from_json(raw) == reading


@pytest.mark.parametrize(
    "raw",
    [
        None,
        {},
        {"meter_number": "M-1", "value": "x", "read_on": "2026-06-01"},
        {"meter_number": "M-1", "value": "1", "read_on": "June"},
        {"meter_number": "M-1", "value": "1", "read_on": "2026-06-01", "comment": 5},
    ],
)
def test_meter_reading_shape_errors(raw):
    with pytest.raises(InvalidPayload):
        MeterReadingPayload.from_json(raw)


def test_application_round_trip_keeps_files_and_hides_the_pid():
    application = ApplicationPayload(
        type_code="PERMIT",
        title="Søknad",
        applicant_pid=PID,
        fields=(ApplicationField("a", "1"),),
        files=(
            ApplicationFile("form.pdf", "application/pdf", b"%PDF"),
            ApplicationFile("photo", "image/jpeg", b"\xff\xd8"),
        ),
        matrikkelnummer="3030-1/2/0/0",
        case_kind=CaseKind.APPLICATION,
    )
    write = application.to_write()
    # The receipt's part holds neither the pid nor any bytes; those are kept apart.
    assert PID not in str(write.payload) and "data_base64" not in str(write.payload)
    assert write.private == {"applicant_pid": PID}
    assert write.files == (b"%PDF", b"\xff\xd8")
    assert write.payload["files"][0] == {
        "name": "form.pdf",
        "content_type": "application/pdf",
        "sha256": file_key(b"%PDF"),
        "size": 4,
    }
    stored = {file_key(data): data for data in write.files}
    assert ApplicationPayload.from_json(write.payload, write.private, stored) == application
    assert PID not in repr(application) and PID not in repr(write)
    assert application.case_title == "Søknad – 3030-1/2/0/0"
    assert [(f.title, f.format) for f in application.files] == [("form", "pdf"), ("photo", "jpg")]


def test_a_schema_2_payload_is_still_read():
    legacy = {
        "type_code": "PERMIT",
        "title": "Søknad",
        "applicant_pid": PID,
        "fields": [],
        "files": [{"name": "a.pdf", "content_type": "application/pdf", "data_base64": "JVBERg=="}],
    }
    application = ApplicationPayload.from_json(legacy)
    assert application.applicant_pid == PID
    assert application.files[0].data == b"%PDF"


def test_a_payload_whose_files_were_dropped_is_invalid():
    write = ApplicationPayload(
        "T", "Title", PID, (), (ApplicationFile("a.pdf", "application/pdf", b"%PDF"),)
    ).to_write()
    with pytest.raises(InvalidPayload):
        ApplicationPayload.from_json(write.payload, write.private, {})
    with pytest.raises(InvalidPayload):  # the pid dropped
        ApplicationPayload.from_json(write.payload, None, {file_key(b"%PDF"): b"%PDF"})


def test_file_format_falls_back_to_the_name():
    assert ApplicationFile("plan.dwg", "application/octet-stream", b"x").format == "dwg"
    assert ApplicationFile("noext", "application/octet-stream", b"x").format == "bin"


@pytest.mark.parametrize(
    "change",
    [
        {"files": []},
        {"files": [{"name": "a.pdf", "content_type": "application/pdf", "data_base64": "!!"}]},
        {"applicant_pid": None},
        {"case_kind": "NOPE"},
        {"fields": "x"},
    ],
)
def test_application_shape_errors(change):
    raw = {
        "type_code": "T",
        "title": "Title",
        "applicant_pid": PID,
        "fields": [],
        "files": [{"name": "a.pdf", "content_type": "application/pdf", "data_base64": "JVBERg=="}],
    }
    with pytest.raises(InvalidPayload) as caught:
        ApplicationPayload.from_json({**raw, **change})
    assert PID not in str(caught.value)
