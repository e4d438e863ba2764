"""GraphQL types of the external-services domain."""

from __future__ import annotations

import strawberry

from kernel.external_services import ExternalService as ExternalServiceConfig
from kernel.i18n import Language
from schema.common import LevelOfAssurance


@strawberry.type(
    description="A service outside Min side that the citizen reaches with the same ID-porten "
    "login (single sign-on). Texts follow the request's Accept-Language (nb, nn, en; default nb)."
)
class ExternalService:
    id: strawberry.ID = strawberry.field(description="Stable identifier of the link.")
    name: str = strawberry.field(description="Name, in the request's language.")
    description: str = strawberry.field(description="One-line description, in the language.")
    url: str = strawberry.field(description="Where the link goes (https).")
    minimum_level_of_assurance: LevelOfAssurance = strawberry.field(
        description="The level of assurance the target service asks for; a citizen logged in "
        "below it is asked to log in again at that level there."
    )

    @classmethod
    def from_config(cls, service: ExternalServiceConfig, language: Language) -> ExternalService:
        return cls(
            id=strawberry.ID(service.id),
            name=service.name.in_language(language),
            description=service.description.in_language(language),
            url=str(service.url),
            minimum_level_of_assurance=LevelOfAssurance(service.minimum_level_of_assurance),
        )
