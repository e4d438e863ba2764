"""Records returned by :class:`connectors.visma.VismaClient` (frozen, money as Decimal)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum


class InvoiceStatus(StrEnum):
    """Fiks Innsyn faktura.v1 statuses (values as on the wire), plus KREDITERT."""

    PAID = "BETALT"
    UNPAID = "IKKE_BETALT"
    DEBT_COLLECTION_NOTICE = "INKASSOVARSEL"
    SENT_TO_DEBT_COLLECTION = "SENDT_INKASSO"
    CREDITED = "KREDITERT"


@dataclass(frozen=True)
class InvoiceLine:
    """A line of an invoice (fakturalinje)."""

    description: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    amount: Decimal
    vat_rate: Decimal


@dataclass(frozen=True)
class Invoice:
    """An invoice; the Fiks faktura.v1 field each attribute comes from is noted.

    ``overdue`` (forfalt) is the ERP's own judgement: unpaid, not credited and past due.
    ``pdf_path`` is where the service serves the PDF, relative to its base URL.
    """

    invoice_number: str  # fakturanummer
    title: str  # tittel
    issued_on: date  # fakturaDato
    due_on: date  # forfallDato
    status: InvoiceStatus  # status
    payable: bool  # kanBetales
    corrected: bool  # korrigert
    sent_to_external: bool  # sendtTilEkstern
    overdue: bool  # forfalt
    recipient: str  # fakturaMottaker
    pay_to: str  # betalesTil
    amount: Decimal  # belop
    paid_amount: Decimal  # innbetaltBelop
    fee: Decimal | None  # gebyr
    interest: Decimal | None  # renter
    total: Decimal  # totalbelop
    outstanding: Decimal  # utestaendeBelop
    credited_amount: Decimal | None  # kreditertBelop
    account_number: str | None  # kontonummer
    kid: str | None  # kid
    channel: str | None  # forsendelseskanal
    description: str | None  # beskrivelse
    paid_on: date | None  # betaltDato
    matrikkelnummer: str | None
    pdf_path: str  # faktura.url
    lines: tuple[InvoiceLine, ...]  # fakturalinjer
