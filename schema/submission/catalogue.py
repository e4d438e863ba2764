"""``applicationTypes``: the catalogue of applications, in the request's language."""

from __future__ import annotations

from decimal import Decimal
from enum import Enum

import strawberry

from kernel.i18n import Language
from resolvers import application_types as config
from schema.common import LevelOfAssurance


@strawberry.enum(description="How a form field's value is typed and checked.")
class FormFieldType(Enum):
    TEXT = "TEXT"
    NUMBER = "NUMBER"
    DATE = "DATE"
    BOOLEAN = "BOOLEAN"
    CHOICE = "CHOICE"


@strawberry.enum(name="ApplicationCaseKind", description="The kind of case an application opens.")
class CaseKind(Enum):
    APPLICATION = "APPLICATION"
    BUILDING = "BUILDING"
    PLANNING = "PLANNING"
    WATER_SEWAGE_WASTE = "WATER_SEWAGE_WASTE"
    OTHER = "OTHER"


@strawberry.type(description="One allowed value of a CHOICE field.")
class FormFieldOption:
    value: str = strawberry.field(description="What to send as the field's value.")
    label: str


@strawberry.type(description="A field of an application form.")
class FormField:
    key: str = strawberry.field(description="What to send as the field's key.")
    label: str
    type: FormFieldType
    required: bool
    max_length: int = strawberry.field(description="Longest value accepted (characters).")
    minimum: Decimal | None = strawberry.field(description="NUMBER: the least value.")
    maximum: Decimal | None = strawberry.field(description="NUMBER: the greatest value.")
    options: list[FormFieldOption] = strawberry.field(description="CHOICE: the allowed values.")


@strawberry.type(description="A kind of attachment an application takes.")
class AttachmentKind:
    key: str = strawberry.field(description="What to send as a file's `attachment`.")
    label: str
    required: bool
    content_types: list[str] = strawberry.field(description="Allowed MIME types.")
    max_bytes: int = strawberry.field(description="Largest file (this kind's and the gateway's).")
    max_files: int


@strawberry.type(description="An application the citizen can submit (submitApplication).")
class ApplicationType:
    code: str
    name: str
    description: str
    case_kind: CaseKind = strawberry.field(description="The Public 360 case kind it opens.")
    minimum_level_of_assurance: LevelOfAssurance
    property_required: bool = strawberry.field(description="Whether propertyId must be given.")
    fields: list[FormField]
    attachments: list[AttachmentKind]

    @classmethod
    def from_config(
        cls, kind: config.ApplicationType, language: Language, max_file_bytes: int
    ) -> ApplicationType:
        return cls(
            code=kind.code,
            name=kind.name.in_language(language),
            description=kind.description.in_language(language),
            case_kind=CaseKind(kind.case_kind.value),
            minimum_level_of_assurance=LevelOfAssurance(kind.minimum_level_of_assurance),
            property_required=kind.property_required,
            fields=[
                FormField(
                    key=spec.key,
                    label=spec.label.in_language(language),
                    type=FormFieldType(spec.type.value),
                    required=spec.required,
                    max_length=spec.effective_max_length,
                    minimum=spec.minimum,
                    maximum=spec.maximum,
                    options=[
                        FormFieldOption(value=o.value, label=o.label.in_language(language))
                        for o in spec.options
                    ],
                )
                for spec in kind.fields
            ],
            attachments=[
                AttachmentKind(
                    key=spec.key,
                    label=spec.label.in_language(language),
                    required=spec.required,
                    content_types=list(spec.content_types),
                    max_bytes=min(spec.max_bytes, max_file_bytes),
                    max_files=spec.max_files,
                )
                for spec in kind.attachments
            ],
        )
