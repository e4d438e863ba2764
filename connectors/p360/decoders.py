"""The hot Public 360 replies' two readings: zeep's (the reference) and lxml's (production).

Each :class:`~connectors.soap.ReplyDecoder` pairs :mod:`connectors.p360.parse` (zeep objects
to models) with :mod:`connectors.p360.read` (lxml elements to models); the client calls with
these, so it reads with lxml, and the equivalence tests feed the same bytes to both.
"""

from __future__ import annotations

from typing import Any, Final

from connectors.p360.models import PrivatePerson
from connectors.p360.parse import parse_cases_page, parse_documents_page, parse_private_persons
from connectors.p360.read import (
    CasesPage,
    DocumentsPage,
    read_cases_page,
    read_documents_page,
    read_private_persons,
)
from connectors.soap import ReplyDecoder

__all__ = ["CASES_PAGE", "DECODERS", "DOCUMENTS_PAGE", "PRIVATE_PERSONS"]

CASES_PAGE: Final[ReplyDecoder[CasesPage]] = ReplyDecoder(parse_cases_page, read_cases_page)
DOCUMENTS_PAGE: Final[ReplyDecoder[DocumentsPage]] = ReplyDecoder(
    parse_documents_page, read_documents_page
)
PRIVATE_PERSONS: Final[ReplyDecoder[list[PrivatePerson]]] = ReplyDecoder(
    parse_private_persons, read_private_persons
)

#: The decoder of each hot operation, by operation name.
DECODERS: Final[dict[str, ReplyDecoder[Any]]] = {
    "GetCases": CASES_PAGE,
    "GetDocuments": DOCUMENTS_PAGE,
    "GetPrivatePersons": PRIVATE_PERSONS,
}
