"""The status a citizen sees and its labels (no stack needed)."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

import pytest

from connectors.visma import Invoice, InvoiceStatus
from kernel.i18n import Language
from resolvers.invoice.invoices import InvoiceCriteria, matrikkelnummer_key, newest_first
from resolvers.invoice.status import DisplayStatus, display_status
from schema.invoice.types import STATUS_LABELS

BASE = Invoice(
    invoice_number="1000-1",
    title="Kommunale avgifter",
    issued_on=date(2026, 1, 10),
    due_on=date(2026, 2, 9),
    status=InvoiceStatus.UNPAID,
    payable=True,
    corrected=False,
    sent_to_external=False,
    overdue=False,
    recipient="Kari Nordmann",
    pay_to="Min kommune",
    amount=Decimal("1000.00"),
    paid_amount=Decimal("0.00"),
    fee=None,
    interest=None,
    total=Decimal("1000.00"),
    outstanding=Decimal("1000.00"),
    credited_amount=None,
    account_number=None,
    kid=None,
    channel=None,
    description=None,
    paid_on=None,
    matrikkelnummer="3030-12/45/0/0",
    pdf_path="/api/v1/invoices/1000-1/pdf",
    lines=(),
)


def test_every_status_has_a_label_in_every_language():
    assert set(STATUS_LABELS) == set(DisplayStatus)
    for labels in STATUS_LABELS.values():
        for language in Language:
            assert labels.in_language(language).strip()


@pytest.mark.parametrize(
    ("status", "overdue", "expected"),
    [
        (InvoiceStatus.UNPAID, False, DisplayStatus.UNPAID),
        (InvoiceStatus.UNPAID, True, DisplayStatus.OVERDUE),
        (InvoiceStatus.PAID, False, DisplayStatus.PAID),
        (InvoiceStatus.DEBT_COLLECTION_NOTICE, True, DisplayStatus.DEBT_COLLECTION_NOTICE),
        (InvoiceStatus.SENT_TO_DEBT_COLLECTION, True, DisplayStatus.SENT_TO_DEBT_COLLECTION),
        (InvoiceStatus.CREDITED, False, DisplayStatus.CREDITED),
    ],
)
def test_display_status(status, overdue, expected):
    invoice = dataclasses.replace(BASE, status=status, overdue=overdue)
    assert display_status(invoice) is expected


def test_criteria_all_parts_must_hold():
    overdue = dataclasses.replace(BASE, overdue=True)
    assert InvoiceCriteria().matches(overdue)
    assert InvoiceCriteria(unpaid_only=True).matches(overdue)
    assert InvoiceCriteria(statuses=frozenset({DisplayStatus.OVERDUE})).matches(overdue)
    assert not InvoiceCriteria(statuses=frozenset({DisplayStatus.UNPAID})).matches(overdue)
    assert InvoiceCriteria(issued_from=BASE.issued_on, issued_to=BASE.issued_on).matches(BASE)
    assert not InvoiceCriteria(issued_from=date(2026, 1, 11)).matches(BASE)
    assert not InvoiceCriteria(issued_to=date(2026, 1, 9)).matches(BASE)
    paid = dataclasses.replace(BASE, status=InvoiceStatus.PAID, outstanding=Decimal("0.00"))
    assert not InvoiceCriteria(unpaid_only=True).matches(paid)
    credited = dataclasses.replace(BASE, status=InvoiceStatus.CREDITED)
    assert not InvoiceCriteria(unpaid_only=True).matches(credited)


def test_newest_first_with_stable_ties():
    a = dataclasses.replace(BASE, invoice_number="1000-1", issued_on=date(2026, 1, 10))
    b = dataclasses.replace(BASE, invoice_number="1000-2", issued_on=date(2026, 1, 10))
    c = dataclasses.replace(BASE, invoice_number="1000-3", issued_on=date(2026, 3, 1))
    assert [i.invoice_number for i in newest_first([a, c, b])] == ["1000-3", "1000-2", "1000-1"]


def test_matrikkelnummer_forms_compare_equal():
    assert matrikkelnummer_key("3030-12/45") == matrikkelnummer_key("3030-12/45/0/0")
    assert matrikkelnummer_key(" 3030-12/45/0/3 ") == ("3030", 12, 45, 0, 3)
    assert matrikkelnummer_key("3030-12/45/0/3") != matrikkelnummer_key("3030-12/45/0/0")
    assert matrikkelnummer_key("3301-12/45/0/0") != matrikkelnummer_key("3030-12/45/0/0")
