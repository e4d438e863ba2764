"""``CaseFilter``: the case list's filter input, validated into resolver criteria."""

from __future__ import annotations

from datetime import date

import strawberry

from connectors.p360.models import CaseKind as P360CaseKind
from connectors.p360.models import CaseStatus as P360CaseStatus
from resolvers.case.cases import CaseCriteria
from schema.case.enums import CaseKind, CaseStatus
from schema.relay import BadUserInput

__all__ = ["CaseFilter", "criteria_of"]


@strawberry.input(description="Which cases to list; every given criterion must hold.")
class CaseFilter:
    kinds: list[CaseKind] | None = strawberry.field(
        default=None, description="Only cases of these kinds."
    )
    statuses: list[CaseStatus] | None = strawberry.field(
        default=None, description="Only cases with these statuses."
    )
    open: bool | None = strawberry.field(
        default=None,
        description="true: only cases still being handled (OPEN, IN_PROGRESS); "
        "false: only finished ones (DECIDED, CLOSED).",
    )
    opened_from: date | None = strawberry.field(
        default=None, description="Only cases opened on or after this date."
    )
    opened_to: date | None = strawberry.field(
        default=None, description="Only cases opened on or before this date."
    )


def criteria_of(given: CaseFilter | None) -> CaseCriteria:
    """The criteria of a filter; BAD_USER_INPUT for a range that ends before it starts."""
    if given is None:
        return CaseCriteria()
    if (
        given.opened_from is not None
        and given.opened_to is not None
        and given.opened_from > given.opened_to
    ):
        raise BadUserInput("openedFrom must not be after openedTo", "filter.openedFrom")
    return CaseCriteria(
        kinds=(
            frozenset(P360CaseKind(kind.value) for kind in given.kinds)
            if given.kinds is not None
            else None
        ),
        statuses=(
            frozenset(P360CaseStatus(status.value) for status in given.statuses)
            if given.statuses is not None
            else None
        ),
        open=given.open,
        opened_from=given.opened_from,
        opened_to=given.opened_to,
    )
