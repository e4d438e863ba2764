"""The ``Citizen`` type: the person logged in.

Each domain contributes its fields as a mixin (``schema/<domain>/citizen_fields.py``), so the
domains grow independently while the type stays one.
"""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from auth.viewer import Viewer
from resolvers.citizen.loaders import PrivatePersonByPidLoader
from resolvers.context import Context
from schema.access_log.citizen_fields import CitizenAccessLogFields
from schema.case.citizen_fields import CitizenCaseFields
from schema.citizen.sources import SourceStatus
from schema.common import LevelOfAssurance
from schema.invoice.citizen_fields import CitizenInvoiceFields
from schema.property.citizen_fields import CitizenPropertyFields
from schema.relay import Node, global_id
from schema.submission.citizen_fields import CitizenSubmissionFields


@strawberry.type(description="A person's name as the case and archive system knows it.")
class PersonName:
    given_name: str | None
    family_name: str | None
    full_name: str


@strawberry.type(description="Innbyggeren som er logget inn (the logged-in citizen).")
class Citizen(
    CitizenPropertyFields,
    CitizenCaseFields,
    CitizenInvoiceFields,
    CitizenSubmissionFields,
    CitizenAccessLogFields,
    Node,
):
    viewer: strawberry.Private[Viewer]
    level_of_assurance: LevelOfAssurance = strawberry.field(
        description="How strongly the citizen is authenticated in this session."
    )

    @classmethod
    def from_viewer(cls, viewer: Viewer, viewer_key: str) -> Citizen:
        """The citizen for a viewer; the pid stays on the server, it is no field here."""
        return cls(
            id=global_id("Citizen", viewer_key),
            viewer=viewer,
            level_of_assurance=LevelOfAssurance(viewer.acr.value),
        )

    @strawberry.field(description="The citizen's name (from the case and archive system).")
    async def name(self, info: Info[Context, None]) -> PersonName | None:
        loader = info.context.loader(PrivatePersonByPidLoader)
        person = await loader.value(self.viewer.pid)
        if person is None:
            return None
        return PersonName(
            given_name=" ".join(n for n in (person.first_name, person.middle_name) if n) or None,
            family_name=person.last_name,
            full_name=person.name,
        )

    @strawberry.field(
        description="Per back-office system: is its data in this response OK, stale or "
        "unavailable, and as of when. Reported after the rest of the response was fetched."
    )
    async def sources(self, info: Info[Context, None]) -> list[SourceStatus]:
        context = info.context
        await context.sources.settled()
        return [
            SourceStatus.from_report(report, context.language)
            for report in context.sources.report()
        ]
