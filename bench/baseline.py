"""The hand-built baseline: the dashboard's back-office calls, with its JSON built by hand.

What a gateway without GraphQL would cost: the same connectors (lxml readers, templates, the
Matrikkel reference cache) make the same calls the gateway makes for ``bench/dashboard.graphql``
(the shortest chain: the person's property ids and addresses, cases, name and invoices at once;
then the first page's properties and their PersonId, the first page's case documents; then the
fee records), and the answer is turned into JSON by a plain recursive conversion of the models
— no schema, no resolvers, no dataloaders. ``minside bench`` runs it in its own process against
the same simulators and compares its CPU per dashboard with the gateway's.
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from connectors.fees.client import FeesClient
from connectors.matrikkel.client import MatrikkelClient
from connectors.p360.client import P360Client
from connectors.registry import Connectors
from connectors.visma.client import VismaClient
from connectors.visma.models import InvoiceStatus
from resolvers.case.cases import newest_first

PROPERTIES_PAGE = 10
CASES_PAGE = 5
INVOICES_PAGE = 5
UNPAID = {status for status in InvoiceStatus if status is not InvoiceStatus.PAID}


def plain(value: Any) -> Any:
    """``value`` as JSON-ready Python: dataclasses, enums, money and dates by hand. Fields kept
    out of the models' repr (a fødselsnummer) stay out of the JSON too."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value) if f.repr}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


async def dashboard(connectors: Connectors, pid: str) -> bytes:
    """One citizen's first page, as JSON bytes."""
    matrikkel = connectors.get(MatrikkelClient)
    p360 = connectors.get(P360Client)
    visma = connectors.get(VismaClient)
    fees = connectors.get(FeesClient)
    ids, addresses, cases, person, invoices = await asyncio.gather(
        matrikkel.property_ids_of(pid),
        matrikkel.addresses_of_person(pid),
        p360.cases_for_person(pid),
        p360.private_person(pid),
        visma.invoices_for_customer(pid),
    )
    cases = newest_first(cases)  # the page's order (the gateway's own rule)
    found, person_id, documents = await asyncio.gather(
        matrikkel.get_properties(ids),
        matrikkel.find_person_id(pid),
        p360.documents_for_cases([case.case_number for case in cases[:CASES_PAGE]]),
    )
    properties = sorted((p for p in found if p is not None), key=lambda p: str(p.matrikkelnummer))
    page = properties[:PROPERTIES_PAGE]
    records = await fees.property_data([str(p.matrikkelnummer) for p in page])
    unpaid = [invoice for invoice in invoices if invoice.status in UNPAID]
    answer = {
        "viewer": {
            "name": plain(person),
            "properties": {
                "totalCount": len(properties),
                "nodes": [
                    {
                        "property": plain(p),
                        "ownershipShare": None if person_id is None else p.share_of(person_id),
                        "addresses": plain(addresses.get(p.id, [])),
                        "record": plain(record),
                    }
                    for p, record in zip(page, records, strict=True)
                ],
            },
            "cases": {
                "totalCount": len(cases),
                "nodes": [
                    {"case": plain(case), "documents": plain(docs)}
                    for case, docs in zip(cases[:CASES_PAGE], documents, strict=True)
                ],
            },
            "invoices": {
                "totalCount": len(unpaid),
                "nodes": plain(unpaid[:INVOICES_PAGE]),
            },
        }
    }
    return json.dumps(answer).encode()
