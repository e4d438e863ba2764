"""The root Query type."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from resolvers import services
from resolvers.context import Context
from schema.citizen.types import Citizen
from schema.errors import require_viewer
from schema.node import register_node, resolve_node
from schema.relay import Node
from schema.services.types import ExternalService
from schema.submission.catalogue import ApplicationType


@register_node("Citizen")
async def _citizen_node(info: Info[Context, None], key: str) -> Citizen | None:
    viewer = require_viewer(info)
    own_key = info.context.viewer_key(viewer)
    return Citizen.from_viewer(viewer, own_key) if key == own_key else None


@strawberry.type
class Query:
    @strawberry.field(description="Innbyggeren som er logget inn (the logged-in citizen).")
    def viewer(self, info: Info[Context, None]) -> Citizen:
        viewer = require_viewer(info)
        return Citizen.from_viewer(viewer, info.context.viewer_key(viewer))

    @strawberry.field(
        description="Any of the viewer's objects by its global id (Relay). Someone else's id, "
        "a malformed one and a missing object all answer null."
    )
    async def node(self, info: Info[Context, None], id: strawberry.ID) -> Node | None:
        require_viewer(info)
        found: Node | None = await resolve_node(info, id)
        return found

    @strawberry.field(description="Andre tjenester: links to other services behind ID-porten.")
    def external_services(self, info: Info[Context, None]) -> list[ExternalService]:
        context = info.context
        return [
            ExternalService.from_config(service, context.language)
            for service in services.external_services(context)
        ]

    @strawberry.field(
        description="Applications the citizen can submit (submitApplication), in the "
        "request's language."
    )
    def application_types(self, info: Info[Context, None]) -> list[ApplicationType]:
        context = info.context
        return [
            ApplicationType.from_config(
                kind, context.language, context.services.settings.upload_max_file_bytes
            )
            for kind in context.services.application_types.types
        ]
