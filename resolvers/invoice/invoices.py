"""The viewer's invoices: one fetch per request, ordered, filtered and matched to properties."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from connectors.visma import Invoice
from resolvers.context import Context
from resolvers.invoice.loaders import InvoicesByCustomerLoader
from resolvers.invoice.status import UNPAID_STATUSES, DisplayStatus, display_status

T = TypeVar("T")

_MATRIKKELNUMMER = re.compile(r"^\s*(\d{4})-(\d+)/(\d+)(?:/(\d+))?(?:/(\d+))?\s*$")


@dataclass(frozen=True)
class InvoiceCriteria:
    """Which of the viewer's invoices to show; every part optional, all parts must hold."""

    statuses: frozenset[DisplayStatus] | None = None
    issued_from: date | None = None  # inclusive
    issued_to: date | None = None  # inclusive
    unpaid_only: bool = False

    def matches(self, invoice: Invoice) -> bool:
        status = display_status(invoice)
        return (
            (self.statuses is None or status in self.statuses)
            and (self.issued_from is None or invoice.issued_on >= self.issued_from)
            and (self.issued_to is None or invoice.issued_on <= self.issued_to)
            and (not self.unpaid_only or status in UNPAID_STATUSES)
        )


def newest_first(invoices: Iterable[Invoice]) -> list[Invoice]:
    """Newest issued first; the number breaks ties so pages are stable."""
    return sorted(invoices, key=lambda i: (i.issued_on, i.invoice_number), reverse=True)


async def viewer_invoices(
    context: Context, criteria: InvoiceCriteria | None = None
) -> list[Invoice]:
    """The viewer's invoices matching `criteria`, newest first (one Visma search per request)."""
    viewer = context.viewer
    if viewer is None:
        return []
    invoices = await context.loader(InvoicesByCustomerLoader).value(viewer.pid)
    chosen = invoices if criteria is None else [i for i in invoices if criteria.matches(i)]
    return newest_first(chosen)


def matrikkelnummer_key(text: str) -> tuple[str, int, int, int, int] | str:
    """A comparable form of a matrikkelnummer (festenummer and seksjonsnummer default to 0)."""
    match = _MATRIKKELNUMMER.match(text)
    if match is None:
        return text.strip()
    kommune, gnr, bnr, fnr, snr = match.groups()
    return (kommune, int(gnr), int(bnr), int(fnr or 0), int(snr or 0))


async def property_invoices(context: Context, matrikkelnummer: str) -> list[Invoice]:
    """The viewer's invoices for the property `matrikkelnummer`, newest first."""
    wanted = matrikkelnummer_key(matrikkelnummer)
    return [
        invoice
        for invoice in await viewer_invoices(context)
        if invoice.matrikkelnummer is not None
        and matrikkelnummer_key(invoice.matrikkelnummer) == wanted
    ]


async def viewer_invoice(context: Context, number: str) -> Invoice | None:
    """One of the viewer's invoices by number; None if missing or someone else's.

    Found in the viewer's own invoice list (the one search per request every invoice field
    shares), never by asking the ERP for that number: a by-number read relies on the ERP's
    customer filter alone, and an ERP that ignores it (misconfigured) would hand out anyone's
    invoice. The list holds the same records, so this costs no call of its own.
    """
    if context.viewer is None:
        return None
    invoices = await context.loader(InvoicesByCustomerLoader).value(context.viewer.pid)
    return next((invoice for invoice in invoices if invoice.invoice_number == number), None)
