"""``viewer.sources``: which back-office system is OK, stale or unavailable, and since when."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING

import strawberry

from kernel.i18n import Language
from kernel.systems import SYSTEMS
from resolvers.sources import SourceReport, SourceState
from schema.labels import Label, label

# One value per system registered in kernel.systems, named after it (MATRIKKEL = "matrikkel").
if TYPE_CHECKING:
    Source = Enum
else:
    Source = strawberry.enum(
        Enum("Source", {system.name.upper(): system.name for system in SYSTEMS}),
        description="A back-office system Min side reads from.",
    )


@strawberry.enum(description="What a system's data in this response is worth.")
class SourceStatusKind(Enum):
    OK = "OK"
    STALE = "STALE"
    UNAVAILABLE = "UNAVAILABLE"


SOURCE_LABELS = {Source(system.name): Label(*system.labels) for system in SYSTEMS}
STATUS_LABELS = {
    SourceStatusKind.OK: Label("Oppdatert", "Oppdatert", "Up to date"),
    SourceStatusKind.STALE: Label("Kan være utdatert", "Kan vere utdatert", "May be out of date"),
    SourceStatusKind.UNAVAILABLE: Label(
        "Utilgjengelig akkurat nå", "Utilgjengeleg akkurat no", "Unavailable right now"
    ),
}


@strawberry.type(description="The state of one back-office system for this response.")
class SourceStatus:
    source: Source
    source_label: str = strawberry.field(description="Name of the source, in the language.")
    status: SourceStatusKind
    status_label: str = strawberry.field(description="The status, in the request's language.")
    as_of: datetime | None = strawberry.field(
        description="How current this system's data in the response is: when the oldest "
        "copy served from the gateway's cache was fetched (for STALE: the copy served while "
        "the system fails), else when the system last answered (null: not yet)."
    )
    unavailable_since: datetime | None = strawberry.field(
        description="When the system last failed, if it is unavailable."
    )

    @classmethod
    def from_report(cls, report: SourceReport, language: Language) -> SourceStatus:
        source = Source(report.system)
        status = SourceStatusKind(report.state.value)
        return cls(
            source=source,
            source_label=label(SOURCE_LABELS, source, language),
            status=status,
            status_label=label(STATUS_LABELS, status, language),
            as_of=report.as_of,
            unavailable_since=report.unavailable_since
            if report.state is SourceState.UNAVAILABLE
            else None,
        )
