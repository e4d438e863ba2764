"""Enums of Mine dokumenter with their nb/nn/en labels."""

from __future__ import annotations

from enum import Enum
from typing import Final

import strawberry

from schema.labels import Label

__all__ = [
    "CASE_KIND_LABELS",
    "CASE_STATUS_LABELS",
    "DIRECTION_LABELS",
    "CaseKind",
    "CaseStatus",
    "DocumentDirection",
]


@strawberry.enum(description="What a case is about.")
class CaseKind(Enum):
    APPLICATION = "APPLICATION"
    BUILDING = "BUILDING"
    PLANNING = "PLANNING"
    WATER_SEWAGE_WASTE = "WATER_SEWAGE_WASTE"
    OTHER = "OTHER"


@strawberry.enum(
    description="Where a case is in its life: OPEN (registered, not yet taken up), "
    "IN_PROGRESS (being handled), DECIDED (handled by the case officer, not yet archived), "
    "CLOSED (finished)."
)
class CaseStatus(Enum):
    OPEN = "OPEN"
    IN_PROGRESS = "IN_PROGRESS"
    DECIDED = "DECIDED"
    CLOSED = "CLOSED"


@strawberry.enum(description="Whether a document came in, went out, or is an internal note.")
class DocumentDirection(Enum):
    INCOMING = "INCOMING"
    OUTGOING = "OUTGOING"
    INTERNAL = "INTERNAL"


CASE_KIND_LABELS: Final[dict[CaseKind, Label]] = {
    CaseKind.APPLICATION: Label("Søknad", "Søknad", "Application"),
    CaseKind.BUILDING: Label("Byggesak", "Byggjesak", "Building case"),
    CaseKind.PLANNING: Label("Plansak", "Plansak", "Planning case"),
    CaseKind.WATER_SEWAGE_WASTE: Label(
        "Vann, avløp og renovasjon", "Vatn, avløp og renovasjon", "Water, sewage and waste"
    ),
    CaseKind.OTHER: Label("Annen sak", "Anna sak", "Other case"),
}

CASE_STATUS_LABELS: Final[dict[CaseStatus, Label]] = {
    CaseStatus.OPEN: Label("Mottatt", "Motteken", "Received"),
    CaseStatus.IN_PROGRESS: Label("Under behandling", "Under handsaming", "In progress"),
    CaseStatus.DECIDED: Label("Avgjort", "Avgjord", "Decided"),
    CaseStatus.CLOSED: Label("Avsluttet", "Avslutta", "Closed"),
}

DIRECTION_LABELS: Final[dict[DocumentDirection, Label]] = {
    DocumentDirection.INCOMING: Label("Inngående", "Inngåande", "Incoming"),
    DocumentDirection.OUTGOING: Label("Utgående", "Utgåande", "Outgoing"),
    DocumentDirection.INTERNAL: Label("Internt notat", "Internt notat", "Internal note"),
}
