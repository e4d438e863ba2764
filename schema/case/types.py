"""GraphQL types of Mine dokumenter: ``Case``, ``Document`` and ``File``.

Each wraps the Public 360 connector's model (kept private). Ids are built from case and
document numbers, which the citizen sees anyway; no 360 record number appears in an id or URL.
Fields that need more from 360 (a case's documents, its decision) go through the request's
person-wide dataloaders, so they cost no call per case.
"""

from __future__ import annotations

from datetime import date

import strawberry
from strawberry.types import Info

from connectors.p360 import models as p360
from connectors.p360.codes import status_of
from resolvers.case.cases import closed_on, decision_of, documents_of_case
from resolvers.context import Context
from resolvers.links import case_file_url
from schema.case.enums import (
    CASE_KIND_LABELS,
    CASE_STATUS_LABELS,
    DIRECTION_LABELS,
    CaseKind,
    CaseStatus,
    DocumentDirection,
)
from schema.labels import label
from schema.relay import Node, global_id

__all__ = ["Case", "Document", "File"]


@strawberry.type(description="A file of a document (the letter itself or an attachment).")
class File:
    source: strawberry.Private[p360.DocumentFile]
    name: str = strawberry.field(description="File name, with extension.")
    content_type: str = strawberry.field(description="MIME type, e.g. application/pdf.")
    size: int | None = strawberry.field(
        description="Size in bytes, when known (the archive's listing does not say; null)."
    )

    @classmethod
    def from_p360(cls, file: p360.DocumentFile) -> File:
        return cls(source=file, name=file.name, content_type=file.content_type, size=None)

    @strawberry.field(
        description="Absolute download URL at the gateway. Short-lived and bound to the "
        "logged-in citizen: useless to anyone else, even when shared."
    )
    def download_url(self, info: Info[Context, None]) -> str:
        return case_file_url(info.context, self.source)


@strawberry.type(description="A document (journalpost) of one of the citizen's cases.")
class Document(Node):
    source: strawberry.Private[p360.Document]
    document_number: str = strawberry.field(description='Document number, e.g. "2024/01234-3".')
    title: str
    date: date | None = strawberry.field(description="Document date (journal date if none).")
    direction: DocumentDirection
    is_decision: bool = strawberry.field(description="True for a decision (vedtak).")

    @classmethod
    def from_p360(cls, document: p360.Document) -> Document:
        return cls(
            id=global_id("Document", document.document_number),
            source=document,
            document_number=document.document_number,
            title=document.title,
            date=document.document_date or document.journal_date,
            direction=DocumentDirection(document.direction.value),
            is_decision=document.is_decision,
        )

    @strawberry.field(description="The direction in the request's language.")
    def direction_label(self, info: Info[Context, None]) -> str:
        return label(DIRECTION_LABELS, self.direction, info.context.language)

    @strawberry.field(description="The document's files (main document first).")
    def files(self) -> list[File]:
        return [File.from_p360(file) for file in self.source.files]


@strawberry.type(
    description="A case (sak) in the municipality's archive where the citizen is a party."
)
class Case(Node):
    source: strawberry.Private[p360.Case]
    case_number: str = strawberry.field(description='Case number, e.g. "2024/01234".')
    title: str
    kind: CaseKind
    status: CaseStatus
    opened_at: date | None = strawberry.field(description="When the case was opened.")

    @classmethod
    def from_p360(cls, case: p360.Case) -> Case:
        return cls(
            id=global_id("Case", case.case_number),
            source=case,
            case_number=case.case_number,
            title=case.title,
            kind=CaseKind(case.kind.value),
            status=CaseStatus(status_of(case.status).value),
            opened_at=case.opened_on,
        )

    @strawberry.field(description="The kind in the request's language.")
    def kind_label(self, info: Info[Context, None]) -> str:
        return label(CASE_KIND_LABELS, self.kind, info.context.language)

    @strawberry.field(description="The status in the request's language.")
    def status_label(self, info: Info[Context, None]) -> str:
        return label(CASE_STATUS_LABELS, self.status, info.context.language)

    @strawberry.field(
        description="When a finished case was finished: the date of its last journal entry "
        "(the archive has no closing date); null while open or when unknown."
    )
    async def closed_at(self, info: Info[Context, None]) -> date | None:
        if status_of(self.source.status).is_open:
            return None  # no need to ask the archive
        documents = await documents_of_case(info.context, self.case_number)
        return closed_on(self.source, documents)

    @strawberry.field(
        description="The case's documents in journal order; null if the archive is unavailable."
    )
    async def documents(self, info: Info[Context, None]) -> list[Document] | None:
        documents = await documents_of_case(info.context, self.case_number)
        return [Document.from_p360(document) for document in documents]

    @strawberry.field(description="The decision (vedtak) of the case, if one has been made.")
    async def decision(self, info: Info[Context, None]) -> Document | None:
        found = decision_of(await documents_of_case(info.context, self.case_number))
        return Document.from_p360(found) if found is not None else None
