"""The root Query type."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from resolvers import services
from resolvers.context import Context
from schema.citizen.errors import require_viewer
from schema.citizen.types import Citizen
from schema.services.types import ExternalService


@strawberry.type
class Query:
    @strawberry.field(description="Innbyggeren som er logget inn (the logged-in citizen).")
    def viewer(self, info: Info[Context, None]) -> Citizen:
        return Citizen.from_viewer(require_viewer(info))

    @strawberry.field(description="Andre tjenester: links to other services behind ID-porten.")
    def external_services(self, info: Info[Context, None]) -> list[ExternalService]:
        context = info.context
        return [
            ExternalService.from_config(service, context.language)
            for service in services.external_services(context)
        ]
