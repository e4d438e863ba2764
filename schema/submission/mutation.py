"""The root Mutation: the citizen's writes (a meter reading, an application).

Both answer a union: a receipt (accepted durably: ``PENDING`` until the back-office confirmed,
then ``DELIVERED``) or ``…Errors`` listing every refused input (nothing stored or sent).

The fields are nullable: a request may hold several mutations, and one that fails with an
error (the store of submissions down, a fault) is null on its own; a non-null field would null
the whole ``data`` and the citizen would lose the receipts of the ones already accepted.
"""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from resolvers.context import Context
from resolvers.submission.application import ApplicationInput, submit_application
from resolvers.submission.files import UploadedFile
from resolvers.submission.meter_reading import MeterReadingInput, submit_meter_reading
from schema.errors import require_viewer
from schema.relay import GlobalId
from schema.submission.inputs import (
    ApplicationFileInput,
    SubmitApplicationInput,
    SubmitMeterReadingInput,
)
from schema.submission.types import (
    ApplicationReceipt,
    MeterReadingReceipt,
    SubmissionError,
    SubmitApplicationErrors,
    SubmitApplicationResult,
    SubmitMeterReadingErrors,
    SubmitMeterReadingResult,
)


def _key_of(global_id: str, type_name: str) -> str | None:
    decoded = GlobalId.decode(global_id)
    return decoded.key if decoded is not None and decoded.type_name == type_name else None


async def _read_upload(item: ApplicationFileInput, cap: int) -> UploadedFile:
    """The upload's bytes, read from the file Starlette spooled it to (in memory up to 1 MiB,
    on disk beyond) only when it can be accepted: a file over the cap is refused by its size
    without being read; one of unknown size is read one byte past the cap at most."""
    upload: Any = item.file  # starlette's UploadFile (strawberry's ASGI view)
    known = upload.size if isinstance(getattr(upload, "size", None), int) else None
    data: bytes = b"" if known is not None and known > cap else await upload.read(cap + 1)
    size = known if known is not None else len(data)
    return UploadedFile(
        attachment=item.attachment,
        name=str(upload.filename or ""),
        content_type=str(upload.content_type or "application/octet-stream"),
        size=size,
        data=data,
    )


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Register a water-meter reading. Every problem with the input is reported "
        "together; the same idempotencyKey with the same input answers the same receipt. Null, "
        "with an error (e.g. SUBMISSIONS_UNAVAILABLE), if it could not be handled; the other "
        "mutations of the request keep their results."
    )
    async def submit_meter_reading(
        self, info: Info[Context, None], input: SubmitMeterReadingInput
    ) -> SubmitMeterReadingResult | None:
        viewer = require_viewer(info)
        context = info.context
        outcome = await submit_meter_reading(
            context,
            viewer,
            MeterReadingInput(
                meter_number=_key_of(input.meter_id, "WaterMeter"),
                value=input.value,
                read_on=input.read_on,
                comment=input.comment,
                confirm_unusual=input.confirm_unusual,
                idempotency_key=input.idempotency_key,
            ),
        )
        if outcome.record is None:
            return SubmitMeterReadingErrors(
                errors=[SubmissionError.from_problem(p) for p in outcome.problems]
            )
        return MeterReadingReceipt.from_record(outcome.record, context.language)

    @strawberry.mutation(
        description="Submit an application of a catalogue type (applicationTypes), with "
        "attachments as GraphQL multipart uploads. Every problem is reported together. Null, "
        "with an error, if it could not be handled; the other mutations of the request keep "
        "their results."
    )
    async def submit_application(
        self, info: Info[Context, None], input: SubmitApplicationInput
    ) -> SubmitApplicationResult | None:
        viewer = require_viewer(info)
        context = info.context
        cap = context.services.settings.upload_max_file_bytes
        files = tuple([await _read_upload(item, cap) for item in input.files])
        outcome = await submit_application(
            context,
            viewer,
            ApplicationInput(
                type_code=input.type_code,
                fields=tuple((item.key, item.value) for item in input.fields),
                property_key=(
                    None if input.property_id is None else _key_of(input.property_id, "Property")
                ),
                property_given=input.property_id is not None,
                files=files,
                idempotency_key=input.idempotency_key,
            ),
        )
        if outcome.record is None:
            return SubmitApplicationErrors(
                errors=[SubmissionError.from_problem(p) for p in outcome.problems]
            )
        return ApplicationReceipt.from_record(
            outcome.record, context.language, context.services.application_types
        )
