"""Per-request dataloaders of Mine dokumenter, over the Public 360 connector.

A citizen's case list is fetched person-wide, once per request (:class:`CasesByPidLoader`,
``GetCases`` by contact, all pages): paging and filtering need all of it. Documents follow the
page instead: :class:`DocumentsByCaseNumberLoader` asks ``GetDocuments`` only for the cases the
query reaches (the five of ``cases(first: 5)``, not the person's 120), every case of one query
level in one batched connector call. ``GetDocumentsQuery`` takes a single ``CaseNumber``, so
that call fans out in parallel, one round trip deep. When a level asks for most of the
person's cases, or more than :data:`PER_CASE_LIMIT` (what the connector asks at once), one
person-wide ``GetDocuments`` by contact (:class:`DocumentsByPidLoader`) is cheaper than many
calls or waves of them, and is used.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from connectors.p360.client import DEFAULT_PARALLEL_CASES, P360Client
from connectors.p360.models import Case, Document
from resolvers.loaders import RequestLoader
from resolvers.read_cache import CachePolicy

__all__ = [
    "PERSON_PAGE_SIZE",
    "PER_CASE_LIMIT",
    "CasesByPidLoader",
    "DocumentsByCaseNumberLoader",
    "DocumentsByPidLoader",
]

#: Most cases whose documents are asked case by case; a larger page reads person-wide. The
#: connector runs this many GetDocuments at once, so case by case stays one round trip deep.
PER_CASE_LIMIT: Final = DEFAULT_PARALLEL_CASES

#: Page size of the person-wide reads. Large, so a citizen with a few hundred journal entries
#: is one call per operation; paging still covers anyone with more.
PERSON_PAGE_SIZE: Final = 500


class CasesByPidLoader(RequestLoader[str, list[Case]]):
    """Every case where the person is a party (the key is the viewer's pid, never logged)."""

    system = "p360"
    cache_policy = CachePolicy("p360.cases", ttl_s=60)

    async def fetch(self, pids: Sequence[str]) -> list[list[Case]]:
        p360 = self.context.services.connectors.get(P360Client)
        # Only ever one key (the viewer) per request; a loop keeps the contract general.
        return [
            await self.call(p360.cases_for_person(pid, page_size=PERSON_PAGE_SIZE)) for pid in pids
        ]


class DocumentsByPidLoader(RequestLoader[str, dict[str, list[Document]]]):
    """Every document naming the person as a contact, grouped by case number."""

    system = "p360"
    cache_policy = CachePolicy("p360.documents", ttl_s=60)

    async def fetch(self, pids: Sequence[str]) -> list[dict[str, list[Document]]]:
        p360 = self.context.services.connectors.get(P360Client)
        return [
            await self.call(p360.documents_for_person(pid, page_size=PERSON_PAGE_SIZE))
            for pid in pids
        ]


def _journal_order(document: Document) -> tuple[int, str]:
    # Document numbers are "<case number>-<sequence>": journal order is the sequence.
    _, _, sequence = document.document_number.rpartition("-")
    return (int(sequence) if sequence.isdigit() else 0, document.document_number)


class DocumentsByCaseNumberLoader(RequestLoader[str, list[Document]]):
    """The viewer's documents of each case, in journal order: only the cases asked for (the
    page), and only those the document visibility rule lets the citizen see (no internal
    notes, drafts or exempt entries; see :mod:`resolvers.document_visibility`).

    Keys must be case numbers of the viewer's own cases (callers check, from the viewer's
    case list), so a case number of someone else's case is never asked for.
    """

    system = "p360"
    # Per viewer: what a case's documents are depends on who asks (those naming them).
    cache_policy = CachePolicy("p360.case_documents", ttl_s=60, per_viewer=True)

    async def fetch(self, case_numbers: Sequence[str]) -> list[list[Document]]:
        viewer = self.context.viewer
        if viewer is None:
            raise RuntimeError("documents are only loaded for a logged-in viewer")
        # Callers found these numbers in the case list, so it is loaded: no extra call.
        every_case = await self.context.loader(CasesByPidLoader).load(viewer.pid)
        if len(case_numbers) > PER_CASE_LIMIT or 2 * len(case_numbers) > len(every_case):
            grouped = await self.context.loader(DocumentsByPidLoader).load(viewer.pid)
            found = [grouped.get(number, []) for number in case_numbers]
        else:
            p360 = self.context.services.connectors.get(P360Client)
            # The documents naming the viewer, as the person-wide read finds them: both paths
            # (and the download check) see the same documents of a case with several parties.
            found = await self.call(
                p360.documents_for_cases(list(case_numbers), contact=viewer.pid)
            )
        rule = self.context.services.document_visibility
        return [rule.visible(sorted(documents, key=_journal_order)) for documents in found]
