"""The root Query type."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from resolvers import services
from resolvers.context import Context
from schema.services.types import ExternalService


@strawberry.type
class Query:
    @strawberry.field(description="Andre tjenester: links to other services behind ID-porten.")
    def external_services(self, info: Info[Context, None]) -> list[ExternalService]:
        context = info.context
        return [
            ExternalService.from_config(service, context.language)
            for service in services.external_services(context)
        ]
