"""Receipts and errors of the citizen's submissions (meter readings, applications).

A receipt is what the outbox holds for one accepted submission: ``PENDING`` until the
back-office confirmed it, then ``DELIVERED`` (with the register's figure or 360's case number)
or ``REJECTED`` (with the reason). Both receipt types implement ``Submission``, which is also
what ``Citizen.submissions`` lists.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Annotated, Any

import strawberry

from kernel.errors import SubmissionErrorCode as SubmissionErrorCodeEnum
from kernel.i18n import Language
from resolvers.application_types import ApplicationTypeCatalogue
from resolvers.submission.problems import Problem
from schema.labels import Label, label
from stores.outbox import OutboxKind, OutboxRecord, OutboxStatus


@strawberry.enum(description="Where a submission is: accepted and waiting, delivered, refused.")
class SubmissionStatus(Enum):
    PENDING = "PENDING"
    DELIVERED = "DELIVERED"
    REJECTED = "REJECTED"


STATUS_LABELS = {
    SubmissionStatus.PENDING: Label(
        "Mottatt, under oversending", "Motteke, under oversending", "Received, being forwarded"
    ),
    SubmissionStatus.DELIVERED: Label("Levert", "Levert", "Delivered"),
    SubmissionStatus.REJECTED: Label("Avvist", "Avvist", "Rejected"),
}


@strawberry.enum(description="What was submitted.")
class SubmissionKind(Enum):
    METER_READING = "METER_READING"
    APPLICATION = "APPLICATION"


KIND_LABELS = {
    SubmissionKind.METER_READING: Label("Målerstand", "Målarstand", "Meter reading"),
    SubmissionKind.APPLICATION: Label("Søknad", "Søknad", "Application"),
}
OUTBOX_KIND = {
    SubmissionKind.METER_READING: OutboxKind.METER_READING,
    SubmissionKind.APPLICATION: OutboxKind.APPLICATION,
}
OUTBOX_STATUS = {
    SubmissionStatus.PENDING: OutboxStatus.PENDING,
    SubmissionStatus.DELIVERED: OutboxStatus.DELIVERED,
    SubmissionStatus.REJECTED: OutboxStatus.REJECTED,
}

SubmissionErrorCode = strawberry.enum(
    SubmissionErrorCodeEnum,
    name="SubmissionErrorCode",
    description="Why a submission's input was refused.",
)


@strawberry.type(description="One refused input: which field, why (code) and a message.")
class SubmissionError:
    field: str = strawberry.field(
        description="Input path: value, readOn, fields.<key>, files.<index>, files.<attachment>"
    )
    code: SubmissionErrorCode  # type: ignore[valid-type]
    message: str = strawberry.field(description="In the request's language.")

    @classmethod
    def from_problem(cls, problem: Problem) -> SubmissionError:
        return cls(field=problem.field, code=problem.code, message=problem.message)


def status_of(record: OutboxRecord) -> SubmissionStatus:
    """The receipt status: a record being delivered right now is still pending; one parked
    ``FAILED`` (its delivery never finished) is shown as not delivered: ``REJECTED``."""
    if record.status is OutboxStatus.DELIVERED:
        return SubmissionStatus.DELIVERED
    if record.status in (OutboxStatus.REJECTED, OutboxStatus.FAILED):
        return SubmissionStatus.REJECTED
    return SubmissionStatus.PENDING


def _decimal(value: Any) -> Decimal | None:
    if not isinstance(value, str):
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        return None


@strawberry.interface(description="An accepted submission (a receipt) and its delivery state.")
class Submission:
    receipt_id: str = strawberry.field(
        description="Stable from acceptance on; the same for a replay with the same key."
    )
    kind: SubmissionKind
    kind_label: str
    status: SubmissionStatus
    status_label: str
    submitted_at: datetime
    delivered_at: datetime | None
    rejection_code: str | None = strawberry.field(
        description="Machine-readable reason the municipality refused it (REJECTED only), e.g. "
        "below_last_reading; 'rejected' when the system gave no code of ours."
    )
    rejection_reason: str | None = strawberry.field(
        description="Why it was refused, for the citizen, in the request's language (REJECTED "
        "only). The back-office's own error text is never shown."
    )

    @staticmethod
    def common(record: OutboxRecord, kind: SubmissionKind, language: Language) -> dict[str, Any]:
        status = status_of(record)
        return {
            "receipt_id": str(record.id),
            "kind": kind,
            "kind_label": label(KIND_LABELS, kind, language),
            "status": status,
            "status_label": label(STATUS_LABELS, status, language),
            "submitted_at": record.created_at,
            "delivered_at": record.delivered_at,
            **_rejection(record, language),
        }


_SAFE_CODE = re.compile(r"[a-z][a-z0-9_]{0,39}")
REJECTION_LABELS: dict[str, Label] = {
    "below_last_reading": Label(
        "Målerstanden er lavere enn forrige avlesning.",
        "Målarstanden er lågare enn førre avlesing.",
        "The reading is lower than the previous reading.",
    ),
    "before_last_reading": Label(
        "Datoen er før forrige avlesning.",
        "Datoen er før førre avlesing.",
        "The date is before the previous reading.",
    ),
    "date_in_future": Label(
        "Datoen er fram i tid.", "Datoen er fram i tid.", "The date is in the future."
    ),
    "meter_replaced": Label(
        "Måleren er byttet ut.", "Målaren er bytt ut.", "The meter has been replaced."
    ),
    "unknown_meter": Label(
        "Kommunen kjenner ikke måleren.",
        "Kommunen kjenner ikkje målaren.",
        "The municipality does not know the meter.",
    ),
    "not_found": Label(
        "Kommunen fant ikke det innsendingen gjelder.",
        "Kommunen fann ikkje det innsendinga gjeld.",
        "The municipality could not find what the submission concerns.",
    ),
    "gave_up": Label(
        "Kommunens system var utilgjengelig for lenge. Send inn på nytt.",
        "Systemet til kommunen var utilgjengeleg for lenge. Send inn på nytt.",
        "The municipality's system was unavailable for too long. Please submit again.",
    ),
    # The archive refused the request itself (a file over its size limit, say): sending the
    # same again fails again, so the citizen is told what to change.
    "client_fault": Label(
        "Arkivet kunne ikke ta imot søknaden, trolig fordi et vedlegg er for stort. Send inn "
        "på nytt med mindre vedlegg, eller ta kontakt med kommunen.",
        "Arkivet kunne ikkje ta imot søknaden, truleg fordi eit vedlegg er for stort. Send inn "
        "på nytt med mindre vedlegg, eller ta kontakt med kommunen.",
        "The archive could not accept the application, probably because an attachment is too "
        "large. Please submit it again with smaller attachments, or contact the municipality.",
    ),
}
REJECTION_LABELS["http_413"] = REJECTION_LABELS["client_fault"]
#: The rejection code of a record parked FAILED (the outbox's last_error is for operators).
#: Whether the back-office got it is unknown (the delivery may have died after the call), so
#: the citizen is told not to submit again, which could make a duplicate case or reading.
DELIVERY_FAILED = "delivery_failed"
REJECTION_LABELS[DELIVERY_FAILED] = Label(
    "Vi fikk ikke bekreftet at kommunen mottok innsendingen. Ikke send inn på nytt; "
    "ta kontakt med kommunen, som følger den opp.",
    "Vi fekk ikkje stadfesta at kommunen tok imot innsendinga. Ikkje send inn på nytt; "
    "ta kontakt med kommunen, som følgjer henne opp.",
    "We could not confirm that the municipality received the submission. Please do not "
    "submit it again; contact the municipality, who will follow it up.",
)
_GENERIC_REJECTION = Label(
    "Kommunen avviste innsendingen. Ta kontakt med kommunen.",
    "Kommunen avviste innsendinga. Ta kontakt med kommunen.",
    "The municipality refused the submission. Please contact the municipality.",
)


def _rejection(record: OutboxRecord, language: Language) -> dict[str, str | None]:
    # last_error is "code: detail" from the delivery worker; the detail can be the
    # back-office's own text, which is for operators (logs), not for citizens.
    if record.status is OutboxStatus.FAILED:
        text = REJECTION_LABELS[DELIVERY_FAILED]
        return {"rejection_code": DELIVERY_FAILED, "rejection_reason": text.in_language(language)}
    if record.status is not OutboxStatus.REJECTED:
        return {"rejection_code": None, "rejection_reason": None}
    code = (record.last_error or "").split(":", 1)[0].strip()
    if not _SAFE_CODE.fullmatch(code):
        code = "rejected"
    text = REJECTION_LABELS.get(code, _GENERIC_REJECTION)
    return {"rejection_code": code, "rejection_reason": text.in_language(language)}


@strawberry.type(description="A submitted meter reading: the counter and when it was read.")
class SubmittedReading:
    value: Decimal = strawberry.field(description="The counter in m³.")
    read_on: date


@strawberry.type(description="Receipt of a water-meter reading.")
class MeterReadingReceipt(Submission):
    meter_number: str
    reading: SubmittedReading
    consumption_since_last: Decimal | None = strawberry.field(
        description="m³ since the previous reading, as the register computed it (null until "
        "delivered, or when the register does not know)."
    )
    register_receipt_id: str | None = strawberry.field(
        description="The meter register's own receipt id, once delivered."
    )

    @classmethod
    def from_record(cls, record: OutboxRecord, language: Language) -> MeterReadingReceipt:
        payload = record.payload
        result = record.result or {}
        return cls(
            **Submission.common(record, SubmissionKind.METER_READING, language),
            meter_number=str(payload.get("meter_number", "")),
            reading=SubmittedReading(
                value=_decimal(payload.get("value")) or Decimal(0),
                read_on=date.fromisoformat(str(payload.get("read_on"))),
            ),
            consumption_since_last=_decimal(result.get("consumption_since_last")),
            register_receipt_id=result.get("receipt_id")
            if isinstance(result.get("receipt_id"), str)
            else None,
        )


@strawberry.type(description="Receipt of an application to the municipality.")
class ApplicationReceipt(Submission):
    type_code: str
    title: str = strawberry.field(description="The application type's name (request language).")
    matrikkelnummer: str | None = strawberry.field(description="The property it concerns.")
    case_number: str | None = strawberry.field(
        description="The Public 360 case number once delivered; the case is then in viewer.cases."
    )

    @classmethod
    def from_record(
        cls,
        record: OutboxRecord,
        language: Language,
        catalogue: ApplicationTypeCatalogue,
    ) -> ApplicationReceipt:
        payload = record.payload
        result = record.result or {}
        progress = record.progress or {}
        code = str(payload.get("type_code", ""))
        kind = catalogue.get(code)
        case_number = result.get("case_number") or progress.get("case_number")
        return cls(
            **Submission.common(record, SubmissionKind.APPLICATION, language),
            type_code=code,
            title=kind.name.in_language(language) if kind else str(payload.get("title", "")),
            matrikkelnummer=payload.get("matrikkelnummer"),
            case_number=case_number
            if isinstance(case_number, str) and record.status is OutboxStatus.DELIVERED
            else None,
        )


def receipt(
    record: OutboxRecord, language: Language, catalogue: ApplicationTypeCatalogue
) -> MeterReadingReceipt | ApplicationReceipt:
    """The receipt type of a record's kind."""
    if record.kind is OutboxKind.METER_READING:
        return MeterReadingReceipt.from_record(record, language)
    return ApplicationReceipt.from_record(record, language, catalogue)


@strawberry.type(description="The reading was not accepted; nothing was stored or sent.")
class SubmitMeterReadingErrors:
    errors: list[SubmissionError]


@strawberry.type(description="The application was not accepted; nothing was stored or sent.")
class SubmitApplicationErrors:
    errors: list[SubmissionError]


SubmitMeterReadingResult = Annotated[
    MeterReadingReceipt | SubmitMeterReadingErrors,
    strawberry.union("SubmitMeterReadingResult"),
]
SubmitApplicationResult = Annotated[
    ApplicationReceipt | SubmitApplicationErrors,
    strawberry.union("SubmitApplicationResult"),
]
