"""Inputs of the submission mutations."""

from __future__ import annotations

from datetime import date
from typing import Any, NewType

import strawberry
from graphql import GraphQLError
from strawberry.types.scalar import ScalarDefinition

from kernel.errors import ErrorCode


def _uploaded_file(value: Any) -> Any:
    """An ``Upload`` variable's value: a file part of a GraphQL multipart request, with a
    filename (starlette's UploadFile). Anything else (a string, a number, a part without a
    filename) is refused while the variables are coerced, before any field runs: a request
    cannot half succeed because of it."""
    filename = getattr(value, "filename", None)
    if not callable(getattr(value, "read", None)) or not isinstance(filename, str):
        raise GraphQLError(
            "Upload must be a file part of a multipart request.",
            extensions={"code": ErrorCode.BAD_USER_INPUT.value},
        )
    if not filename.strip():
        raise GraphQLError(
            "An uploaded file must have a filename.",
            extensions={"code": ErrorCode.BAD_USER_INPUT.value},
        )
    return value


# Strawberry's Upload passes any value through; this one has the same name and description
# (the SDL is unchanged) and checks the value. The schema maps the type to its definition
# (SCALARS, in schema.build's StrawberryConfig.scalar_map).
Upload = NewType("Upload", object)
SCALARS: dict[object, ScalarDefinition] = {
    Upload: strawberry.scalar(
        name="Upload",
        description="Represents a file upload.",
        serialize=lambda value: value,
        parse_value=_uploaded_file,
    )
}


@strawberry.input(description="A water-meter reading to register.")
class SubmitMeterReadingInput:
    meter_id: strawberry.ID = strawberry.field(description="Global id of a WaterMeter.")
    value: str = strawberry.field(
        description='The counter in m³ as a decimal string ("1234.5" or "1234,5"): at least 0, '
        "at most six integer digits and three decimals; ASCII digits 0-9 only (others, e.g. "
        "fullwidth, are INVALID_FORMAT)."
    )
    read_on: date = strawberry.field(description="When it was read; not in the future.")
    idempotency_key: str = strawberry.field(
        description="Chosen by the client (e.g. a UUID) per reading; resending with the same key "
        "answers the same receipt."
    )
    comment: str | None = strawberry.field(default=None, description="At most 500 characters.")
    confirm_unusual: bool = strawberry.field(
        default=False,
        description="Submit even though the consumption looks unusually high.",
    )


@strawberry.input(description="One answer of an application form.")
class ApplicationFieldInput:
    key: str
    value: str = strawberry.field(
        description="As text: NUMBER as a decimal of ASCII digits 0-9 with , or . as the decimal "
        "sign, DATE as YYYY-MM-DD, BOOLEAN as true/false, CHOICE as the option's value."
    )


@strawberry.input(description="One uploaded file and which attachment of the type it is.")
class ApplicationFileInput:
    attachment: str = strawberry.field(description="The AttachmentKind's key.")
    file: Upload = strawberry.field(description="GraphQL multipart request upload.")


@strawberry.input(description="An application to the municipality.")
class SubmitApplicationInput:
    type_code: str = strawberry.field(description="An ApplicationType's code.")
    idempotency_key: str = strawberry.field(
        description="Chosen by the client per application; resending with the same key answers "
        "the same receipt."
    )
    fields: list[ApplicationFieldInput] = strawberry.field(default_factory=list)
    property_id: strawberry.ID | None = strawberry.field(
        default=None, description="Global id of one of the viewer's properties."
    )
    files: list[ApplicationFileInput] = strawberry.field(
        default_factory=list,
        description="Attachments (multipart upload); the gateway adds the form PDF first.",
    )
