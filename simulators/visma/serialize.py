"""Population invoices as the JSON of ``contracts/visma/visma-invoices.v1.yaml`` (Fiks names)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from simulators.population.models import Invoice, InvoiceStatus

__all__ = ["invoice_json", "pdf_path"]


def _dec(value: Decimal) -> str:
    return format(value, "f")


def pdf_path(number: str) -> str:
    """Where the service serves the invoice's PDF (relative to its base URL)."""
    return f"/api/v1/invoices/{number}/pdf"


def invoice_json(invoice: Invoice) -> dict[str, Any]:
    """One invoice (faktura)."""
    return {
        "fakturanummer": invoice.invoice_number,
        "tittel": invoice.title,
        "fakturaDato": invoice.issued_on.isoformat(),
        "forfallDato": invoice.due_on.isoformat(),
        "status": invoice.status.value,
        "kanBetales": invoice.payable,
        "korrigert": invoice.credited_amount > 0 or invoice.status == InvoiceStatus.KREDITERT,
        "sendtTilEkstern": invoice.sent_to_external,
        "forfalt": invoice.overdue,
        "beskrivelse": invoice.description,
        "fakturaMottaker": invoice.recipient,
        "betalesTil": invoice.pay_to,
        "belop": _dec(invoice.amount),
        "innbetaltBelop": _dec(invoice.paid_amount),
        "gebyr": _dec(invoice.fee),
        "renter": _dec(invoice.interest),
        "totalbelop": _dec(invoice.total),
        "utestaendeBelop": _dec(invoice.outstanding),
        "kreditertBelop": _dec(invoice.credited_amount),
        "kontonummer": invoice.account_number,
        "kid": invoice.kid,
        "forsendelseskanal": invoice.channel,
        "betaltDato": None if invoice.paid_on is None else invoice.paid_on.isoformat(),
        "matrikkelnummer": invoice.matrikkelnummer,
        "faktura": {
            "tittel": f"Faktura {invoice.invoice_number}",
            "url": pdf_path(invoice.invoice_number),
        },
        "fakturalinjer": [
            {
                "beskrivelse": line.description,
                "antall": _dec(line.quantity),
                "enhet": line.unit,
                "enhetspris": _dec(line.unit_price),
                "belop": _dec(line.amount),
                "mvaSats": _dec(line.vat_rate),
            }
            for line in invoice.lines
        ],
    }
