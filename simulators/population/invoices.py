"""Generation of invoices (Visma Enterprise, shaped on Fiks Innsyn faktura.v1).

A property owner gets the quarterly municipal-fee invoices of their first property (fee basis
and property tax divided over four terms), others get service invoices (kindergarten, SFO...).
Statuses are decided against the population's anchor date; whether an unpaid invoice is
*overdue* is computed later against the population's clock.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from simulators.population import documented, ids
from simulators.population.checkdigits import account_check_digit, luhn_digit
from simulators.population.models import (
    FeeLine,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    TaxBasis,
)
from simulators.population.profiles import rng_for

PAY_TO = "Min kommune"
_ACCOUNT_PREFIX = "1503123456"
REMINDER_FEE = Decimal("35.00")  # purregebyr (inkassoforskriften § 1-2)
_CENT = Decimal("0.01")
_TERMS = 4
_SERVICE_INVOICES = (
    ("Foreldrebetaling barnehage", Decimal("3315.00")),
    ("SFO - oppholdsbetaling", Decimal("2950.00")),
    ("Kulturskole - semesteravgift", Decimal("1850.00")),
    ("Parkeringstillatelse", Decimal("1200.00")),
)


def _account_number() -> str:
    check = account_check_digit(_ACCOUNT_PREFIX)
    assert check is not None  # the prefix was chosen so that it has a check digit
    return f"{_ACCOUNT_PREFIX}{check}"


ACCOUNT_NUMBER = _account_number()


def kid_for(invoice_number: str) -> str:
    """KID: the invoice number with a mod-10 check digit."""
    return f"{invoice_number}{luhn_digit(invoice_number)}"


def _money(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


def _fee_lines(fees: Sequence[FeeLine], tax: TaxBasis | None) -> tuple[InvoiceLine, ...]:
    lines = [
        InvoiceLine(
            line.description,
            _money(line.quantity / _TERMS),
            line.unit,
            line.unit_price,
            _money(line.annual_amount / _TERMS),
        )
        for line in fees
    ]
    if tax is not None and tax.annual_tax > 0:
        lines.append(
            InvoiceLine(
                "Eiendomsskatt",
                Decimal("0.25"),
                "år",
                tax.annual_tax,
                _money(tax.annual_tax / _TERMS),
            )
        )
    return tuple(lines)


def _status(rng: random.Random, index: int, slot: int, due: date, anchor: date) -> InvoiceStatus:
    if index == documented.OVERDUE and slot in (0, 1):
        return InvoiceStatus.IKKE_BETALT if slot == 0 else InvoiceStatus.INKASSOVARSEL
    if index in documented.BY_INDEX:
        return InvoiceStatus.BETALT if due < anchor else InvoiceStatus.IKKE_BETALT
    if due >= anchor:
        return InvoiceStatus.IKKE_BETALT if rng.random() < 0.7 else InvoiceStatus.BETALT
    return rng.choices(
        (
            InvoiceStatus.BETALT,
            InvoiceStatus.IKKE_BETALT,
            InvoiceStatus.INKASSOVARSEL,
            InvoiceStatus.SENDT_INKASSO,
            InvoiceStatus.KREDITERT,
        ),
        weights=(90, 5, 3, 1, 1),
    )[0]


def generate_invoice(
    seed: int,
    anchor: date,
    index: int,
    slot: int,
    customer_pid: str,
    customer_name: str,
    property_fees: tuple[str, Sequence[FeeLine], TaxBasis | None] | None,
) -> Invoice:
    """Invoice `slot` of person `index`; `property_fees` is (matrikkelnummer, fee lines, tax)
    of their first property in Min kommune, or None for a service invoice."""
    rng = rng_for(seed, "invoice", index, slot)
    number = ids.invoice_number(index, slot)
    matrikkelnummer: str | None = None
    lines: tuple[InvoiceLine, ...] = ()
    if property_fees is not None:
        matrikkelnummer, fees, tax = property_fees
        lines = _fee_lines(fees, tax)
    if lines:
        # Quarterly terms going back from the latest one.
        issued = anchor - timedelta(days=slot * 91 + rng.randint(2, 25))
        term = (issued.month - 1) // 3 + 1
        title = f"Kommunale avgifter {term}. termin {issued.year}"
        due = issued + timedelta(days=30)
    else:
        text, price = rng.choice(_SERVICE_INVOICES)
        issued = anchor - timedelta(days=slot * 30 + rng.randint(2, 20))
        title = f"{text} {issued.strftime('%m/%Y')}"
        lines = (InvoiceLine(text, Decimal(1), "stk", price, price),)
        due = issued + timedelta(days=20)
    if index == documented.OVERDUE and slot == 0:
        # Keep the documented overdue invoice overdue whatever the anchor: due 40 days ago.
        issued, due = anchor - timedelta(days=60), anchor - timedelta(days=40)
    amount = sum((line.amount for line in lines), Decimal("0.00"))
    status = _status(rng, index, slot, due, anchor)
    fee = interest = credited = paid = Decimal("0.00")
    paid_on = None
    description = None
    external = False
    if status == InvoiceStatus.BETALT:
        paid = amount
        paid_on = min(due - timedelta(days=rng.randint(0, 15)), anchor)
    elif status == InvoiceStatus.INKASSOVARSEL:
        fee = REMINDER_FEE
        description = "Inkassovarsel er sendt. Betal innen 14 dager for å unngå inkasso."
    elif status == InvoiceStatus.SENDT_INKASSO:
        fee = REMINDER_FEE
        interest = _money(amount * Decimal("0.0125"))
        external = True
        description = "Fakturaen er sendt til inkassoselskap for videre behandling."
    elif status == InvoiceStatus.KREDITERT:
        credited = amount
        description = "Kreditnota: fakturaen er kreditert i sin helhet."
    outstanding = amount + fee + interest - paid - credited
    return Invoice(
        invoice_number=number,
        customer_pid=customer_pid,
        title=title,
        issued_on=issued,
        due_on=due,
        recipient=customer_name,
        pay_to=PAY_TO,
        amount=amount,
        paid_amount=paid,
        fee=fee,
        interest=interest,
        credited_amount=credited,
        outstanding=outstanding,
        status=status,
        kid=kid_for(number),
        account_number=ACCOUNT_NUMBER,
        channel=rng.choice(("EFAKTURA", "DIGIPOST", "AVTALEGIRO", "POST")),
        lines=lines,
        matrikkelnummer=matrikkelnummer,
        paid_on=paid_on,
        description=description,
        sent_to_external=external,
    )


def is_overdue(invoice: Invoice, today: date) -> bool:
    """Unpaid (something outstanding, not credited) and past its due date."""
    return (
        invoice.outstanding > 0
        and invoice.status != InvoiceStatus.KREDITERT
        and invoice.due_on < today
    )
