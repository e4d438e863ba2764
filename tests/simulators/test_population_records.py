"""The population's cases, invoices and PDFs, and its overlays (mutations) with reset."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from simulators.population import (
    CASE_STATUS_CLOSED,
    CASE_STATUS_OPEN,
    CaseKind,
    DocumentDirection,
    InvalidInputError,
    InvoiceStatus,
    NewFile,
    NotFoundError,
    Population,
    Reading,
    ReadingSource,
)
from simulators.population import documented as doc
from simulators.population.checkdigits import is_valid_account, is_valid_kid, luhn_digit

TODAY = date(2026, 3, 1)


@pytest.fixture
def population() -> Population:
    return Population(seed=2026, size=1000, today=TODAY)


def _pid(population: Population, index: int) -> str:
    return population.person(index).pid


# --- cases ---------------------------------------------------------------------------------


def test_cases_have_numbers_recnos_documents_and_files(population: Population) -> None:
    cases = population.cases_of(_pid(population, doc.MANY_CASES))
    assert len(cases) == 120
    assert len({c.case_number for c in cases}) == 120
    assert {c.kind for c in cases} == set(CaseKind)
    assert {c.status for c in cases} == {CASE_STATUS_OPEN, CASE_STATUS_CLOSED}
    for case in cases[:30]:
        year, sequence = case.case_number.split("/")
        assert len(year) == 4 and len(sequence) >= 5
        assert population.case_by_number(case.case_number) == case
        assert population.case_by_recno(case.recno) == case
        assert case.documents[0].document_date == case.opened_on
        for document in case.documents:
            assert document.direction in set(DocumentDirection)
            assert document.document_number.startswith(case.case_number + "-")
            assert population.document_by_recno(document.recno) == document
            assert document.files and all(f.data is None for f in document.files)
    assert population.case_by_number("2024/99999999") is None
    assert population.case_by_number("not a case") is None
    assert population.document_by_recno(7) is None


def test_file_content_is_a_small_deterministic_pdf(population: Population) -> None:
    case = population.cases_of(_pid(population, doc.DECISION))[0]
    listed = case.documents[0].files[0]
    loaded = population.file_by_recno(listed.recno)
    assert loaded is not None and loaded.data is not None
    assert loaded.data.startswith(b"%PDF")
    assert loaded.size == len(loaded.data) and loaded.content_type == "application/pdf"
    again = Population(seed=2026, size=1000, today=TODAY).file_by_recno(listed.recno)
    assert again is not None and again.data == loaded.data


def test_create_case_document_and_decision_then_reset(population: Population) -> None:
    pid = _pid(population, doc.RENTER)
    before = population.cases_of(pid)
    case = population.create_case(pid, "Søknad om startlån", CaseKind.APPLICATION)
    assert case.status == CASE_STATUS_OPEN and case.opened_on == TODAY
    assert population.case_by_number(case.case_number) == case
    assert all(case.case_number != c.case_number for c in before)
    assert all(case.recno != c.recno for c in before)

    upload = NewFile("Søknad", "pdf", b"%PDF-1.4 test")
    document = population.create_document(case.case_number, "Søknad om startlån", files=[upload])
    assert document.document_number == f"{case.case_number}-1"
    stored = population.file_by_recno(document.files[0].recno)
    assert stored is not None and stored.data == b"%PDF-1.4 test" and stored.name == "Søknad.pdf"

    decision = population.add_decision(case.case_number, outcome="innvilget")
    assert decision.is_decision and decision.direction == DocumentDirection.OUTGOING
    decided = population.case_by_number(case.case_number)
    assert decided is not None and decided.status == CASE_STATUS_CLOSED
    assert decided.decision == decision
    assert population.cases_of(pid)[0].case_number == case.case_number
    pdf = population.file_by_recno(decision.files[0].recno)
    assert pdf is not None and pdf.data is not None and pdf.data.startswith(b"%PDF")

    second = population.create_case(pid, "Søknad om skoleskyss")
    assert second.case_number != case.case_number and second.recno > case.recno

    population.reset()
    assert population.cases_of(pid) == before
    assert population.case_by_number(case.case_number) is None
    assert population.document_by_recno(document.recno) is None
    # Numbering restarts too, so a replayed script gets the same numbers.
    assert population.create_case(pid, "Søknad om startlån").case_number == case.case_number


def test_a_decision_on_a_generated_case_is_an_overlay(population: Population) -> None:
    pid = _pid(population, doc.DECISION)
    open_case = next(c for c in population.cases_of(pid) if c.status == CASE_STATUS_OPEN)
    population.add_decision(open_case.case_number, "Vedtak om tillatelse")
    changed = population.case_by_number(open_case.case_number)
    assert changed is not None and changed.decision is not None
    assert len(changed.documents) == len(open_case.documents) + 1
    population.reset()
    assert population.case_by_number(open_case.case_number) == open_case


def test_bad_case_mutations_are_refused(population: Population) -> None:
    with pytest.raises(NotFoundError):
        population.create_document("2024/99999999", "X")
    with pytest.raises(NotFoundError):
        population.add_decision("2024/99999999")
    with pytest.raises(InvalidInputError):
        population.create_case("12345678901", "Søknad")
    with pytest.raises(InvalidInputError):
        population.create_case(_pid(population, 1), "   ")


# --- meters --------------------------------------------------------------------------------


def test_add_reading_is_an_overlay_and_is_validated(population: Population) -> None:
    (owned,) = population.properties_of(_pid(population, doc.HOMEOWNER))
    number = owned.property.matrikkelnummer
    (meter,) = population.meters(number)
    last = meter.readings[-1]
    reading = Reading(TODAY, last.value_m3 + Decimal("12.5"), ReadingSource.CITIZEN)
    population.add_reading(meter.meter_number, reading)
    assert population.meters(number)[0].readings[-1] == reading
    with pytest.raises(InvalidInputError):
        population.add_reading(
            meter.meter_number, Reading(TODAY, last.value_m3, ReadingSource.CITIZEN)
        )
    with pytest.raises(InvalidInputError):
        population.add_reading(
            meter.meter_number,
            Reading(TODAY + timedelta(days=1), reading.value_m3 + 1, ReadingSource.CITIZEN),
        )
    with pytest.raises(NotFoundError):
        population.add_reading("999", reading)
    population.reset()
    assert population.meters(number) == [meter]


def test_a_replaced_meter_takes_no_readings(population: Population) -> None:
    (owned,) = population.properties_of(_pid(population, doc.CO_OWNER_A))
    old = population.meters(owned.property.matrikkelnummer)[0]
    with pytest.raises(InvalidInputError):
        population.add_reading(
            old.meter_number, Reading(TODAY, Decimal("99999"), ReadingSource.CITIZEN)
        )


# --- invoices ------------------------------------------------------------------------------


def test_invoices_follow_fiks_innsyn_faktura(population: Population) -> None:
    statuses = set()
    for index in range(10, 400):
        for invoice in population.invoices_of(_pid(population, index)):
            statuses.add(invoice.status)
            assert is_valid_kid(invoice.kid)
            assert is_valid_account(invoice.account_number)
            assert invoice.due_on > invoice.issued_on
            assert invoice.amount == sum(line.amount for line in invoice.lines)
            assert invoice.outstanding == (
                invoice.total - invoice.paid_amount - invoice.credited_amount
            )
            if invoice.status == InvoiceStatus.BETALT:
                assert invoice.outstanding == 0 and not invoice.overdue
            assert population.invoice_by_number(invoice.invoice_number) == invoice
    assert statuses >= {InvoiceStatus.BETALT, InvoiceStatus.IKKE_BETALT}
    assert population.invoice_by_number("12") is None
    assert population.invoice_by_number("abc") is None


def test_overdue_follows_the_clock(population: Population) -> None:
    pid = _pid(population, doc.HOMEOWNER)
    latest = population.invoices_of(pid)[0]
    assert latest.status == InvoiceStatus.IKKE_BETALT and latest.due_on >= TODAY
    assert not latest.overdue
    population.today = latest.due_on + timedelta(days=1)
    moved = population.invoice_by_number(latest.invoice_number)
    assert moved is not None and moved.overdue


def test_mark_paid_then_reset(population: Population) -> None:
    pid = _pid(population, doc.OVERDUE)
    overdue = next(inv for inv in population.invoices_of(pid) if inv.overdue)
    paid = population.mark_paid(overdue.invoice_number)
    assert paid.status == InvoiceStatus.BETALT and paid.outstanding == 0
    assert paid.paid_amount == overdue.total and not paid.overdue and paid.paid_on == TODAY
    assert population.invoice_by_number(overdue.invoice_number) == paid
    population.reset()
    assert population.invoice_by_number(overdue.invoice_number) == overdue
    with pytest.raises(NotFoundError):
        population.mark_paid("100")


def test_invoice_pdf(population: Population) -> None:
    invoice = population.invoices_of(_pid(population, doc.OVERDUE))[0]
    data = population.invoice_pdf(invoice.invoice_number)
    assert data.startswith(b"%PDF") and data.rstrip().endswith(b"%%EOF")
    assert population.invoice_pdf(invoice.invoice_number) == data
    with pytest.raises(NotFoundError):
        population.invoice_pdf("100")


def test_check_digit_helpers() -> None:
    assert is_valid_kid("1234567897")  # 123456789 + Luhn 7
    assert luhn_digit("123456789") == 7
    assert not is_valid_kid("1234567890")
    assert is_valid_account("86011117947")  # a published example account number
    assert not is_valid_account("86011117948")
