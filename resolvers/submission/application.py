"""``submitApplication``: check an application against the catalogue, then accept it.

Order (every problem of a step is reported together, and nothing is written before the end):

1. the form: idempotency key, the type (known; the viewer's level of assurance satisfies its
   minimum), every field (known, once, typed: TEXT length, NUMBER format and range, ISO DATE,
   BOOLEAN ``true``/``false``, CHOICE one of the options; required ones present), every file
   (a known attachment kind, not too many, not empty, not larger than the kind's and the
   gateway's cap, an allowed content type that the bytes agree with), required attachments,
   and the property id when the type needs one;
2. a replay: the same key with the same input (files by SHA-256) answers the stored receipt,
   another input a ``CONFLICT``;
3. the property is one of the viewer's (Matrikkel);
4. the gateway renders the form PDF, puts it first, and accepts the application (durable),
   wakes the worker and waits briefly for 360 to answer with a case number.

Steps 2 and 4 are every submission's: :func:`resolvers.submission.submit.replay_or_accept`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Final

from auth.acr import Acr
from auth.viewer import Viewer
from delivery.payloads import ApplicationField, ApplicationFile, ApplicationPayload
from kernel.errors import SubmissionErrorCode
from kernel.i18n import Language
from resolvers.application_types import (
    ApplicationType,
    AttachmentSpec,
    FieldSpec,
    FieldType,
)
from resolvers.context import Context
from resolvers.errors import SourceError
from resolvers.property.properties import own_property
from resolvers.submission.files import UploadedFile, content_matches, safe_file_name
from resolvers.submission.form_pdf import AttachmentLine, FormAnswer, render_form_pdf
from resolvers.submission.invalidation import forget_cases
from resolvers.submission.meter_reading import OSLO
from resolvers.submission.numbers import number_format_hint, parse_decimal
from resolvers.submission.problems import Problems
from resolvers.submission.submit import (
    Outcome,
    check_key,
    has_lone_surrogate,
    replay_or_accept,
)
from stores.outbox import OutboxKind, OutboxWrite

__all__ = ["ApplicationInput", "submit_application"]

_MAX_INTEGER_DIGITS: Final = 12
_MAX_DECIMALS: Final = 6
_BOOLEANS: Final = {"true": "true", "false": "false"}
MAX_FIELDS: Final = 100


@dataclass(frozen=True)
class ApplicationInput:
    """The mutation's input; the property id already decoded (None: absent or not a Property
    id, told apart by ``property_given``)."""

    type_code: str
    fields: tuple[tuple[str, str], ...]
    property_key: str | None
    property_given: bool
    files: tuple[UploadedFile, ...]
    idempotency_key: str


def _typed_value(
    spec: FieldSpec, raw: str, language: Language
) -> tuple[str | None, SubmissionErrorCode | None, str | None]:
    """The normalized value of a field, or (None, code, detail in `language`)."""
    text = raw.strip()
    if has_lone_surrogate(text):  # whatever the type: not text the form or the archive can hold
        return None, SubmissionErrorCode.INVALID_FORMAT, None
    if spec.type is FieldType.TEXT:
        if len(text) > spec.effective_max_length:
            return None, SubmissionErrorCode.TOO_LONG, f"max {spec.effective_max_length}"
        return text, None, None
    if len(text) > spec.effective_max_length:
        return None, SubmissionErrorCode.INVALID_FORMAT, None
    if spec.type is FieldType.NUMBER:
        # ASCII digits only: "١٢٣" is no 123 to the case officer reading the form.
        parsed = parse_decimal(text)
        if (
            parsed is None
            or len(parsed.integer_digits) > _MAX_INTEGER_DIGITS
            or len(parsed.decimal_digits) > _MAX_DECIMALS
        ):
            return None, SubmissionErrorCode.INVALID_FORMAT, number_format_hint(language)
        number = parsed.value
        if (spec.minimum is not None and number < spec.minimum) or (
            spec.maximum is not None and number > spec.maximum
        ):
            return None, SubmissionErrorCode.OUT_OF_RANGE, f"{spec.minimum}–{spec.maximum}"
        return format(number.normalize(), "f"), None, None
    if spec.type is FieldType.DATE:
        try:
            return date.fromisoformat(text).isoformat(), None, None
        except ValueError:
            return None, SubmissionErrorCode.INVALID_FORMAT, "YYYY-MM-DD"
    if spec.type is FieldType.BOOLEAN:
        value = _BOOLEANS.get(text.lower())
        return (
            (value, None, None)
            if value
            else (None, SubmissionErrorCode.INVALID_FORMAT, "true/false")
        )
    if text in {option.value for option in spec.options}:
        return text, None, None
    return None, SubmissionErrorCode.INVALID_CHOICE, ", ".join(o.value for o in spec.options)


def _check_fields(
    kind: ApplicationType, given: Sequence[tuple[str, str]], problems: Problems
) -> list[FormAnswer]:
    answers: list[FormAnswer] = []
    seen: set[str] = set()
    if len(given) > MAX_FIELDS:
        problems.add("fields", SubmissionErrorCode.TOO_LONG, f"max {MAX_FIELDS}")
        return answers
    for key, raw in given:
        path = f"fields.{key}"
        spec = kind.field(key)
        if spec is None:
            problems.add(path, SubmissionErrorCode.UNKNOWN_FIELD)
            continue
        if key in seen:
            problems.add(path, SubmissionErrorCode.DUPLICATE_FIELD)
            continue
        seen.add(key)
        if not raw.strip():
            continue  # blank is "not answered"; required fields are checked below
        value, code, detail = _typed_value(spec, raw, problems.language)
        if code is not None or value is None:
            problems.add(path, code or SubmissionErrorCode.INVALID_FORMAT, detail)
        else:
            answers.append(FormAnswer(key, value))
    answered = {answer.key for answer in answers}
    for spec in kind.fields:
        path = f"fields.{spec.key}"
        if spec.required and spec.key not in answered and not problems.has(path):
            problems.add(path, SubmissionErrorCode.REQUIRED)
    # The catalogue's order, whatever the client's: the PDF and the fingerprint agree.
    order = {spec.key: index for index, spec in enumerate(kind.fields)}
    return sorted(answers, key=lambda answer: order[answer.key])


def _check_file(
    spec: AttachmentSpec, file: UploadedFile, cap: int, path: str, problems: Problems
) -> None:
    limit = min(spec.max_bytes, cap)
    size = max(file.size, len(file.data))
    if size == 0:
        problems.add(path, SubmissionErrorCode.EMPTY_FILE)
    elif size > limit:
        problems.add(path, SubmissionErrorCode.FILE_TOO_LARGE, f"max {limit} bytes")
    if file.media_type not in spec.content_types:
        problems.add(path, SubmissionErrorCode.FILE_TYPE_NOT_ALLOWED, ", ".join(spec.content_types))
    elif 0 < size <= limit and not content_matches(file.media_type, file.data):
        problems.add(path, SubmissionErrorCode.ATTACHMENT_TYPE_MISMATCH, file.media_type)


def _check_files(
    context: Context, kind: ApplicationType, files: Sequence[UploadedFile], problems: Problems
) -> None:
    cap = context.services.settings.upload_max_file_bytes
    per_kind: dict[str, int] = {}
    for index, file in enumerate(files):
        path = f"files.{index}"
        spec = kind.attachment(file.attachment)
        if spec is None:
            problems.add(path, SubmissionErrorCode.UNKNOWN_ATTACHMENT)
            continue
        per_kind[spec.key] = per_kind.get(spec.key, 0) + 1
        if per_kind[spec.key] == spec.max_files + 1:
            problems.add(
                f"files.{spec.key}", SubmissionErrorCode.TOO_MANY_FILES, f"max {spec.max_files}"
            )
        _check_file(spec, file, cap, path, problems)
    for spec in kind.attachments:
        if spec.required and not per_kind.get(spec.key):
            problems.add(f"files.{spec.key}", SubmissionErrorCode.ATTACHMENT_REQUIRED)
    total_cap = context.services.settings.upload_max_application_bytes
    if sum(max(file.size, len(file.data)) for file in files) > total_cap:
        problems.add("files", SubmissionErrorCode.APPLICATION_TOO_LARGE, f"max {total_cap} bytes")


async def submit_application(context: Context, viewer: Viewer, data: ApplicationInput) -> Outcome:
    """Validate, replay or accept an application (see the module docstring)."""
    problems = Problems(context.language)
    check_key(data.idempotency_key, problems)
    kind = context.services.application_types.get(data.type_code)
    if kind is None:
        problems.add("typeCode", SubmissionErrorCode.UNKNOWN_TYPE)
        return Outcome.refused(problems)
    if not viewer.satisfies(Acr(kind.minimum_level_of_assurance)):
        problems.add(
            "typeCode",
            SubmissionErrorCode.INSUFFICIENT_LEVEL_OF_ASSURANCE,
            kind.minimum_level_of_assurance,
        )
    answers = _check_fields(kind, data.fields, problems)
    _check_files(context, kind, data.files, problems)
    if data.property_given and data.property_key is None:
        problems.add("propertyId", SubmissionErrorCode.NOT_FOUND)
    elif kind.property_required and not data.property_given:
        problems.add("propertyId", SubmissionErrorCode.REQUIRED)
    if problems:
        return Outcome.refused(problems)

    async def prepare() -> OutboxWrite | None:
        matrikkelnummer: str | None = None
        if data.property_key is not None:
            try:
                owned = await own_property(context, viewer, data.property_key)
            except SourceError:
                problems.add("propertyId", SubmissionErrorCode.SOURCE_UNAVAILABLE)
                return None
            if owned is None:
                problems.add("propertyId", SubmissionErrorCode.NOT_FOUND)
                return None
            matrikkelnummer = str(owned.property.matrikkelnummer)
        payload = _payload(kind, viewer, answers, data.files, matrikkelnummer)
        total_cap = context.services.settings.upload_max_application_bytes
        if sum(len(file.data) for file in payload.files) > total_cap:
            # The form PDF tipped it over: the archive would refuse the document.
            problems.add(
                "files", SubmissionErrorCode.APPLICATION_TOO_LARGE, f"max {total_cap} bytes"
            )
            return None
        return payload.to_write()

    normalized_input = {
        "type_code": kind.code,
        "fields": [[answer.key, answer.value] for answer in answers],
        "property": data.property_key,
        "files": [[f.attachment, f.name, f.media_type, f.sha256] for f in data.files],
    }
    outcome = await replay_or_accept(
        context,
        viewer,
        OutboxKind.APPLICATION,
        data.idempotency_key,
        normalized_input,
        problems,
        prepare,
    )
    if outcome.record is not None:
        await forget_cases(context, viewer)
    return outcome


def _payload(
    kind: ApplicationType,
    viewer: Viewer,
    answers: Sequence[FormAnswer],
    files: Sequence[UploadedFile],
    matrikkelnummer: str | None,
) -> ApplicationPayload:
    names = [safe_file_name(file.name, f"vedlegg-{index + 1}") for index, file in enumerate(files)]
    form = render_form_pdf(
        kind,
        answers,
        [
            AttachmentLine(file.attachment, name, file.media_type, len(file.data), file.sha256)
            for file, name in zip(files, names, strict=True)
        ],
        datetime.now(UTC).astimezone(OSLO),
        matrikkelnummer,
    )
    return ApplicationPayload(
        type_code=kind.code,
        title=kind.name.nb,
        applicant_pid=viewer.pid,
        fields=tuple(ApplicationField(answer.key, answer.value) for answer in answers),
        files=(
            ApplicationFile(f"{kind.code.lower()}-skjema.pdf", "application/pdf", form),
            *(
                ApplicationFile(name, file.media_type, file.data)
                for file, name in zip(files, names, strict=True)
            ),
        ),
        matrikkelnummer=matrikkelnummer,
        case_kind=kind.case_kind,
    )
