"""The fields this domain adds to ``Citizen`` (the type is composed in schema/citizen/types.py)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from auth.viewer import Viewer
from resolvers.context import Context
from resolvers.property import properties
from schema.property import nodes as _nodes  # noqa: F401  (registers node(id:) resolvers)
from schema.property.lookahead import wanted_branches
from schema.property.types import Property
from schema.relay import Connection, First, check_page_size, paginate


@strawberry.type
class CitizenPropertyFields:
    """Mixin of ``Citizen``: Min eiendom."""

    viewer: strawberry.Private[Viewer]

    @strawberry.field(
        description="Min eiendom: the properties the citizen (co-)owns, by matrikkelnummer. "
        "Null when the property register is unavailable (with an error)."
    )
    async def properties(
        self, info: Info[Context, None], first: First = None, after: str | None = None
    ) -> Connection[Property] | None:
        size = check_page_size(first)  # a bad argument is the client's error even if Matrikkel
        # is down. Branches start now, not when their fields are reached; after a cursor the
        # page is a slice not known before the list is sorted.
        branches = wanted_branches(info)
        page_size = 0 if after else size
        owned = await properties.owned_properties(info.context, self.viewer, branches, page_size)
        return paginate([Property.from_owned(o) for o in owned], first, after)
