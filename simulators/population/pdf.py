"""Small, real, deterministic PDFs (fpdf2) for case documents and invoices.

The creation date is pinned to the document's own date so the same record always renders to
the same bytes (fpdf2 otherwise stamps "now"). Core fonts only, so text is Latin-1: Norwegian
letters æøå are in it; anything else is replaced.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal

from fpdf import FPDF

from simulators.population.models import Case, Document, Invoice

MUNICIPALITY_NAME = "Min kommune"


def _latin1(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")


def _new_pdf(title: str, on: date) -> FPDF:
    pdf = FPDF(format="A4")
    pdf.set_creation_date(datetime(on.year, on.month, on.day, 12, 0, tzinfo=UTC))
    pdf.set_title(_latin1(title))
    pdf.set_author(MUNICIPALITY_NAME)
    pdf.set_creator("minside simulators (synthetic data)")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, MUNICIPALITY_NAME, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    pdf.cell(0, 5, "Syntetiske testdata - ingen ekte personer", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    return pdf


def _line(pdf: FPDF, text: str, *, bold: bool = False, size: int = 11) -> None:
    pdf.set_font("Helvetica", "B" if bold else "", size)
    pdf.multi_cell(0, 6, _latin1(text), new_x="LMARGIN", new_y="NEXT")


def _bytes(pdf: FPDF) -> bytes:
    return bytes(pdf.output())


def document_pdf(case: Case, document: Document, recipient: str, body: Sequence[str]) -> bytes:
    """A letter/note for `document` of `case`, addressed to `recipient`."""
    pdf = _new_pdf(document.title, document.document_date)
    _line(pdf, recipient)
    pdf.ln(4)
    _line(pdf, f"Saksnummer: {case.case_number}    Dokumentnummer: {document.document_number}")
    _line(pdf, f"Dato: {document.document_date.isoformat()}")
    pdf.ln(4)
    _line(pdf, document.title, bold=True, size=13)
    pdf.ln(2)
    for paragraph in body:
        _line(pdf, paragraph)
        pdf.ln(2)
    return _bytes(pdf)


def _money(amount: Decimal) -> str:
    return f"{amount:,.2f}".replace(",", " ").replace(".", ",") + " kr"


def invoice_pdf(invoice: Invoice) -> bytes:
    """The invoice as the citizen receives it: lines, total, due date, account and KID."""
    pdf = _new_pdf(invoice.title, invoice.issued_on)
    _line(pdf, invoice.recipient)
    pdf.ln(4)
    _line(pdf, f"Faktura {invoice.invoice_number}: {invoice.title}", bold=True, size=13)
    _line(
        pdf,
        f"Fakturadato: {invoice.issued_on.isoformat()}    Forfall: {invoice.due_on.isoformat()}",
    )
    if invoice.matrikkelnummer:
        _line(pdf, f"Eiendom: {invoice.matrikkelnummer}")
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 10)
    widths = (90, 25, 35, 35)
    for width, head in zip(widths, ("Beskrivelse", "Antall", "Pris", "Beløp"), strict=True):
        pdf.cell(width, 7, head, border="B")
    pdf.ln()
    pdf.set_font("Helvetica", "", 10)
    for line in invoice.lines:
        cells = (
            line.description,
            f"{line.quantity} {line.unit}",
            _money(line.unit_price),
            _money(line.amount),
        )
        for width, text in zip(widths, cells, strict=True):
            pdf.cell(width, 7, _latin1(text))
        pdf.ln()
    pdf.ln(4)
    _line(pdf, f"Beløp: {_money(invoice.amount)}", bold=True)
    if invoice.fee:
        _line(pdf, f"Gebyr: {_money(invoice.fee)}")
    if invoice.interest:
        _line(pdf, f"Renter: {_money(invoice.interest)}")
    _line(pdf, f"Innbetalt: {_money(invoice.paid_amount)}")
    _line(pdf, f"Utestående: {_money(invoice.outstanding)}", bold=True)
    pdf.ln(4)
    _line(pdf, f"Betales til: {invoice.pay_to}, konto {invoice.account_number}")
    _line(pdf, f"KID: {invoice.kid}")
    _line(pdf, f"Status: {invoice.status.value}")
    return _bytes(pdf)
