"""GraphQL types of Mine faktura: ``Invoice``, its lines and status."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import strawberry
from strawberry.types import Info

from connectors.visma import Invoice as VismaInvoice
from connectors.visma import InvoiceLine as VismaInvoiceLine
from resolvers.context import Context
from resolvers.invoice.status import DisplayStatus, display_status
from resolvers.links import invoice_pdf_url
from schema.common import Money
from schema.labels import Label, label
from schema.relay import Node, global_id

InvoiceStatus = strawberry.enum(
    DisplayStatus,
    name="InvoiceStatus",
    description="An invoice's status; OVERDUE is an unpaid invoice past its due date.",
)

STATUS_LABELS: dict[DisplayStatus, Label] = {
    DisplayStatus.PAID: Label("Betalt", "Betalt", "Paid"),
    DisplayStatus.UNPAID: Label("Ikke betalt", "Ikkje betalt", "Unpaid"),
    DisplayStatus.OVERDUE: Label("Forfalt", "Forfallen", "Overdue"),
    DisplayStatus.DEBT_COLLECTION_NOTICE: Label(
        "Inkassovarsel sendt", "Inkassovarsel sendt", "Debt collection notice sent"
    ),
    DisplayStatus.SENT_TO_DEBT_COLLECTION: Label(
        "Sendt til inkasso", "Sendt til inkasso", "Sent to debt collection"
    ),
    DisplayStatus.CREDITED: Label("Kreditert", "Kreditert", "Credited"),
}


@strawberry.type(description="One line of an invoice (fakturalinje).")
class InvoiceLine:
    description: str
    quantity: Decimal = strawberry.field(description='How many units, e.g. "37.50".')
    unit: str = strawberry.field(description='The unit, e.g. "m³", "stk", "år".')
    unit_price: Money
    amount: Money = strawberry.field(description="The line's amount (quantity × unit price).")
    vat_rate: Decimal = strawberry.field(description='VAT rate in per cent, e.g. "0" or "25".')

    @classmethod
    def from_record(cls, line: VismaInvoiceLine) -> InvoiceLine:
        return cls(
            description=line.description,
            quantity=line.quantity,
            unit=line.unit,
            unit_price=Money.nok(line.unit_price),
            amount=Money.nok(line.amount),
            vat_rate=line.vat_rate,
        )


@strawberry.type(name="Invoice", description="En faktura (an invoice) from the municipality.")
class Invoice(Node):
    record: strawberry.Private[VismaInvoice]
    invoice_number: str = strawberry.field(description="Fakturanummer.")
    title: str
    issued_on: date = strawberry.field(description="Fakturadato.")
    due_on: date = strawberry.field(description="Forfallsdato.")
    amount: Money = strawberry.field(description="The invoiced amount, before fees and interest.")
    total: Money = strawberry.field(
        description="Amount plus reminder fee and interest (totalbeløp)."
    )
    paid_amount: Money = strawberry.field(description="What has been paid so far.")
    outstanding: Money = strawberry.field(description="What is left to pay (utestående).")
    status: InvoiceStatus  # type: ignore[valid-type]
    paid: bool = strawberry.field(description="True when the invoice is paid in full.")
    kid: str | None = strawberry.field(description="KID number to pay with.")
    account_number: str | None = strawberry.field(description="Account to pay to.")
    description: str | None = strawberry.field(
        description="A note from the municipality, e.g. about a debt collection notice."
    )
    matrikkelnummer: str | None = strawberry.field(
        description='The property the invoice is for, written "3030-12/45/0/0"; null for '
        "other invoices."
    )
    lines: list[InvoiceLine]

    @classmethod
    def from_record(cls, record: VismaInvoice) -> Invoice:
        """The GraphQL invoice of a Visma record."""
        status = display_status(record)
        return cls(
            id=global_id("Invoice", record.invoice_number),
            record=record,
            invoice_number=record.invoice_number,
            title=record.title,
            issued_on=record.issued_on,
            due_on=record.due_on,
            amount=Money.nok(record.amount),
            total=Money.nok(record.total),
            paid_amount=Money.nok(record.paid_amount),
            outstanding=Money.nok(record.outstanding),
            status=status,
            paid=status is DisplayStatus.PAID,
            kid=record.kid,
            account_number=record.account_number,
            description=record.description,
            matrikkelnummer=record.matrikkelnummer,
            lines=[InvoiceLine.from_record(line) for line in record.lines],
        )

    @strawberry.field(description="The status in the request's language.")
    def status_label(self, info: Info[Context, None]) -> str:
        return label(STATUS_LABELS, self.status, info.context.language)

    @strawberry.field(
        description="Download link of the invoice as PDF: short-lived and only valid for "
        "the logged-in citizen (absolute URL)."
    )
    def pdf_url(self, info: Info[Context, None]) -> str:
        return invoice_pdf_url(info.context, self.invoice_number)
