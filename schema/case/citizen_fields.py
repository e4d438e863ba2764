"""The fields this domain adds to ``Citizen`` (the type is composed in schema/citizen/types.py)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

import schema.case.nodes  # noqa: F401  (registers node(id:) for Case and Document)
from resolvers.case.cases import viewer_cases
from resolvers.context import Context
from schema.case.filters import CaseFilter, criteria_of
from schema.case.types import Case
from schema.errors import require_viewer
from schema.relay import Connection, First, check_page_size, paginate


@strawberry.type
class CitizenCaseFields:
    """Mine dokumenter: the citizen's cases in the municipality's archive (Public 360)."""

    @strawberry.field(
        description="The citizen's cases, newest first (opened date, then case number). "
        "Null, with a SOURCE_* error, when the archive is unavailable."
    )
    async def cases(
        self,
        info: Info[Context, None],
        filter: CaseFilter | None = None,
        first: First = None,
        after: str | None = None,
    ) -> Connection[Case] | None:
        require_viewer(info)
        # Arguments are checked before the archive is asked: a bad one costs no call.
        check_page_size(first)
        paginate((), first, after)  # checks the cursor's form
        criteria = criteria_of(filter)
        cases = await viewer_cases(info.context, criteria)
        return paginate([Case.from_p360(case) for case in cases], first, after)
