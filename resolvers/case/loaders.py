"""Per-request dataloaders of Mine dokumenter, over the Public 360 connector.

A citizen's cases and documents are fetched person-wide, once per request, whatever the number
of cases in the answer: :class:`CasesByPidLoader` (``GetCases`` by contact, all pages) and
:class:`DocumentsByPidLoader` (``GetDocuments`` by contact, all pages). Per-case lookups go
through :class:`DocumentsByCaseNumberLoader`, which batches every case's request into that one
person-wide fetch, so ``documents`` and ``decision`` on 120 cases cost what they cost on two.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from connectors.p360.client import P360Client
from connectors.p360.models import Case, Document
from resolvers.loaders import RequestLoader
from resolvers.read_cache import CachePolicy

__all__ = [
    "PERSON_PAGE_SIZE",
    "CasesByPidLoader",
    "DocumentsByCaseNumberLoader",
    "DocumentsByPidLoader",
]

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
    """The viewer's documents of each case, in journal order, from one person-wide fetch.

    Keys must be case numbers of the viewer's own cases (callers check): the person-wide
    result can name documents of other people's cases in which the viewer was only a
    recipient, and those are never served through a case of someone else.
    """

    system = "p360"

    async def fetch(self, case_numbers: Sequence[str]) -> list[list[Document]]:
        viewer = self.context.viewer
        if viewer is None:
            raise RuntimeError("documents are only loaded for a logged-in viewer")
        grouped = await self.context.loader(DocumentsByPidLoader).load(viewer.pid)
        return [sorted(grouped.get(number, []), key=_journal_order) for number in case_numbers]
