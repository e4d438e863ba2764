"""The viewer's cases and documents: ordering, filtering and ownership checks.

Everything here works on the connector's models; the schema layer turns them into GraphQL
types. Ownership is always decided from the viewer's own case list, so an id or a case number
of someone else's case finds nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from connectors.p360.codes import status_of
from connectors.p360.models import Case, CaseKind, CaseStatus, Document
from resolvers.case.loaders import CasesByPidLoader, DocumentsByCaseNumberLoader
from resolvers.context import Context

__all__ = [
    "CaseCriteria",
    "case_of_viewer",
    "closed_on",
    "decision_of",
    "document_of_viewer",
    "documents_of_case",
    "newest_first",
    "viewer_cases",
]


@dataclass(frozen=True)
class CaseCriteria:
    """What the citizen filters the case list by; ``None`` means "any"."""

    kinds: frozenset[CaseKind] | None = None
    statuses: frozenset[CaseStatus] | None = None
    open: bool | None = None
    opened_from: date | None = None
    opened_to: date | None = None

    def matches(self, case: Case) -> bool:
        """True when `case` passes every given criterion (dates inclusive)."""
        status = status_of(case.status)
        if self.kinds is not None and case.kind not in self.kinds:
            return False
        if self.statuses is not None and status not in self.statuses:
            return False
        if self.open is not None and status.is_open != self.open:
            return False
        if self.opened_from is not None or self.opened_to is not None:
            # A case without a date cannot be said to lie in the range.
            if case.opened_on is None:
                return False
            if self.opened_from is not None and case.opened_on < self.opened_from:
                return False
            if self.opened_to is not None and case.opened_on > self.opened_to:
                return False
        return True


def newest_first(cases: Iterable[Case]) -> list[Case]:
    """Cases by opened date, newest first, then by case number (newest first); undated last."""
    ordered = sorted(cases, key=lambda case: case.case_number, reverse=True)
    dated = sorted((c for c in ordered if c.opened_on is not None), key=_opened, reverse=True)
    return dated + [c for c in ordered if c.opened_on is None]


def _opened(case: Case) -> date:
    assert case.opened_on is not None
    return case.opened_on


def _pid(context: Context) -> str:
    if context.viewer is None:
        raise RuntimeError("cases are only loaded for a logged-in viewer")
    return context.viewer.pid


async def viewer_cases(context: Context, criteria: CaseCriteria | None = None) -> list[Case]:
    """The viewer's cases (one fetch per request), filtered, newest first."""
    cases = await context.loader(CasesByPidLoader).value(_pid(context))
    wanted = criteria or CaseCriteria()
    return newest_first(case for case in cases if wanted.matches(case))


async def case_of_viewer(context: Context, case_number: str) -> Case | None:
    """The viewer's case with this number, or None (also for someone else's case)."""
    cases = await context.loader(CasesByPidLoader).value(_pid(context))
    return next((case for case in cases if case.case_number == case_number), None)


async def documents_of_case(context: Context, case_number: str) -> list[Document]:
    """The documents of one of the viewer's cases, in journal order (batched person-wide)."""
    documents: list[Document] = await context.loader(DocumentsByCaseNumberLoader).value(case_number)
    return documents


def decision_of(documents: Sequence[Document]) -> Document | None:
    """The case's decision: the latest journal entry marked as a decision (vedtak)."""
    decisions = [document for document in documents if document.is_decision]
    return decisions[-1] if decisions else None


async def document_of_viewer(context: Context, document_number: str) -> Document | None:
    """A document of one of the viewer's cases by its number, or None."""
    case_number, separator, _ = document_number.rpartition("-")
    if not separator or await case_of_viewer(context, case_number) is None:
        return None
    documents = await documents_of_case(context, case_number)
    return next((d for d in documents if d.document_number == document_number), None)


def closed_on(case: Case, documents: Sequence[Document]) -> date | None:
    """When a finished case was finished, as far as the archive tells.

    360's case record has no closing date, so this is the date of the case's last journal
    entry (the decision or final answer that ended it); None for a case still open or one
    without dated entries.
    """
    if status_of(case.status).is_open:
        return None
    dates = [d.document_date or d.journal_date for d in documents]
    known = [day for day in dates if day is not None]
    return max(known) if known else None
