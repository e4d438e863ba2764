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
    raw = application.to_json()
    assert raw["files"][0]["data_base64"] == "JVBERg=="
    assert ApplicationPayload.from_json(raw) == application
    assert PID not in repr(application)
    assert application.case_title == "Søknad – 3030-1/2/0/0"
    assert [(f.title, f.format) for f in application.files] == [("form", "pdf"), ("photo", "jpg")]


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
    raw = ApplicationPayload(
        "T", "Title", PID, (), (ApplicationFile("a.pdf", "application/pdf", b"%PDF"),)
    ).to_json()
    with pytest.raises(InvalidPayload) as caught:
        ApplicationPayload.from_json({**raw, **change})
    assert PID not in str(caught.value)
