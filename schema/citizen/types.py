"""The ``Citizen`` type: the person logged in (more fields arrive with the domains)."""

from __future__ import annotations

import strawberry

from auth.viewer import Viewer
from schema.common import LevelOfAssurance


@strawberry.type(description="Innbyggeren som er logget inn (the logged-in citizen).")
class Citizen:
    level_of_assurance: LevelOfAssurance = strawberry.field(
        description="How strongly the citizen is authenticated in this session."
    )

    @classmethod
    def from_viewer(cls, viewer: Viewer) -> Citizen:
        """The citizen for a viewer; the pid stays on the server, it is no field here."""
        return cls(level_of_assurance=LevelOfAssurance(viewer.acr.value))
